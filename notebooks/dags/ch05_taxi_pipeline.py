"""
### ch05_taxi_pipeline: the month comes from the run, not from the code

The week's pipeline as chapter 5 leaves it:

    ingest_taxi_month >> dbt_run >> dbt_test >> notify

Each run loads **the month its logical date names**: the run for 2024-03-01 loads March 2024,
whenever it actually runs. That makes backfills possible: one run per past month, each one
loading its own month. A manual run may choose the month in its config (`{"month": "2024-03"}`);
a manual run without a logical date (Airflow 3 allows that) loads the month it was queued in.

`ingest_taxi_month` replaces the month's rows (delete, then insert, in one transaction), so a
rerun or a second backfill leaves the warehouse exactly as it was. Settings come from the
environment when a task runs: TAXI_SOURCE_URL, TAXI_WAREHOUSE, TAXI_DBT_PROJECT_DIR,
TAXI_NOTIFICATIONS and AIRFLOW_STUDENT.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.request
from datetime import date, datetime
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE_URL = "http://127.0.0.1:8765/trip-data"
SCHEMA = f"airflow_{os.environ.get('AIRFLOW_STUDENT', 'default')}"


# [START pure_helpers]
def parquet_url_for(month: date | str, base_url: str = DEFAULT_SOURCE_URL) -> str:
    """The URL of the file for `month` (a date, or a 'YYYY-MM-DD' / 'YYYY-MM' string)."""
    if isinstance(month, str):
        month = date.fromisoformat(month[:7] + "-01")
    return f"{base_url.rstrip('/')}/green_tripdata_{month:%Y-%m}.parquet"


def month_for_run(
    logical_date: datetime | None, run_after: datetime, requested: str | None
) -> date:
    """The first day of the month a run loads: asked for in the config, else the logical
    date's month, else (a manual run without a logical date) the month of run_after."""
    if requested:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", requested):
            raise ValueError(f"month {requested!r} is not of the form YYYY-MM, e.g. 2024-03")
        return date.fromisoformat(requested + "-01")
    moment = logical_date if logical_date is not None else run_after
    return date(moment.year, moment.month, 1)


# [END pure_helpers]


# [START run_month]
def _run_month() -> date:
    """The month of the run this task belongs to (read from Airflow's context)."""
    context = get_current_context()
    dag_run = context["dag_run"]
    return month_for_run(dag_run.logical_date, dag_run.run_after, context["params"].get("month"))


# [END run_month]


def _warehouse() -> str:
    return os.environ.get("TAXI_WAREHOUSE", str(PROJECT_ROOT / "warehouse" / "taxi.duckdb"))


# [START load]
def _replace_month(parquet: Path, month: date) -> int:
    """Delete the month's rows, then insert the file's rows, as one transaction."""
    import duckdb

    con = duckdb.connect(_warehouse())
    try:
        con.execute("BEGIN")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.raw_trips AS "
            "SELECT *, DATE '2000-01-01' AS source_month FROM read_parquet(?) LIMIT 0",
            [str(parquet)],
        )
        con.execute(f"DELETE FROM {SCHEMA}.raw_trips WHERE source_month = ?", [month])
        con.execute(
            f"INSERT INTO {SCHEMA}.raw_trips SELECT *, ? FROM read_parquet(?)",
            [month, str(parquet)],
        )
        (rows,) = con.execute(
            f"SELECT count(*) FROM {SCHEMA}.raw_trips WHERE source_month = ?", [month]
        ).fetchone()
        con.execute("COMMIT")
        return int(rows)
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()


# [END load]


def _dbt(command: str) -> None:
    """Run `dbt run` or `dbt test` inside this process (a dbt subprocess takes ~4 s to start)."""
    from dbt.cli.main import dbtRunner

    project = os.environ.get("TAXI_DBT_PROJECT_DIR", str(PROJECT_ROOT / "include" / "taxi_dbt"))
    os.environ["TAXI_SCHEMA"] = SCHEMA
    os.environ["TAXI_WAREHOUSE"] = _warehouse()
    result = dbtRunner().invoke([command, "--project-dir", project, "--profiles-dir", project])
    if not result.success:
        raise RuntimeError(f"dbt {command} failed; the dbt output above names the model or test")


# [START dag]
@dag(
    dag_id="ch05_taxi_pipeline",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # two dbt runs at once would trip over each other's tables
    default_args={"retries": 2},
    params={"month": Param(None, type=["null", "string"], description="YYYY-MM to load")},
    tags=["week11", "taxi"],
    doc_md=__doc__,
)
def ch05_taxi_pipeline():
    @task
    def ingest_taxi_month() -> int:
        month = _run_month()
        url = parquet_url_for(month, os.environ.get("TAXI_SOURCE_URL", DEFAULT_SOURCE_URL))
        with tempfile.TemporaryDirectory() as tmp:
            parquet = Path(tmp) / "month.parquet"
            urllib.request.urlretrieve(url, parquet)
            rows = _replace_month(parquet, month)
        print(f"loaded {rows} rows for {month:%Y-%m} into {SCHEMA}.raw_trips")
        return rows

    @task
    def dbt_run() -> None:
        _dbt("run")

    @task
    def dbt_test() -> None:
        _dbt("test")

    # [START notify]
    @task(trigger_rule="all_done")
    def notify() -> str:
        """Runs after the others whatever happened to them, and writes down how it went."""
        context = get_current_context()
        dag_run, ti = context["dag_run"], context["ti"]
        states = ti.get_task_states(dag_id=dag_run.dag_id, run_ids=[dag_run.run_id])
        others = {k: v for k, v in states[dag_run.run_id].items() if k != ti.task_id}
        failed = sorted(task_id for task_id, state in others.items() if state != "success")
        record = {
            "dag_id": dag_run.dag_id,
            "month": f"{_run_month():%Y-%m}",
            "failed_tasks": failed,
        }
        record["status"] = "failed" if failed else "success"
        path = Path(os.environ.get("TAXI_NOTIFICATIONS", "notifications.jsonl"))
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        if failed:  # the note is written; now turn the run red (and never retry this)
            raise AirflowFailException(f"the pipeline failed at {', '.join(failed)}")
        return "success"

    # [END notify]

    ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()


# [END dag]

ch05_taxi_pipeline()
