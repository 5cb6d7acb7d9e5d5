"""Self-checks of chapter 05, Parameterized Runs and Backfills."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from workbook.selfchecks import own_pipeline
from workbook.selfchecks.registry import (
    Hint,
    answer_dict,
    compared,
    exercise,
    need,
    prediction,
    run_reports,
)

if TYPE_CHECKING:
    from workbook.session import Workbook

# (logical_date, run_after, conf) -> the month a run should load, and the story of that run.
MONTH_CASES: list[tuple[tuple[datetime | None, datetime, dict[str, Any]], str, str]] = [
    ((datetime(2024, 3, 1, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC), {}), "2024-03",
     "a scheduled run for 2024-03-01"),
    ((datetime(2024, 12, 31, 23, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), {}), "2024-12",
     "a run whose logical date is late on 31 December"),
    ((None, datetime(2024, 6, 15, tzinfo=UTC), {}), "2024-06",
     "a manual run without a logical date, queued on 2024-06-15"),
    ((datetime(2024, 3, 1, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC), {"month": "2024-02"}),
     "2024-02", "a run whose config asks for 2024-02"),
    ((None, datetime(2026, 1, 5, tzinfo=UTC), {"month": "2024-02"}), "2024-02",
     "a manual run without a logical date whose config asks for 2024-02"),
]  # fmt: skip
IDEMPOTENT_LOADS = {
    "delete the month's rows, then insert the month's file, in one transaction": True,
    "append the month's file to raw_trips": False,
    "replace a table that holds only this month (CREATE OR REPLACE TABLE)": True,
    "append the file with a loaded_at = now() column": False,
}


@exercise("ch05_month_for", success="config first, then the logical date, then run_after")
def month_for(wb: Workbook, month_for: object) -> None:
    need(callable(month_for), "ex_month_for should stay a function: def ex_month_for(...):")
    function = cast("Callable[..., object]", month_for)
    for args, expected, story in MONTH_CASES:
        try:
            got = function(*args)
        except Exception as err:  # noqa: BLE001 - reported as a hint
            raise Hint(f"For {story}, your function raised {type(err).__name__}: {err}") from None
        need(got is not None, f"For {story}, your function returned None: return a 'YYYY-MM'.")
        need(
            got == expected, f"For {story}, your function returned {got!r}; expected {expected!r}."
        )


BACKFILL_LOADS = ("its logical date's month", "the month in its config", "today's month")


@exercise("ch05_backfill_range", success="three runs, August to October 2024, all green")
def backfill_range(wb: Workbook, reports: object, predicted: object = ...) -> str:
    guess = prediction(predicted, "ex_backfill_prediction", BACKFILL_LOADS)
    runs = run_reports(
        reports, "ex_backfill", "ex_backfill should hold what wb.backfill(...) returns."
    )
    need(
        {r.dag_id for r in runs} == {"ch05_taxi_pipeline"},
        "Backfill ch05_taxi_pipeline, the parameterized one.",
    )
    months = [f"{r.logical_date:%Y-%m}" for r in runs if r.logical_date]
    need(
        months == ["2024-08", "2024-09", "2024-10"],
        f"Your backfill ran {months}; it should run 2024-08, 2024-09 and 2024-10, in order.",
    )
    failed = [m for m, r in zip(months, runs, strict=True) if not r.succeeded]
    need(not failed, f"These months did not succeed: {failed}. Read their logs with wb.log(...).")
    counts = wb.counts()
    need(
        all(counts.get(m, 0) > 0 for m in months),
        "The warehouse has no rows for those months; did the runs use this notebook's set-up?",
    )
    return compared(
        guess,
        BACKFILL_LOADS[0],
        "a backfill passes no config, so the month rule falls back to the logical date, "
        "and each run loaded its own month whenever it ran.",
    )


@exercise("ch05_which_idempotent", success="you can tell a safe rerun from a duplicating one")
def which_idempotent(wb: Workbook, answers: object) -> None:
    given_answers = answer_dict(answers, "ex_idempotent")
    for load, answer in IDEMPOTENT_LOADS.items():
        given = given_answers.get(load)
        need(isinstance(given, bool), f"Answer True or False for “{load}”.")
        need(
            given == answer,
            f"Think again about “{load}”: run it twice for the same month. Is the table the "
            "same as after one run?",
        )


@exercise("ch05_own_pipeline", success=own_pipeline.SUCCESS["05"])
def own_pipeline_step(wb: Workbook) -> None:
    own_pipeline.check(wb, "05")
