# Snapshot: `hello_pipeline` as it stands at the end of chapter 3 of the workbook.
# To use it, copy it to dags/hello_pipeline.py. Do not edit it here: it is generated
# from notebooks/dags/ch03_hello_weekdays.py by notebooks/_build/build_notebooks.py.
"""
### hello_pipeline: the first DAG, now on a weekday schedule

Chapter 3 edits the first DAG in place and changes one setting: instead of every day at
midnight it runs Monday to Friday at 06:00 UTC. Everything else stays as it was.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="hello_pipeline",
    schedule="0 6 * * 1-5",  # Monday to Friday at 06:00 UTC
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
