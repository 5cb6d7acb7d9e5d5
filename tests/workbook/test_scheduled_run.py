"""The real scheduler (`make ui`) on the reference DAG (issue 14, point 6): the run that unpausing
creates, this month's scheduled run, loads the newest month the source has surely published
(three months back) and ends green, instead of asking for a month that cannot exist yet."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from taxi_source.server import default_latest_month, serve_in_thread
from tests.conftest import REPO
from tests.support.airflow_ui import _wait_for, start_ui, stop_ui, wait_until_ready
from tests.support.reference_dag import reference_dag

pytestmark = pytest.mark.slow

DAG = "taxi_pipeline"


def test_this_months_scheduled_run_loads_a_published_month_and_ends_green(tmp_path) -> None:
    source = serve_in_thread(latest_month=default_latest_month())
    warehouse, notifications = tmp_path / "taxi.duckdb", tmp_path / "notifications.jsonl"
    env = {
        "TAXI_WAREHOUSE": str(warehouse),
        "TAXI_NOTIFICATIONS": str(notifications),
        "TAXI_DBT_PROJECT_DIR": str(REPO / "include" / "taxi_dbt"),
        "AIRFLOW_STUDENT": "default",
    }
    proc, port, log = start_ui(tmp_path, source.base_url, extra_env=env)
    try:
        ui = wait_until_ready(port, tmp_path / "airflow", {DAG})
        ui.send(f"dags/{DAG}", "PATCH", {"is_paused": False})
        run = _wait_for(
            lambda: next(
                iter(ui.get(f"dags/{DAG}/dagRuns", run_type="scheduled")["dag_runs"]), None
            ),
            120,
        )
        run_id = run["dag_run_id"]
        final = _wait_for(
            lambda: (
                (s := ui.get(f"dags/{DAG}/dagRuns/{run_id}")["state"]) in ("success", "failed")
                and s
            ),
            420,
        )
        states = ui.task_states(DAG, run_id)
    finally:
        stop_ui(proc, log)
        source.stop()

    logical = datetime.fromisoformat(run["logical_date"].replace("Z", "+00:00"))
    loaded = reference_dag().scheduled_month(logical)
    tail = (tmp_path / "ui.log").read_text(errors="replace")[-3000:]
    assert final == "success", (states, tail)
    assert set(states.values()) == {"success"}, states
    # The run is this month's, and it loaded a month the source had published: one request,
    # answered 200; nothing asked for the run's own (unpublished) month.
    assert f"{logical:%Y-%m}" == f"{datetime.now(logical.tzinfo):%Y-%m}"
    asked = {r["month"]: r["status"] for r in source.requests()}
    assert asked == {f"{loaded:%Y-%m}": 200}, asked
    with duckdb.connect(str(warehouse), read_only=True) as con:
        months = dict(
            con.execute(
                "SELECT source_month, count(*) FROM airflow_default.raw_trips GROUP BY 1"
            ).fetchall()
        )
    assert set(months) == {loaded} and months[loaded] > 0
    record = json.loads(notifications.read_text().splitlines()[-1])
    assert (record["status"], record["month"]) == ("success", f"{loaded:%Y-%m}")
