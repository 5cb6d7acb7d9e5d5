"""
### ch03_asset_consumer: runs when raw_trips has changed, not at a time of day

Its schedule is an asset. A scheduler starts it after every update of `raw_trips`; such a run
has no logical date in Airflow 3, because no calendar slot is involved.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

# Assets are matched by name. A URI is optional, and it must be a real one: in
# "file://warehouse/taxi.duckdb" the word warehouse would be the host, not a folder.
RAW_TRIPS = Asset(name="taxi_raw_trips")


# [START dag]
@dag(
    dag_id="ch03_asset_consumer",
    schedule=[RAW_TRIPS],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch03"],
)
def ch03_asset_consumer():
    @task
    def refresh_dashboard(logical_date=None, dag_run=None) -> str:
        return f"logical_date={logical_date}, run_after={dag_run.run_after:%Y-%m-%d %H:%M}"

    refresh_dashboard()


# [END dag]

ch03_asset_consumer()
