"""What a timetable would do, without a scheduler: the runs a DAG would get, the next run times
of a schedule, and how Airflow describes it. Chapter 3's pictures and self-checks use these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workbook.console import quiet

MAX_PLANNED_RUNS = 5000  # a bound for schedules that never end (every minute since 2020 ...)


@dataclass(frozen=True)
class PlannedRun:
    logical_date: datetime | None
    run_after: datetime
    interval_start: datetime | None
    interval_end: datetime | None


def planned_runs(dag: Any, until: datetime, *, catchup: bool | None = None) -> list[PlannedRun]:
    """The runs a scheduler would create for `dag` from its start_date up to `until`.

    With catchup (the DAG's own setting unless given) that is every interval since the start;
    without it, only the latest one, as Airflow 3 does by default.
    """
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = coerce_to_core_timetable(dag.timetable)
    restriction = TimeRestriction(dag.start_date, None, True)
    runs: list[PlannedRun] = []
    last = None
    while len(runs) < MAX_PLANNED_RUNS:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None or info.run_after > until:
            break
        runs.append(
            PlannedRun(
                info.logical_date,
                info.run_after,
                info.data_interval.start if info.data_interval else None,
                info.data_interval.end if info.data_interval else None,
            )
        )
        last = info.data_interval
    catchup = dag.catchup if catchup is None else catchup
    # Without catchup, the scheduler creates only the most recent run that is due.
    return runs if catchup else runs[-1:]


def next_runs(schedule: Any, after: str | datetime, count: int = 5) -> list[datetime]:
    """The next `count` run times of a schedule ("0 6 * * 1-5", "@daily", a timetable)."""
    import pendulum
    from airflow.sdk import DAG

    start = pendulum.parse(after, tz="UTC") if isinstance(after, str) else after
    with quiet():
        dag = DAG("schedule_preview", schedule=schedule, start_date=start, catchup=True)
    far = pendulum.instance(start).add(years=5)
    found: list[datetime] = []
    for run in planned_runs(dag, far, catchup=True):
        if run.run_after >= start:
            found.append(run.run_after)
        if len(found) == count:
            break
    return found


def describe_schedule(schedule: Any) -> str:
    """The timetable Airflow builds for a schedule, and its plain-English summary."""
    import pendulum
    from airflow.sdk import DAG
    from airflow.serialization.encoders import coerce_to_core_timetable

    with quiet():
        dag = DAG("schedule_preview", schedule=schedule, start_date=pendulum.datetime(2024, 1, 1))
    timetable = coerce_to_core_timetable(dag.timetable)
    return f"{type(timetable).__name__}: {timetable.description or timetable.summary}"
