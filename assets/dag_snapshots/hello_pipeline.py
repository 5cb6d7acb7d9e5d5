"""
### hello_pipeline: the smallest useful DAG

Two tasks and one edge: `pick_number` hands an integer to `say_hello` through XCom.
It runs once a day; trigger it by hand to see a run from start to finish.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="hello_pipeline",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "intro"],
    doc_md=__doc__,
)
def hello_pipeline():
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


hello_pipeline()
