"""
### ch03_show_dates: what a run knows about its own dates

One task that returns the date-related values Airflow hands every task, so a notebook can
put them side by side for a scheduled-style run and for a manual run without a logical date.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# [START dag]
@dag(
    dag_id="ch03_show_dates",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch03"],
)
def ch03_show_dates():
    @task(multiple_outputs=False)  # one dict, stored as one value
    def show(
        logical_date=None, ds=None, data_interval_start=None, data_interval_end=None, dag_run=None
    ) -> dict:
        return {
            "logical_date": _text(logical_date),
            "ds": ds,
            "data_interval_start": _text(data_interval_start),
            "data_interval_end": _text(data_interval_end),
            "run_after": _text(dag_run.run_after),
            "run_type": _text(dag_run.run_type),
        }

    show()


# [END dag]

ch03_show_dates()
