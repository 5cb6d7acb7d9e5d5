"""
### ch03_asset_producer: announces that raw_trips has new rows

Its only task declares the asset `raw_trips` as an outlet. When the task succeeds, Airflow
records an asset event; a DAG scheduled on that asset (`ch03_asset_consumer`) is then due.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

# Assets are matched by name. A URI is optional, and it must be a real one: in
# "file://warehouse/taxi.duckdb" the word warehouse would be the host, not a folder.
RAW_TRIPS = Asset(name="taxi_raw_trips")


@dag(
    dag_id="ch03_asset_producer",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch03"],
)
def ch03_asset_producer():
    @task(outlets=[RAW_TRIPS])
    def load_raw_trips() -> str:
        return "pretend the month's trips were loaded"

    load_raw_trips()


ch03_asset_producer()
