"""
### ch10_retry_append: a retry repeats everything the failed try already did

`load_then_confirm` loads one month into a table, then confirms with the source. When the
confirmation fails, Airflow retries the *whole* task, including the load. With `mode=append`
the retry loads the month a second time; with `mode=replace` it replaces it and nothing
is duplicated.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="ch10_retry_append",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"mode": "append"},
    tags=["week11", "ch10", "bad-example"],
)
def ch10_retry_append():
    # [START task]
    @task(retries=2, retry_delay=timedelta(minutes=1))
    def load_then_confirm(params=None) -> int:
        import duckdb

        source = os.environ["TAXI_SOURCE_URL"]
        with tempfile.TemporaryDirectory() as tmp:
            january = Path(tmp) / "january.parquet"
            urllib.request.urlretrieve(f"{source}/green_tripdata_2024-01.parquet", january)
            con = duckdb.connect(os.environ["TAXI_WAREHOUSE"])
            con.execute(
                "CREATE TABLE IF NOT EXISTS ch10_trips AS SELECT * FROM read_parquet(?) LIMIT 0",
                [str(january)],
            )
            if params["mode"] == "replace":
                con.execute("DELETE FROM ch10_trips")
            con.execute("INSERT INTO ch10_trips SELECT * FROM read_parquet(?)", [str(january)])
            (rows,) = con.execute("SELECT count(*) FROM ch10_trips").fetchone()
            con.close()
        # The confirmation call: if it fails, the whole task is retried, load included.
        urllib.request.urlopen(f"{source}/green_tripdata_2024-02.parquet").close()
        return int(rows)

    # [END task]

    load_then_confirm()


ch10_retry_append()
