"""Chapter 07's guided tour of the real UI (`make ui`), walked in headless Chromium against the
real api-server and scheduler: trigger with a config, this month's scheduled run loading an
older, published month, clearing a task, a backfill from the UI, the Grid, the Graph, a task log
and the Rendered tab.
It ends with the assignment's three screenshots in test-artifacts/ui_tour/ (git-ignored)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from taxi_source.server import default_latest_month, serve_in_thread
from tests.conftest import REPO
from tests.support.airflow_ui import RunningUI, _wait_for, start_ui, stop_ui, wait_until_ready
from tests.support.browser import find_chromium
from tests.support.reference_dag import reference_dag

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
DAG = "taxi_pipeline"
SHOTS = REPO / "test-artifacts" / "ui_tour"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium: run `python -m workbook.system_setup` or set CHROMIUM_PATH")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(binary), headless=True)
        yield launched
        launched.close()


def _dialog(page: Page) -> Locator:
    return page.locator("[role=dialog][data-state=open]")


def _log_in(page: Page, ui: RunningUI) -> None:
    page.goto(f"{ui.base}/")
    page.locator("input[name=username]").fill(ui.user)
    page.locator("input[type=password]").fill(ui.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui.base}/")


def _run_url(ui: RunningUI, run_id: str, task: str | None = None) -> str:
    url = f"{ui.base}/dags/{DAG}/runs/{urllib.parse.quote(run_id)}"
    return f"{url}/tasks/{task}" if task else url


def _runs(ui: RunningUI) -> list[dict]:
    return ui.get(f"dags/{DAG}/dagRuns", limit=50)["dag_runs"]


def _state_of(ui: RunningUI, run_id: str) -> str:
    return ui.get(f"dags/{DAG}/dagRuns/{urllib.parse.quote(run_id)}")["state"]


def _wait_finished(ui: RunningUI, run_ids: list[str], seconds: float = 300) -> dict[str, str]:
    def states() -> dict[str, str] | None:
        found = {run_id: _state_of(ui, run_id) for run_id in run_ids}
        return found if all(s in ("success", "failed") for s in found.values()) else None

    return _wait_for(states, seconds)


def _trigger_with_month(page: Page, ui: RunningUI, month: str) -> None:
    page.goto(f"{ui.base}/dags/{DAG}")
    page.get_by_role("button", name="Trigger").click()
    dialog = _dialog(page)
    expect(dialog.get_by_text("Unpause taxi_pipeline on trigger")).to_be_visible()
    dialog.locator("#element_month").fill(month)  # the DAG's `month` param, as a form field
    dialog.get_by_role("button", name="Trigger").click()
    page.wait_for_url("**/runs/manual__*")


def _clear_task(page: Page, ui: RunningUI, run_id: str, task: str) -> None:
    page.goto(_run_url(ui, run_id, task))
    page.get_by_role("button", name="Press shift+c to clear").click()
    _dialog(page).get_by_role("button", name="Confirm").click()
    expect(_dialog(page)).to_have_count(0)


def _backfill(page: Page, ui: RunningUI, first_day: str, last_day: str) -> None:
    page.goto(f"{ui.base}/dags/{DAG}")
    page.get_by_role("button", name="Trigger").click()
    dialog = _dialog(page)
    dialog.get_by_text("Backfill", exact=True).click()
    for index, day in enumerate((first_day, last_day)):
        dialog.get_by_test_id("datetime-input").nth(index).click()
        picker = page.locator("[data-scope=popover][data-part=content][data-state=open]")
        picker.get_by_placeholder("YYYY/MM/DD").fill(day)
        picker.get_by_placeholder("HH:mm").fill("00:00")
        page.keyboard.press("Escape")  # closes the date picker, not the dialog
    # The UI's default is one run at a time (the CLI's and the REST API's is 10).
    expect(dialog.locator("input[name=max_active_runs]")).to_have_value("1")
    dialog.get_by_role("button", name="Run Backfill").click()
    expect(_dialog(page)).to_have_count(0)


def _march_rows(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        query = "SELECT count(*) FROM airflow_default.raw_trips WHERE source_month = ?"
        return con.execute(query, [date(2024, 3, 1)]).fetchone()[0]


def test_the_ui_tour_ends_with_the_assignments_three_screenshots(
    tmp_path: Path, chromium: Browser
) -> None:
    older = f"{reference_dag().scheduled_month(datetime.now(UTC)):%Y-%m}"
    source = serve_in_thread(latest_month=default_latest_month())  # this month: not published
    env = {
        "TAXI_WAREHOUSE": str(tmp_path / "taxi.duckdb"),
        "TAXI_NOTIFICATIONS": str(tmp_path / "notifications.jsonl"),
        "AIRFLOW_STUDENT": "default",
    }
    proc, port, log = start_ui(tmp_path, source.base_url, extra_env=env)
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    try:
        ui = wait_until_ready(port, tmp_path / "airflow", {DAG})
        _log_in(page, ui)

        # 1. Trigger with a config; "Unpause on trigger" also lets the scheduler create this
        #    month's scheduled run. max_active_runs=1: one of the two waits for the other.
        _trigger_with_month(page, ui, "2024-03")
        manual = urllib.parse.unquote(page.url.rsplit("/runs/", 1)[1])
        scheduled = _wait_for(
            lambda: next((r for r in _runs(ui) if r["run_type"] == "scheduled"), None), 120
        )["dag_run_id"]
        assert _wait_finished(ui, [scheduled, manual]) == {
            scheduled: "success",
            manual: "success",
        }, (tmp_path / "ui.log").read_text(errors="replace")[-3000:]

        # 2. The scheduled run loaded the month three back, the newest surely published; nothing
        #    asked for this month's file.
        page.goto(_run_url(ui, scheduled, "ingest_taxi_month"))
        expect(page.get_by_text(re.compile(rf"loaded \d+ rows for {older}"))).to_be_visible()
        assert {r["month"] for r in source.requests()} == {"2024-03", older}

        # 2b. Clear the manual run's ingest with its downstream tasks: it runs again and the
        #     month is replaced, not added.
        before = _march_rows(tmp_path / "taxi.duckdb")
        _clear_task(page, ui, manual, "ingest_taxi_month")
        _wait_for(lambda: len(source.requests("2024-03")) == 2, 120)
        assert _wait_finished(ui, [manual]) == {manual: "success"}
        assert _march_rows(tmp_path / "taxi.duckdb") == before > 0

        # 3. A backfill from the UI (the chapter backfills two months; one keeps the test short).
        _backfill(page, ui, "2024/01/01", "2024/01/01")
        backfill = _wait_for(lambda: ui.get("backfills", dag_id=DAG)["backfills"], 30)
        assert [b["max_active_runs"] for b in backfill] == [1]
        backfilled = _wait_for(
            lambda: (
                (found := [r["dag_run_id"] for r in _runs(ui) if r["run_type"] == "backfill"])
                and len(found) == 1
                and found
            ),
            60,
        )
        assert set(_wait_finished(ui, backfilled).values()) == {"success"}

        # 4. Screenshot 1: the Grid, every run green.
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.goto(f"{ui.base}/dags/{DAG}")
        page.get_by_role("button", name="Show Grid (Press g)").click()
        expect(page.get_by_text("ingest_taxi_month", exact=True).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=SHOTS / "1_grid_green_runs.png")
        assert {r["state"] for r in _runs(ui)} == {"success"}

        # 5. Screenshot 2: the Graph of the manual run, four green tasks.
        page.goto(_run_url(ui, manual))
        page.get_by_role("button", name="Show Graph (Press g)").click()
        flow = page.locator(".react-flow")
        for task in ("ingest_taxi_month", "dbt_run", "dbt_test", "notify"):
            expect(flow.get_by_text(task, exact=True)).to_be_visible()
        expect(flow.get_by_text("success", exact=True)).to_have_count(4)
        page.screenshot(path=SHOTS / "2_graph.png")

        # 6. Screenshot 3: the ingest's log says which month it loaded (the config's).
        page.get_by_role("button", name="Show Grid (Press g)").click()
        page.goto(_run_url(ui, manual, "ingest_taxi_month"))
        expect(page.get_by_text(re.compile(r"loaded \d+ rows for 2024-03"))).to_be_visible()
        page.screenshot(path=SHOTS / "3_task_log.png")

        # 7. The Rendered Templates tab: what Airflow filled in for this try.
        page.get_by_text("Rendered Templates", exact=True).click()
        expect(page.get_by_text("op_kwargs")).to_be_visible()
    finally:
        page.close()
        stop_ui(proc, log)
        source.stop()
    for name in ("1_grid_green_runs.png", "2_graph.png", "3_task_log.png"):
        assert (SHOTS / name).stat().st_size > 20_000, name  # a real picture, not a blank page
