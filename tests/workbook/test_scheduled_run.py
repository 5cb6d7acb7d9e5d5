"""The real scheduler (`make ui`): a scheduled run of taxi_pipeline waits for its month to be
published instead of going red, and a backfill overlaps it whatever the DAG's max_active_runs.

Issue 14, points 6 and 1. One `workbook ui` serves both tests (about two minutes in all).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from taxi_source.server import RunningSource, default_latest_month, serve_in_thread
from tests.conftest import REPO
from tests.support.airflow_ui import RunningUI, _wait_for, start_ui, stop_ui, wait_until_ready

pytestmark = pytest.mark.slow

DAG = "taxi_pipeline"
POKE_IN_PRODUCTION = "PUBLISH_POKE = timedelta(hours=6)"


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory):
    """`workbook ui` on a copy of the reference DAG that asks every 20 s instead of every 6 h,
    and a source that has not published this month yet.

    Not every 5 s: Airflow 3.3's scheduler can queue a rescheduled sensor again before it has
    handled the executor's report of the previous poke, and then takes that report for a failure
    ("finished with state success, but the task instance's state attribute is queued") and
    sends the sensor to up_for_retry. Seen here with 5 s; the DAG's 6 h is far from it."""
    tmp = tmp_path_factory.mktemp("scheduled")
    dags = tmp / "dags"
    dags.mkdir()
    text = (REPO / "dags" / "taxi_pipeline.py").read_text()
    assert POKE_IN_PRODUCTION in text, "the reference DAG's poke interval moved; update the test"
    (dags / "taxi_pipeline.py").write_text(
        text.replace(POKE_IN_PRODUCTION, "PUBLISH_POKE = timedelta(seconds=20)")
    )
    source = serve_in_thread(latest_month=default_latest_month())
    env = {
        "TAXI_WAREHOUSE": str(tmp / "taxi.duckdb"),
        "TAXI_NOTIFICATIONS": str(tmp / "notifications.jsonl"),
        "TAXI_DBT_PROJECT_DIR": str(REPO / "include" / "taxi_dbt"),
        "AIRFLOW_STUDENT": "default",
    }
    proc, port, log = start_ui(tmp, source.base_url, dags_folder=dags, extra_env=env)
    try:
        ui = wait_until_ready(port, tmp / "airflow", {DAG})
        ui.send(f"dags/{DAG}", "PATCH", {"is_paused": False})
        yield ui, source, tmp
    finally:
        stop_ui(proc, log)
        source.stop()


def _this_month() -> str:
    return f"{datetime.now(UTC):%Y-%m}"


def _scheduled_run(ui: RunningUI) -> dict:
    return _wait_for(
        lambda: next(iter(ui.get(f"dags/{DAG}/dagRuns", run_type="scheduled")["dag_runs"]), None),
        120,
    )


def _running_ingests(ui: RunningUI) -> set[str]:
    """Run ids whose ingest_taxi_month is running right now."""
    found = ui.get(f"dags/{DAG}/dagRuns/~/taskInstances", state="running")["task_instances"]
    return {ti["dag_run_id"] for ti in found if ti["task_id"] == "ingest_taxi_month"}


def _backfill_overlap(ui: RunningUI, source: RunningSource, flag: dict) -> tuple[int, bool]:
    """Backfill Jan-Feb 2024 (each ingest takes 8 s, then the month answers 403 so no run
    touches the warehouse) and watch it: the most backfill ingests seen running at once, and
    whether one ran while the scheduled run was running."""
    source.state.latest_month = "2023-12"
    source.set_faults({"2024-01": {"latency": 8}, "2024-02": {"latency": 8}})
    backfill = ui.send(
        "backfills",
        "POST",
        {
            "dag_id": DAG,
            "from_date": "2024-01-01T00:00:00Z",
            "to_date": "2024-02-01T00:00:00Z",
            "reprocess_behavior": "completed",
            **flag,
        },
    )
    most, beside_scheduled = 0, False

    def finished() -> bool:
        nonlocal most, beside_scheduled
        runs = ui.get(f"dags/{DAG}/dagRuns", run_type="backfill", limit=50)["dag_runs"]
        runs = [r for r in runs if r["logical_date"][:10] in ("2024-01-01", "2024-02-01")]
        ours = {r["dag_run_id"] for r in runs}
        running = _running_ingests(ui) & ours
        most = max(most, len(running))
        if running and _scheduled_run(ui)["state"] == "running":
            beside_scheduled = True
        done = ui.get(f"backfills/{backfill['id']}")["completed_at"] is not None
        return done and all(r["state"] in ("success", "failed") for r in runs)

    _wait_for(finished, 240, every=0.5)
    source.state.latest_month = default_latest_month()
    source.set_faults({})
    return most, beside_scheduled


def test_a_backfill_overlaps_the_waiting_scheduled_run_unless_limited(scheduled) -> None:
    ui, source, _ = scheduled
    run = _scheduled_run(ui)
    _wait_for(
        lambda: ui.task_states(DAG, run["dag_run_id"]).get("wait_for_month") == "up_for_reschedule",
        120,
    )
    # max_active_runs=1 on the DAG does not hold a backfill back: its runs count on their own.
    most, beside = _backfill_overlap(ui, source, {})
    assert (most, beside) == (2, True)
    # --max-active-runs 1 (max_active_runs in the REST body) keeps the backfill to one run at a
    # time; it still runs beside the scheduled run, which it does not count.
    most, beside = _backfill_overlap(ui, source, {"max_active_runs": 1})
    assert (most, beside) == (1, True)


def test_the_scheduled_run_waits_for_its_month_then_succeeds(scheduled) -> None:
    ui, source, tmp = scheduled
    month = _this_month()
    run = _scheduled_run(ui)
    assert run["logical_date"].startswith(f"{month}-01"), run
    run_id = run["dag_run_id"]
    _wait_for(lambda: ui.task_states(DAG, run_id).get("wait_for_month") == "up_for_reschedule", 120)
    _wait_for(lambda: len(source.requests(month)) >= 2, 60)  # it asked again, and again
    assert {r["status"] for r in source.requests(month)} == {403}
    assert ui.get(f"dags/{DAG}/dagRuns/{run_id}")["state"] == "running"
    assert ui.task_states(DAG, run_id).get("ingest_taxi_month") is None  # not started

    source.state.latest_month = month  # the TLC publishes it
    final = _wait_for(
        lambda: (
            (s := ui.get(f"dags/{DAG}/dagRuns/{run_id}")["state"]) in ("success", "failed") and s
        ),
        300,
    )
    states = ui.task_states(DAG, run_id)
    log = (tmp / "ui.log").read_text(errors="replace")[-3000:]
    assert final == "success", (states, log)
    assert set(states.values()) == {"success"}, states
    assert source.requests(month)[-1]["status"] == 200
    import duckdb

    with duckdb.connect(str(tmp / "taxi.duckdb"), read_only=True) as con:
        (rows,) = con.execute(
            "SELECT count(*) FROM airflow_default.raw_trips WHERE source_month = ?",
            [datetime.fromisoformat(f"{month}-01").date()],
        ).fetchone()
    assert rows > 0
