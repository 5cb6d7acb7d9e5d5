"""Schedules without a scheduler: the runs a timetable creates, next run times, descriptions."""

from __future__ import annotations

import pendulum

from workbook.schedules import describe_schedule, next_runs, planned_runs


def test_next_runs_of_a_weekday_cron() -> None:
    runs = next_runs("0 6 * * 1-5", after="2025-01-03", count=3)  # a Friday, midnight
    assert [f"{r:%a %d %H:%M}" for r in runs] == ["Fri 03 06:00", "Mon 06 06:00", "Tue 07 06:00"]


def test_catchup_creates_every_interval_and_no_catchup_only_the_latest() -> None:
    from airflow.sdk import DAG

    dag = DAG(
        "planned",
        schedule="@weekly",
        start_date=pendulum.datetime(2025, 1, 6, tz="UTC"),
        catchup=True,
    )
    until = pendulum.datetime(2025, 3, 3, tz="UTC")
    every = planned_runs(dag, until)
    assert len(every) == 8
    assert every[0].logical_date == pendulum.datetime(2025, 1, 12, tz="UTC")
    assert [r.run_after for r in planned_runs(dag, until, catchup=False)] == [every[-1].run_after]


def test_describe_schedule_names_airflow_3s_timetable() -> None:
    assert describe_schedule("0 6 * * *").startswith("CronTriggerTimetable: ")
