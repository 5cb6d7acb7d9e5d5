"""`dag.test()` of a logical date that already has a run (autograder.inside.run_replace): with the
old run dropped first, Airflow clears no task instance, and the metadata DB ends with the same
rows as when `dag.test()` clears and replaces the run itself."""

from __future__ import annotations

import pytest

from tests.autograder.helpers import driver_runs

_DAG = """
import pendulum
from airflow.sdk import dag, task


@dag(schedule="@monthly", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def replaced_MODE():
    @task
    def first():
        return 1

    @task
    def second(x):
        return x + 1

    second(first())


replaced_MODE()
"""

# Runs January, then January again (mode "dropped": the old run dropped first), then a manual
# run; counts the task instances Airflow's clear writes to task_instance_history.
_DRIVER = """
import json, sys
from pathlib import Path

home, dags, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
from airflow_env import settings

settings.configure(home=home, dags_folder=dags)
settings.ensure_db()
import pendulum
from airflow.models import DagBag
from airflow.models.taskinstancehistory import TaskInstanceHistory
from airflow.utils.session import create_session
from sqlalchemy import text

from autograder.inside.run_replace import drop_replaced_run

recorded = []
original = TaskInstanceHistory.record_ti


def counting(ti, *args, **kwargs):
    recorded.append(ti.task_id)
    return original(ti, *args, **kwargs)


TaskInstanceHistory.record_ti = staticmethod(counting)
dag_id = f"replaced_{mode}"  # the tests share one metadata DB
dag = DagBag(dag_folder=str(dags)).dags[dag_id]
january = pendulum.datetime(2024, 1, 1, tz="UTC")
out = {"dropped_before_first": drop_replaced_run(dag_id, january)}
dag.test(logical_date=january)
if mode == "dropped":
    out["dropped"] = drop_replaced_run(dag_id, january)
run = dag.test(logical_date=january)
out["recorded_by_rerun"] = sorted(recorded)
tasks = {ti.task_id: [str(ti.state), ti.try_number] for ti in run.get_task_instances()}
out["rerun"] = [str(run.state), tasks]
if mode == "dropped":
    out["dropped_manual"] = drop_replaced_run(dag_id, None)
manual = dag.test(logical_date=None)
out["manual"] = str(manual.state)
with create_session() as session:
    out["rows"] = {
        table: session.execute(
            text(f"select count(*) from {table} where dag_id = :dag_id"), {"dag_id": dag_id}
        ).scalar()
        for table in ("dag_run", "task_instance", "task_instance_history", "xcom")
    }
print(json.dumps(out))
"""


@pytest.mark.slow
def test_a_dropped_run_is_replaced_without_clearing_and_leaves_the_same_rows(tmp_path) -> None:
    cleared, dropped = (
        driver_runs(tmp_path, mode, "replaced.py", _DAG.replace("MODE", mode), _DRIVER)
        for mode in ("cleared", "dropped")
    )
    assert cleared["dropped_before_first"] is False  # no run yet: nothing to drop
    assert cleared["recorded_by_rerun"] == ["first", "second"]  # Airflow's own clear
    assert dropped["dropped"] is True
    assert dropped["recorded_by_rerun"] == []  # nothing left to clear
    fresh = ["success", {"first": ["success", 1], "second": ["success", 1]}]
    assert cleared["rerun"] == dropped["rerun"] == fresh
    assert dropped["dropped_manual"] is False  # no manual run before
    assert cleared["manual"] == dropped["manual"] == "success"
    assert cleared["rows"] == dropped["rows"]
    assert dropped["rows"]["dag_run"] == 2  # January's second run and the manual one
