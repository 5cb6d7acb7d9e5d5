"""Self-checks of chapter 03, Scheduling and Triggers. A cron answer is checked by what it does:
Airflow computes its next runs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from workbook.schedules import next_runs, planned_runs
from workbook.selfchecks import own_pipeline
from workbook.selfchecks.registry import Hint, exercise, filled, need

if TYPE_CHECKING:
    from workbook.session import Workbook


def _cron_runs(cron: object, what: str, after: str, count: int) -> list[datetime]:
    filled(cron, what)
    need(isinstance(cron, str), f"{what} should be a string in quotes, like '0 6 * * *'.")
    need(
        len(str(cron).split()) == 5,
        f"{cron!r} does not have five fields (minute hour day-of-month month day-of-week).",
    )
    try:
        return next_runs(cron, after=after, count=count)
    except Exception as err:  # noqa: BLE001 - an invalid expression is the student's to fix
        raise Hint(f"Airflow cannot read {cron!r} as a schedule: {err}") from None


@exercise("ch03_weekday_cron", success="Monday to Friday at 06:00 UTC, and never at weekends")
def weekday_cron(wb: Workbook, cron: object) -> None:
    runs = _cron_runs(cron, "ex_weekday_cron", "2025-01-06", 10)  # a Monday
    times = {f"{r:%H:%M}" for r in runs}
    need(times == {"06:00"}, f"Your runs start at {sorted(times)}; they should start at 06:00.")
    days = sorted({r.isoweekday() for r in runs})
    need(6 not in days and 7 not in days, "Your schedule also runs at the weekend.")
    need(days == [1, 2, 3, 4, 5], "Your schedule skips a weekday: use the range 1-5.")


@exercise("ch03_second_of_month", success="07:30 UTC on the 2nd, once a month")
def second_of_month(wb: Workbook, cron: object) -> None:
    runs = _cron_runs(cron, "ex_second_of_month", "2025-01-01", 4)
    need(
        {f"{r:%H:%M}" for r in runs} == {"07:30"},
        "The first two fields are minute and hour: 07:30 is '30 7'.",
    )
    need({r.day for r in runs} == {2}, "The third field is the day of the month: use 2.")
    need(
        [r.month for r in runs] == [1, 2, 3, 4],
        "It should run every month: leave the month and day-of-week fields as *.",
    )


@exercise("ch03_catchup_count", success="that is exactly how many runs the timetable queues")
def catchup_count(wb: Workbook, answer: object) -> None:
    import pendulum
    from airflow.sdk import DAG

    filled(answer, "ex_catchup_runs")
    need(isinstance(answer, int), "Answer with a whole number, e.g. ex_catchup_runs = 5.")
    dag = DAG(
        "catchup_exercise",
        schedule="@weekly",
        start_date=pendulum.datetime(2025, 1, 6, tz="UTC"),
        catchup=True,
    )
    runs = planned_runs(dag, pendulum.datetime(2025, 3, 3, tz="UTC"))
    need(
        answer == len(runs),
        f"{answer} is not it. List the Sundays from 12 January to 2 March 2025: each one is a "
        "run (the first Sunday after the start date is the first run).",
    )


@exercise("ch03_interval_logical_date", success="the run covers 1 March and starts when it ends")
def interval_logical_date(wb: Workbook, answer: object) -> None:
    filled(answer, "ex_interval_logical_date")
    need(
        str(answer).strip() == "2024-03-01",
        f"{answer!r} is not it. With data intervals, a run starts when its interval ends, and "
        "its logical date is the interval's start.",
    )


@exercise("ch03_own_pipeline", success=own_pipeline.SUCCESS["03"])
def own_pipeline_step(wb: Workbook) -> None:
    own_pipeline.check(wb, "03")
