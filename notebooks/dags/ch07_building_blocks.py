"""
### ch07_building_blocks: a sensor, a task group, dynamic task mapping and a failure callback

Checks a quarter of taxi months in one run:

    wait_for_source >> months[months_to_check >> size_of (one task per month) >> report]

* `wait_for_source` is a **sensor** in `reschedule` mode: while the source does not answer, it
  frees its worker slot and asks again later, instead of sleeping in a slot.
* `months` is a **TaskGroup**: one box in the Graph view, ids prefixed `months.`.
* `size_of` is **mapped** over the run's months with `.expand()`: the number of tasks is
  decided when the run starts, from data, not when the file is written.
* `on_failure_callback` is called by Airflow when a task fails for good: here it appends a line
  to the notifications file, the way an alert to a chat channel would be sent.

`schedule=None` is Airflow 3's default (only manual or asset-triggered runs), where Airflow 2
defaulted to daily; it is written out because code read by both versions must not differ.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import timedelta

import pendulum
from airflow.sdk import BaseSensorOperator, TaskGroup, dag, task

DEFAULT_SOURCE_URL = "http://127.0.0.1:8765/trip-data"


def _source() -> str:
    return os.environ.get("TAXI_SOURCE_URL", DEFAULT_SOURCE_URL).rstrip("/")


# [START sensor_class]
class SourceAnswers(BaseSensorOperator):
    """Done as soon as the taxi source answers at all; until then, asked every poke_interval."""

    def poke(self, context) -> bool:
        try:
            with urllib.request.urlopen(_source() + "/", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True  # it answers (with an error page): that is all we wait for
        except OSError:
            return False  # not up yet: ask again after poke_interval


# [END sensor_class]


# [START callback]
def record_failure(context) -> None:
    """Airflow calls this once a task has failed for good (after its retries)."""
    ti = context["ti"]
    line = {"dag_id": ti.dag_id, "task_id": ti.task_id, "status": "failed"}
    path = os.environ.get("TAXI_NOTIFICATIONS")
    if path:
        with open(path, "a", encoding="utf-8") as notes:
            notes.write(json.dumps(line) + "\n")


# [END callback]


@dag(
    dag_id="ch07_building_blocks",
    # Airflow 3's default (Airflow 2 defaulted to daily); ruff's AIR002 asks to write it out.
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch07"],
    params={"months": ["2024-01", "2024-02", "2024-03"]},
    default_args={"on_failure_callback": record_failure, "retries": 0},
)
def ch07_building_blocks():
    # [START sensor]
    wait_for_source = SourceAnswers(
        task_id="wait_for_source",
        poke_interval=30,
        timeout=timedelta(hours=1).total_seconds(),
        mode="reschedule",
    )
    # [END sensor]

    # [START mapping]
    @task
    def months_to_check(params=None) -> list[str]:
        return list(params["months"])

    with TaskGroup("months") as months:

        @task
        def size_of(month: str) -> int:
            url = f"{_source()}/green_tripdata_{month}.parquet"
            with urllib.request.urlopen(url, timeout=30) as answer:
                return len(answer.read())

        @task
        def report(sizes: list[int]) -> str:
            return f"{len(sizes)} files, {sum(sizes)} bytes"

        report(size_of.expand(month=months_to_check()))
    # [END mapping]

    wait_for_source >> months


ch07_building_blocks()
