"""Every DAG in dags/ imports, follows the course's conventions, and is Airflow 3 clean."""

from __future__ import annotations

import subprocess
import sys

import pendulum
import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def dagbag():
    from airflow.models import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}, "\n".join(
        f"{f}: {e}" for f, e in dagbag.import_errors.items()
    )
    assert sorted(dagbag.dag_ids) == ["hello_pipeline", "taxi_pipeline"]


@pytest.mark.parametrize("dag_id", ["hello_pipeline", "taxi_pipeline"])
def test_every_dag_has_tags_a_fixed_tz_aware_start_and_explicit_catchup(dagbag, dag_id) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.tags, f"{dag_id} in {dag.fileloc} has no tags"
    assert dag.start_date.tzinfo is not None, f"{dag_id}: start_date must be timezone-aware"
    assert dag.catchup is False


def test_taxi_pipeline_shape(dagbag) -> None:
    dag = dagbag.dags["taxi_pipeline"]
    assert [t.task_id for t in dag.topological_sort()] == [
        "ingest_taxi_month",
        "dbt_run",
        "dbt_test",
        "notify",
    ]
    edges = {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}
    assert edges == {
        ("ingest_taxi_month", "dbt_run"),
        ("dbt_run", "dbt_test"),
        ("dbt_test", "notify"),
    }
    assert dag.max_active_runs == 1
    assert dag.start_date == pendulum.datetime(2024, 1, 1, tz="UTC")
    assert dag.schedule == "@monthly"
    assert dag.get_task("notify").trigger_rule == "all_done"
    for task in dag.tasks:
        assert task.retries >= 2 and task.retry_delay.total_seconds() > 0
    assert {"week11", "taxi", "student:default"} <= set(dag.tags)


def test_student_tag_follows_airflow_student(monkeypatch) -> None:
    from airflow.models import DagBag

    monkeypatch.setenv("AIRFLOW_STUDENT", "ada")
    dag = DagBag(dag_folder=str(REPO / "dags" / "taxi_pipeline.py")).dags["taxi_pipeline"]
    assert "student:ada" in dag.tags


def test_no_airflow_2_idioms_per_ruff() -> None:
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "AIR",
            "--preview",
            "--no-cache",
            "--output-format",
            "concise",
            "dags",
            "notebooks/dags",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stdout
