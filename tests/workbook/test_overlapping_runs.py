"""Chapter 10 §9 for real (issue 14, point 1): in a running scheduler (`make ui`), the DAG's
`max_active_runs=1` does not keep a backfill's runs apart, nor a backfill apart from a manual run;
the backfill's own `max_active_runs` (`--max-active-runs 1` on the CLI) is what limits it.

Nothing of 2024 is published by the test's source, and each month answers after a delay: every
ingest is visibly *running* for a few seconds, then fails at once on the 403, so no run writes to
the warehouse (two DuckDB writers at once would only muddy the picture).
"""

from __future__ import annotations

import contextlib
import urllib.error

import pytest

from taxi_source.server import RunningSource, serve_in_thread
from tests.support.airflow_ui import RunningUI, _wait_for, start_ui, stop_ui, wait_until_ready

pytestmark = pytest.mark.slow

DAG = "taxi_pipeline"
DELAY = 8  # seconds each month's answer takes: long enough to be seen running


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("overlap")
    source = serve_in_thread(latest_month="2023-12")
    env = {
        "TAXI_WAREHOUSE": str(tmp / "taxi.duckdb"),
        "TAXI_NOTIFICATIONS": str(tmp / "notifications.jsonl"),
        "AIRFLOW_STUDENT": "default",
    }
    proc, port, log = start_ui(tmp, source.base_url, extra_env=env)
    try:
        ui = wait_until_ready(port, tmp / "airflow", {DAG})
        ui.send(f"dags/{DAG}", "PATCH", {"is_paused": False})
        # Unpausing creates this month's scheduled run (catchup=False); it is not published,
        # so it fails at once. Let it end before the demonstrations start.
        _wait_for(lambda: _runs(ui, "scheduled") and not _active(ui, "scheduled"), 180)
        yield ui, source
    finally:
        stop_ui(proc, log)
        source.stop()


def _runs(ui: RunningUI, run_type: str) -> list[dict]:
    return ui.get(f"dags/{DAG}/dagRuns", run_type=run_type, limit=100)["dag_runs"]


def _active(ui: RunningUI, run_type: str) -> list[dict]:
    return [r for r in _runs(ui, run_type) if r["state"] in ("queued", "running")]


def _ingesting(ui: RunningUI) -> set[str]:
    """The runs whose ingest_taxi_month is running right now."""
    found = ui.get(f"dags/{DAG}/dagRuns/~/taskInstances", state="running")["task_instances"]
    return {ti["dag_run_id"] for ti in found if ti["task_id"] == "ingest_taxi_month"}


def _watch_backfill(
    ui: RunningUI, source: RunningSource, months: list[str], limit: dict, manual: str | None
) -> tuple[int, bool]:
    """Backfill `months` (with `limit`, the REST twin of `--max-active-runs`), and, if
    `manual` is a month, trigger a manual run for it at the same time. Returns the most of the
    backfill's ingests seen running at once, and whether one ran beside the manual run's."""
    source.set_faults({month: {"latency": DELAY} for month in [*months, *filter(None, [manual])]})
    manual_id = None
    if manual:
        body = {"logical_date": f"{manual}-01T00:00:00Z", "conf": {}}
        manual_id = ui.send(f"dags/{DAG}/dagRuns", "POST", body)["dag_run_id"]
    backfill = ui.send(
        "backfills",
        "POST",
        {
            "dag_id": DAG,
            "from_date": f"{months[0]}-01T00:00:00Z",
            "to_date": f"{months[-1]}-01T00:00:00Z",
            **limit,
        },
    )
    most, beside_manual = 0, False
    dates = {f"{month}-01" for month in months}
    seen: dict[str, object] = {}

    def finished() -> bool:
        nonlocal most, beside_manual
        ours = [r for r in _runs(ui, "backfill") if r["logical_date"][:10] in dates]
        running = _ingesting(ui)
        backfilling = running & {r["dag_run_id"] for r in ours}
        most = max(most, len(backfilling))
        beside_manual = beside_manual or bool(backfilling and manual_id in running)
        seen["backfill completed"] = ui.get(f"backfills/{backfill['id']}")["completed_at"]
        seen["its runs"] = {r["logical_date"][:10]: r["state"] for r in ours}
        seen["manual runs active"] = len(_active(ui, "manual"))
        return (
            seen["backfill completed"] is not None
            and not seen["manual runs active"]
            and len(ours) == len(months)
        )

    try:
        _wait_for(finished, 300, every=0.5)
    except AssertionError:
        log = (ui.home.parent / "ui.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"the backfill did not finish; last seen {seen}\n{log}") from None
    finally:
        source.set_faults({})
        if not seen.get("backfill completed"):  # leave no active backfill to the next test
            with contextlib.suppress(urllib.error.HTTPError):  # it completed meanwhile
                ui.send(f"backfills/{backfill['id']}/cancel", "PUT", {})
    return most, beside_manual


def test_a_backfill_runs_its_months_at_once_whatever_the_dags_limit(scheduler) -> None:
    ui, source = scheduler
    most, _ = _watch_backfill(ui, source, ["2024-01", "2024-02", "2024-03"], {}, manual=None)
    assert most >= 2, "the backfill's runs never overlapped"


def test_one_at_a_time_needs_the_backfills_own_limit_and_a_manual_run_still_overlaps(
    scheduler,
) -> None:
    ui, source = scheduler
    most, beside_manual = _watch_backfill(
        ui, source, ["2024-05", "2024-06"], {"max_active_runs": 1}, manual="2024-04"
    )
    assert most == 1
    # The manual run counts against the DAG's max_active_runs=1; the backfill's runs do not.
    assert beside_manual, "no backfill ingest ran beside the manual run's"
