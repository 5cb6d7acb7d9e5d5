# Snapshot: `taxi_pipeline` as it stands at the end of chapter 4 of the workbook.
# To use it, copy it to dags/taxi_pipeline.py. Do not edit it here: it is generated
# from notebooks/dags/ch04_taxi_pipeline.py by notebooks/_build/build_notebooks.py.
"""
### taxi_pipeline: one taxi month, three strict steps and a notification

The week's pipeline as chapter 4 leaves it:

    ingest_taxi_month >> dbt_run >> dbt_test >> notify

* `ingest_taxi_month` downloads one month of green-taxi trips and replaces that month's rows
  in `raw_trips` (delete, then insert, in one transaction), so running it twice is harmless.
* `dbt_run` rebuilds the dbt models `stg_trips` and `fct_trips`; `dbt_test` tests them.
* `notify` runs whatever happened before it and records how the run went.

The month is still written into the code (January 2024). Chapter 5 takes it from the run's
logical date instead. Settings come from the environment when a task runs: TAXI_SOURCE_URL,
TAXI_WAREHOUSE, TAXI_DBT_PROJECT_DIR, TAXI_NOTIFICATIONS and AIRFLOW_STUDENT.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.request
from datetime import date
from pathlib import Path

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MONTH = date(2024, 1, 1)  # hard-coded for now; chapter 5 derives it from the logical date
SCHEMA = f"airflow_{os.environ.get('AIRFLOW_STUDENT', 'default')}"


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
    dag_id="taxi_pipeline",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "taxi"],
    doc_md=__doc__,
)
def taxi_pipeline():
    @task
    def ingest_taxi_month() -> int:
        base = os.environ.get("TAXI_SOURCE_URL", "http://127.0.0.1:8765/trip-data")
        url = f"{base}/green_tripdata_{MONTH:%Y-%m}.parquet"
        with tempfile.TemporaryDirectory() as tmp:
            parquet = Path(tmp) / "month.parquet"
            urllib.request.urlretrieve(url, parquet)
            rows = _replace_month(parquet, MONTH)
        print(f"loaded {rows} rows for {MONTH:%Y-%m} into {SCHEMA}.raw_trips")
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
        record = {"dag_id": dag_run.dag_id, "month": f"{MONTH:%Y-%m}", "failed_tasks": failed}
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

taxi_pipeline()
