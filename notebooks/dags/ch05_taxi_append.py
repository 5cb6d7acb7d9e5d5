"""
### ch05_taxi_append: a pipeline that is NOT idempotent (on purpose)

The same steps as `ch05_taxi_pipeline`, with one line missing: the load appends the month's
rows without first deleting the rows an earlier run of the same month left behind. Run it
twice for one month and every trip is in `raw_trips` twice; `dbt test` then finds duplicate
`trip_key`s. Chapter 5 uses it to show why the delete matters.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

SCHEMA = f"airflow_{os.environ.get('AIRFLOW_STUDENT', 'default')}"


# [START append]
def _append_month(parquet: Path, month: str) -> int:
    """Insert the file's rows. Nothing removes what an earlier run inserted."""
    import duckdb

    con = duckdb.connect(os.environ["TAXI_WAREHOUSE"])
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.raw_trips AS "
            "SELECT *, DATE '2000-01-01' AS source_month FROM read_parquet(?) LIMIT 0",
            [str(parquet)],
        )
        con.execute(
            f"INSERT INTO {SCHEMA}.raw_trips SELECT *, ?::DATE FROM read_parquet(?)",
            [f"{month}-01", str(parquet)],
        )
        (rows,) = con.execute(f"SELECT count(*) FROM {SCHEMA}.raw_trips").fetchone()
        return int(rows)
    finally:
        con.close()


# [END append]


def _dbt(command: str) -> None:
    from dbt.cli.main import dbtRunner

    project = os.environ["TAXI_DBT_PROJECT_DIR"]
    os.environ["TAXI_SCHEMA"] = SCHEMA
    result = dbtRunner().invoke([command, "--project-dir", project, "--profiles-dir", project])
    if not result.success:
        raise RuntimeError(f"dbt {command} failed; the dbt output above names the model or test")


@dag(
    dag_id="ch05_taxi_append",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["week11", "taxi", "bad-example"],
    doc_md=__doc__,
)
def ch05_taxi_append():
    @task
    def ingest_taxi_month(logical_date=None) -> int:
        month = f"{logical_date:%Y-%m}"
        url = f"{os.environ['TAXI_SOURCE_URL']}/green_tripdata_{month}.parquet"
        with tempfile.TemporaryDirectory() as tmp:
            parquet = Path(tmp) / "month.parquet"
            urllib.request.urlretrieve(url, parquet)
            rows = _append_month(parquet, month)
        print(f"raw_trips now holds {rows} rows")
        return rows

    @task
    def dbt_run() -> None:
        _dbt("run")

    @task
    def dbt_test() -> None:
        _dbt("test")

    ingest_taxi_month() >> dbt_run() >> dbt_test()


ch05_taxi_append()
