"""
### ch10_which_month: the clock versus the logical date

Two tasks answer "which month does this run load?". One asks the clock, the other asks the
run. Only the second gives the same answer on a retry, a late run or a backfill.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task


@dag(
    dag_id="ch10_which_month",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    max_active_runs=1,
    catchup=False,
    tags=["week11", "ch10", "bad-example"],
)
def ch10_which_month():
    # [START clock]
    @task
    def month_from_clock() -> str:
        return pendulum.now("UTC").format("YYYY-MM")  # wrong: the month *today*

    # [END clock]

    # [START logical]
    @task
    def month_from_logical_date() -> str:
        dag_run = get_current_context()["dag_run"]
        return f"{dag_run.logical_date or dag_run.run_after:%Y-%m}"  # the month of *the run*

    # [END logical]

    month_from_clock()
    month_from_logical_date()


ch10_which_month()
