"""Green taxi trips, one month per run: the TLC's CDN -> Azure PostgreSQL (raw_trips) -> dbt.

Written for the course's Astro project template: the `azure_pg` connection, dbt through `uvx`
on `include/dbt_project/`, and the DAG id prefixed with the student's name on the shared VM.
"""

from __future__ import annotations

import io
import json
import os
from datetime import date, timedelta
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

STUDENT = os.environ.get("AIRFLOW_STUDENT") or Path(__file__).parent.name
SCHEMA = f"airflow_{STUDENT}"
CDN = "https://d37ci6vzurychx.cloudfront.net/trip-data/green_tripdata_{month}.parquet"
DBT_DIR = "/usr/local/airflow/include/dbt_project"
DBT = (
    "uvx --from 'dbt-core==1.10.*' --with 'dbt-postgres==1.10.*' dbt {command} "
    f"--project-dir {DBT_DIR} --profiles-dir {DBT_DIR}"
)
DBT_ENV = {
    "DBT_HOST": "{{ conn.azure_pg.host }}",
    "DBT_USER": "{{ conn.azure_pg.login }}",
    "DBT_PASSWORD": "{{ conn.azure_pg.password }}",
    "DBT_DBNAME": "{{ conn.azure_pg.schema }}",
    "PG_SCHEMA": SCHEMA,
}
RAW_COLUMNS = ", ".join(
    [
        "VendorID integer",
        "lpep_pickup_datetime timestamp",
        "lpep_dropoff_datetime timestamp",
        "store_and_fwd_flag text",
        "RatecodeID float8",
        "PULocationID integer",
        "DOLocationID integer",
        "passenger_count float8",
        "trip_distance float8",
        "fare_amount float8",
        "extra float8",
        "mta_tax float8",
        "tip_amount float8",
        "tolls_amount float8",
        "improvement_surcharge float8",
        "total_amount float8",
        "payment_type float8",
        "trip_type float8",
        "congestion_surcharge float8",
        "source_month date",
    ]
)


def run_month() -> date:
    """The month this run loads: its logical date's, or run_after's for a manual run."""
    dag_run = get_current_context()["dag_run"]
    moment = dag_run.logical_date or dag_run.run_after
    return date(moment.year, moment.month, 1)


@dag(
    dag_id=f"{STUDENT}_taxi_pipeline",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["week11", "taxi"],
)
def taxi_pipeline():
    @task
    def ingest_taxi_month() -> int:
        """Replace this month's rows of raw_trips with the month's file, in one transaction."""
        import pandas as pd
        import requests
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        month = run_month()
        response = requests.get(CDN.format(month=f"{month:%Y-%m}"), timeout=120)
        if response.status_code == 403:  # the TLC has not published this month: retrying won't help
            raise AirflowFailException(f"{month:%Y-%m} is not published yet")
        response.raise_for_status()
        frame = pd.read_parquet(io.BytesIO(response.content))
        frame["source_month"] = month
        rows = [
            tuple(None if pd.isna(v) else v for v in row)
            for row in frame.astype(object).itertuples(index=False)
        ]
        hook = PostgresHook(postgres_conn_id="azure_pg")
        with hook.get_conn() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.raw_trips ({RAW_COLUMNS})")
            cur.execute(f"DELETE FROM {SCHEMA}.raw_trips WHERE source_month = %s", (month,))
            cur.executemany(
                f"INSERT INTO {SCHEMA}.raw_trips VALUES ({', '.join(['%s'] * 20)})", rows
            )
        return len(rows)

    dbt_run = BashOperator(
        task_id="dbt_run", bash_command=DBT.format(command="run"), env=DBT_ENV, append_env=True
    )
    dbt_test = BashOperator(
        task_id="dbt_test", bash_command=DBT.format(command="test"), env=DBT_ENV, append_env=True
    )

    @task(trigger_rule="all_done")
    def notify() -> None:
        """Append how the run went to the notifications file; fail the run if a task failed."""
        context = get_current_context()
        dag_run, ti = context["dag_run"], context["ti"]
        states = ti.get_task_states(dag_id=dag_run.dag_id, run_ids=[dag_run.run_id])
        upstream = {k: v for k, v in states.get(dag_run.run_id, {}).items() if k != ti.task_id}
        failed = sorted(t for t, state in upstream.items() if state != "success")
        record = {
            "month": f"{run_month():%Y-%m}",
            "status": "failed" if failed else "success",
            "failed_tasks": failed,
        }
        path = Path(os.environ.get("TAXI_NOTIFICATIONS", "/usr/local/airflow/include/runs.jsonl"))
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        if failed:
            raise RuntimeError(f"pipeline failed at {', '.join(failed)}")

    ingest_taxi_month() >> dbt_run >> dbt_test >> notify()


taxi_pipeline()
