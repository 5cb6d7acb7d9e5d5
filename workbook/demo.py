"""`make demo`: the reference pipeline for one month, the course's 7-run backfill, then the same
range again, with row counts per month before and after the rerun. Idempotency you can see."""

from __future__ import annotations

import json
import os
import shutil

from rich.console import Console
from rich.table import Table

from taxi_source import daemon
from workbook import paths, runner, warehouse

FIRST, LAST = "2024-01", "2024-07"


class DemoError(RuntimeError):
    """The demo could not run; the message says why and what to do."""


def _fresh_demo_files() -> None:
    demo_dir = paths.REPO_ROOT / "warehouse" / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    # The demo never touches the warehouse the notebooks use.
    os.environ["TAXI_WAREHOUSE"] = str(demo_dir / "taxi.duckdb")
    os.environ["TAXI_NOTIFICATIONS"] = str(demo_dir / "notifications.jsonl")


def main(console: Console) -> None:
    _fresh_demo_files()
    try:
        os.environ["TAXI_SOURCE_URL"] = daemon.ensure_running()
    except daemon.SourceUnavailable as exc:
        raise DemoError(str(exc)) from None
    console.rule("[bold]1. One month: taxi_pipeline for logical date 2024-01-01")
    first = runner.run_dag("taxi_pipeline", "2024-01-01")
    console.print(first.summary())
    if not first.succeeded:
        raise DemoError(
            "the first run failed; run `workbook run taxi_pipeline --date 2024-01-01 "
            "--log ingest_taxi_month` to see why"
        )

    console.rule(f"[bold]2. The 7-run backfill, {FIRST} to {LAST}")
    for report in runner.backfill("taxi_pipeline", FIRST, LAST):
        console.print(report.summary().splitlines()[0])
    before = warehouse.month_counts()
    before_fp = warehouse.fingerprint()

    console.rule("[bold]3. The same range again (a rerun must change nothing)")
    for report in runner.backfill("taxi_pipeline", FIRST, LAST):
        console.print(report.summary().splitlines()[0])
    after = warehouse.month_counts()
    after_fp = warehouse.fingerprint()

    table = Table(title="raw_trips rows per month")
    for column in ("month", "after backfill", "after rerun", ""):
        table.add_column(column, justify="right")
    for month in sorted(set(before) | set(after)):
        same = before.get(month) == after.get(month)
        table.add_row(
            month,
            str(before.get(month, 0)),
            str(after.get(month, 0)),
            "[green]unchanged[/]" if same else "[red]CHANGED[/]",
        )
    console.print(table)
    for name, (rows, checksum) in after_fp.items():
        verdict = "identical" if before_fp[name] == (rows, checksum) else "DIFFERENT"
        console.print(f"  {name:<10} {rows:>6} rows  checksum {checksum}  {verdict}")

    notes = [json.loads(line) for line in paths.notifications_path().read_text().splitlines()]
    console.rule(f"[bold]Notifications written: {len(notes)}")
    for note in notes[-3:]:
        console.print(f"  {note['month']}  {note['status']:<8} {note['run_id']}")
    console.print(f"  (all in {paths.notifications_path()})")
    if before != after or before_fp != after_fp:
        raise DemoError("the rerun changed the warehouse: the load is not idempotent")
