"""The five steps of a nightly taxi load, as plain Python functions. No Airflow in here.

Chapter 1 runs these very functions twice: one after the other in a script, as a cron entry
would (`notebooks/scripts/ch01_nightly_job.py`), and as the tasks of a DAG, as an orchestrator
does (`ch01_nightly_dag.py`). Settings come from the environment: TAXI_SOURCE_URL,
TAXI_WAREHOUSE, TAXI_DBT_PROJECT_DIR and TAXI_NOTIFICATIONS.
"""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = "airflow_default"


def download(month: str) -> Path:
    """Step 1: fetch the month's file into a landing folder next to the warehouse."""
    url = f"{os.environ['TAXI_SOURCE_URL']}/green_tripdata_{month}.parquet"
    landing = Path(os.environ["TAXI_WAREHOUSE"]).parent / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    target = landing / f"green_tripdata_{month}.parquet"
    urllib.request.urlretrieve(url, target)
    return target


def load_raw(month: str, file: Path) -> int:
    """Step 2: check the file, then replace the month's rows in raw_trips."""
    import duckdb

    con = duckdb.connect(os.environ["TAXI_WAREHOUSE"])
    try:
        (no_vendor,) = con.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE VendorID IS NULL", [str(file)]
        ).fetchone()
        if no_vendor:
            raise ValueError(f"{file.name}: {no_vendor} trips have no VendorID; not loading it")
        con.execute("BEGIN")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.raw_trips AS "
            "SELECT *, DATE '2000-01-01' AS source_month FROM read_parquet(?) LIMIT 0",
            [str(file)],
        )
        con.execute(f"DELETE FROM {SCHEMA}.raw_trips WHERE source_month = ?::DATE", [month + "-01"])
        con.execute(
            f"INSERT INTO {SCHEMA}.raw_trips SELECT *, ?::DATE FROM read_parquet(?)",
            [month + "-01", str(file)],
        )
        con.execute("COMMIT")
        (rows,) = con.execute(f"SELECT count(*) FROM {SCHEMA}.raw_trips").fetchone()
        return int(rows)
    finally:
        con.close()


def dbt(command: str) -> None:
    """Steps 3 and 4: `dbt run` builds the models, `dbt test` checks them."""
    from dbt.cli.main import dbtRunner

    project = os.environ["TAXI_DBT_PROJECT_DIR"]
    os.environ["TAXI_SCHEMA"] = SCHEMA
    args = [command, "--project-dir", project, "--profiles-dir", project, "--log-level", "warn"]
    if not dbtRunner().invoke(args).success:
        raise RuntimeError(f"dbt {command} failed")


def notify(month: str, status: str, detail: str) -> None:
    """Step 5: tell the team. Here: one line in a notifications file (think Slack, e-mail)."""
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "month": month,
        "status": status,
        "detail": detail,
    }
    with Path(os.environ["TAXI_NOTIFICATIONS"]).open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
