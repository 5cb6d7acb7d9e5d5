"""
### ch10_xcom_sizes: what a task returns ends up in Airflow's database

`rows_through_xcom` returns a whole month of trips, so every row is serialized into the
metadata database. `path_through_xcom` writes the rows to a file and returns only its path and
row count, which is what XCom is for.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from pathlib import Path

import pendulum
from airflow.sdk import dag, task


def _month_file(month: str) -> Path:
    target = Path(tempfile.gettempdir()) / f"ch10_green_{month}.parquet"
    urllib.request.urlretrieve(
        f"{os.environ['TAXI_SOURCE_URL']}/green_tripdata_{month}.parquet", target
    )
    return target


@dag(
    dag_id="ch10_xcom_sizes",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch10", "bad-example"],
)
def ch10_xcom_sizes():
    # [START tasks]
    @task
    def rows_through_xcom() -> list[dict]:
        import pyarrow.parquet as pq

        rows = pq.read_table(_month_file("2024-01")).to_pylist()
        return [{k: str(v) for k, v in row.items()} for row in rows]  # every trip, into XCom

    @task(multiple_outputs=False)
    def path_through_xcom() -> dict:
        import pyarrow.parquet as pq

        path = _month_file("2024-01")
        return {"path": str(path), "rows": pq.read_metadata(path).num_rows}  # a reference

    # [END tasks]

    rows_through_xcom()
    path_through_xcom()


ch10_xcom_sizes()
