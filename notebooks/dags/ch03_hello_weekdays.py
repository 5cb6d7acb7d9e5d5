"""
### ch03_hello_weekdays: the first DAG, now on a weekday schedule

Chapter 3 edits the first DAG in place and changes one setting: instead of every day at
midnight it runs Monday to Friday at 06:00 UTC. Everything else stays as it was.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="ch03_hello_weekdays",
    schedule="0 6 * * 1-5",  # Monday to Friday at 06:00 UTC
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "intro"],
    doc_md=__doc__,
)
def ch03_hello_weekdays():
    @task
    def pick_number(ds: str | None = None) -> int:
        """Turn the run's date into a number, so every run has its own."""
        return int(ds.replace("-", "")) % 100 if ds else 42

    @task
    def say_hello(number: int) -> str:
        message = f"Hello from Airflow 3! Today's number is {number}."
        print(message)
        return message

    say_hello(pick_number())


ch03_hello_weekdays()
