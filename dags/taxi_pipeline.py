"""
### taxi_pipeline: one month of NYC green-taxi trips, loaded, modelled and tested

Every month the TLC publishes `green_tripdata_YYYY-MM.parquet`, about two months after the
month ends. A backfill or manual run handles **the month its logical date names**, never "the
current month"; the run the scheduler fires on the first of a month loads the newest month
surely published by then, three months back (`scheduled_month`), so it does not ask for a file
that cannot exist yet:

1. `ingest_taxi_month` downloads that month's file and replaces the month's partition of
   `raw_trips` (delete, then insert, in one transaction), so a rerun changes nothing.
2. `dbt_run` rebuilds `stg_trips` (cleans the file's warts) and `fct_trips`.
3. `dbt_test` checks the models; bad data stops here, loudly.
4. `notify` runs whatever happened upstream and records a notification.

Configuration comes from the environment at run time (see `assignment/CONTRACT.md`):
`TAXI_SOURCE_URL`, `TAXI_WAREHOUSE`, `TAXI_DBT_PROJECT_DIR`, `TAXI_NOTIFICATIONS`,
`AIRFLOW_STUDENT`. A manual run may pass `{"month": "2024-03"}` as its config.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

DEFAULT_SOURCE_URL = "http://127.0.0.1:8765/trip-data"


# [START class_airflow]
def _class_folder() -> str | None:
    """On the class Airflow this file sits in dags/<student>/: that folder's name, else None."""
    folder = Path(__file__).absolute().parent
    return folder.name if folder.parent.name == "dags" and folder.name != "dags" else None


def dag_id_for(name: str) -> str:
    """`name` on a laptop; `<student>_<name>` on the class Airflow, where ids must not collide."""
    return f"{STUDENT}_{name}" if _class_folder() else name


def _project_root() -> Path:
    """The nearest folder above this file holding include/taxi_dbt (the checkout, from dags/ or
    from dags/<student>/), else the working directory. Only used when no variable says."""
    here = Path(__file__).resolve()
    return next((p for p in here.parents if (p / "include" / "taxi_dbt").is_dir()), Path.cwd())


STUDENT = os.environ.get("AIRFLOW_STUDENT") or _class_folder() or "default"
# [END class_airflow]
STUDENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")

RAW_COLUMNS = (
    "VendorID INTEGER, lpep_pickup_datetime TIMESTAMP, lpep_dropoff_datetime TIMESTAMP, "
    "store_and_fwd_flag VARCHAR, RatecodeID DOUBLE PRECISION, PULocationID INTEGER, "
    "DOLocationID INTEGER, passenger_count DOUBLE PRECISION, trip_distance DOUBLE PRECISION, "
    "fare_amount DOUBLE PRECISION, extra DOUBLE PRECISION, mta_tax DOUBLE PRECISION, "
    "tip_amount DOUBLE PRECISION, tolls_amount DOUBLE PRECISION, "
    "improvement_surcharge DOUBLE PRECISION, total_amount DOUBLE PRECISION, "
    "payment_type DOUBLE PRECISION, trip_type DOUBLE PRECISION, "
    "congestion_surcharge DOUBLE PRECISION, source_month DATE"
)


# [START pure_helpers]
def parquet_url_for(month: date | str, base_url: str = DEFAULT_SOURCE_URL) -> str:
    """The URL of the file for `month` (a date, or a 'YYYY-MM-DD' / 'YYYY-MM' string)."""
    ### BEGIN SOLUTION: return <base_url>/green_tripdata_YYYY-MM.parquet for the month
    if isinstance(month, str):
        month = date.fromisoformat(month[:7] + "-01")
    return f"{base_url.rstrip('/')}/green_tripdata_{month:%Y-%m}.parquet"
    ### END SOLUTION


def schema_for(student: str) -> str:
    """Every student writes to their own schema, airflow_<name>."""
    if not STUDENT_NAME.match(student):
        raise ValueError(
            f"AIRFLOW_STUDENT={student!r} cannot be part of a schema name. Use lowercase letters, "
            f"digits and underscores, starting with a letter, e.g. AIRFLOW_STUDENT=ada_lovelace."
        )
    return f"airflow_{student}"


def month_for_run(
    logical_date: datetime | None, run_after: datetime, requested: str | None
) -> date:
    """The first day of the month this run loads.

    A month passed in the run's config wins. Otherwise the logical date names it. Manual runs
    in Airflow 3 may have no logical date; then the moment the run was queued for does.
    """
    ### BEGIN SOLUTION: the run config's month wins; else the logical date's month; else run_after's
    if requested:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", requested):
            raise ValueError(f"month {requested!r} is not of the form YYYY-MM, e.g. 2024-03")
        return date.fromisoformat(requested + "-01")
    moment = logical_date if logical_date is not None else run_after
    return date(moment.year, moment.month, 1)
    ### END SOLUTION


# [END pure_helpers]

# [START scheduled_month]
# The TLC publishes a month about two months after it ends: on 1 December, September is the
# newest month surely out. A scheduled run loads that one; backfills name their month themselves.
PUBLICATION_LAG_MONTHS = 3


def scheduled_month(logical_date: datetime) -> date:
    """The month a scheduled run loads: PUBLICATION_LAG_MONTHS before its logical date's."""
    index = logical_date.year * 12 + logical_date.month - 1 - PUBLICATION_LAG_MONTHS
    return date(index // 12, index % 12 + 1, 1)


# [END scheduled_month]


def _run_month() -> date:
    ### BEGIN SOLUTION: call month_for_run for this DagRun; a bad month fails without retries
    context = get_current_context()
    dag_run = context["dag_run"]
    if dag_run.run_type == "scheduled" and not context["params"].get("month"):
        return scheduled_month(dag_run.logical_date)  # the newest month published by now
    try:
        return month_for_run(
            dag_run.logical_date, dag_run.run_after, context["params"].get("month")
        )
    except ValueError as err:
        raise AirflowFailException(str(err)) from None  # a bad config never fixes itself
    ### END SOLUTION


def _schema() -> str:
    try:
        return schema_for(STUDENT)
    except ValueError as err:
        raise AirflowFailException(str(err)) from None  # retrying cannot fix a bad name


def _warehouse() -> str:
    # The class Airflow gives every student a login of their own: airflow_{student}@...
    default = str(_project_root() / "warehouse" / "taxi.duckdb")
    return os.environ.get("TAXI_WAREHOUSE", default).replace("{student}", STUDENT)


def _download(url: str, target: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
    except urllib.error.HTTPError as err:
        if err.code in (403, 404):
            # Deterministic: the month is not published. Retrying cannot help, so fail now.
            raise AirflowFailException(
                f"{url} answered {err.code}: the TLC has not published this month (yet). "
                "Pick a published month, or keep catchup=False so old intervals are not queued."
            ) from None
        raise RuntimeError(f"{url} answered {err.code}; this may be transient, retrying") from None
    except urllib.error.URLError as err:
        raise RuntimeError(
            f"cannot reach the taxi source at {url} ({err.reason}). "
            "Is it running? Start it with `make source`."
        ) from None


def _load_duckdb(path: str, schema: str, month: date, parquet: Path) -> int:
    import duckdb

    if not Path(path).parent.is_dir():
        raise AirflowFailException(
            f"the warehouse folder {Path(path).parent} does not exist; create it or point "
            "TAXI_WAREHOUSE at a file in an existing folder"
        )
    ### BEGIN SOLUTION: replace the month's rows of raw_trips in ONE transaction; return the count
    con = duckdb.connect(path)
    try:
        con.execute("BEGIN")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.raw_trips ({RAW_COLUMNS})")
        con.execute(f"DELETE FROM {schema}.raw_trips WHERE source_month = ?", [month])
        con.execute(
            f"INSERT INTO {schema}.raw_trips SELECT *, ?::DATE FROM read_parquet(?)",
            [month, str(parquet)],
        )
        (rows,) = con.execute(
            f"SELECT count(*) FROM {schema}.raw_trips WHERE source_month = ?", [month]
        ).fetchone()
        con.execute("COMMIT")
        return int(rows)
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    ### END SOLUTION


def _load_postgres(dsn: str, schema: str, month: date, parquet: Path) -> int:
    import psycopg2
    import pyarrow.parquet as pq
    from psycopg2.extras import execute_values

    ### BEGIN SOLUTION: the same idempotent load for Postgres (the shared class database)
    rows = [tuple(row.values()) + (month,) for row in pq.read_table(parquet).to_pylist()]
    with psycopg2.connect(dsn) as con, con.cursor() as cur:  # one transaction, committed on exit
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        cur.execute(f"CREATE TABLE IF NOT EXISTS {schema}.raw_trips ({RAW_COLUMNS})")
        cur.execute(f"DELETE FROM {schema}.raw_trips WHERE source_month = %s", (month,))
        execute_values(cur, f"INSERT INTO {schema}.raw_trips VALUES %s", rows, page_size=1000)
    return len(rows)
    ### END SOLUTION


def _pg_env(url: str) -> dict[str, str]:
    """libpq-style variables for dbt's postgres profile, taken from a postgresql:// URL."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    env = {
        "PGHOST": parts.hostname or "localhost",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": unquote(parts.username or "postgres"),
        "PGDATABASE": parts.path.lstrip("/") or "taxi",
    }
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env


def _dbt(command: str) -> None:
    """Run a dbt command in this process (a dbt subprocess costs ~4 s of start-up)."""
    from dbt.cli.main import dbtRunner

    project = os.environ.get("TAXI_DBT_PROJECT_DIR", str(_project_root() / "include" / "taxi_dbt"))
    warehouse = _warehouse()
    os.environ["TAXI_SCHEMA"] = _schema()
    os.environ["TAXI_WAREHOUSE"] = warehouse
    if warehouse.startswith("postgresql://"):
        os.environ["TAXI_DBT_TARGET"] = "postgres"
        os.environ.update(_pg_env(warehouse))
    else:
        os.environ["TAXI_DBT_TARGET"] = "duckdb"
    result = dbtRunner().invoke([command, "--project-dir", project, "--profiles-dir", project])
    if not result.success:
        # Failing models or tests are deterministic: a retry would fail the same way.
        raise AirflowFailException(f"dbt {command} failed; the log above names the model or test")


@dag(
    dag_id=dag_id_for("taxi_pipeline"),
    ### BEGIN SOLUTION (comment only): schedule=, one run per month
    schedule="@monthly",
    ### END SOLUTION
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    ### BEGIN SOLUTION (comment only): catchup=, max_active_runs=, default_args= (retries)
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "week11", "retries": 2, "retry_delay": timedelta(minutes=5)},
    ### END SOLUTION
    params={"month": Param(None, type=["null", "string"], description="YYYY-MM to load")},
    tags=["week11", "taxi", f"student:{STUDENT}"],
    doc_md=__doc__,
)
def taxi_pipeline():
    @task
    def ingest_taxi_month() -> int:
        """Replace this month's partition of raw_trips with the month's file."""
        ### BEGIN SOLUTION: download this run's month, load it into raw_trips, return the rows
        month = _run_month()
        schema = _schema()
        url = parquet_url_for(month, os.environ.get("TAXI_SOURCE_URL", DEFAULT_SOURCE_URL))
        warehouse = _warehouse()
        with tempfile.TemporaryDirectory() as tmp:
            parquet = Path(tmp) / url.rsplit("/", 1)[-1]
            _download(url, parquet)
            if warehouse.startswith("postgresql://"):
                rows = _load_postgres(warehouse, schema, month, parquet)
            else:
                rows = _load_duckdb(warehouse, schema, month, parquet)
        log.info("loaded %d rows for %s into %s.raw_trips", rows, f"{month:%Y-%m}", schema)
        return rows
        ### END SOLUTION

    @task
    def dbt_run() -> None:
        """Rebuild stg_trips and fct_trips from raw_trips."""
        ### BEGIN SOLUTION: rebuild the dbt models (there is a helper above)
        _dbt("run")
        ### END SOLUTION

    @task
    def dbt_test() -> None:
        """Check the models: duplicates, nulls, unknown codes, trips that end before they start."""
        ### BEGIN SOLUTION: run the dbt tests
        _dbt("test")
        ### END SOLUTION

    @task(trigger_rule="all_done")
    def notify() -> str:
        """Record how the run went, success or failure, then fail the run if the pipeline did."""
        context = get_current_context()
        dag_run, ti = context["dag_run"], context["ti"]
        states = ti.get_task_states(dag_id=dag_run.dag_id, run_ids=[dag_run.run_id])
        upstream = {k: v for k, v in states.get(dag_run.run_id, {}).items() if k != ti.task_id}
        failed = sorted(task_id for task_id, state in upstream.items() if state != "success")
        try:
            month = f"{_run_month():%Y-%m}"
        except AirflowFailException:
            month = None
        record = {
            "dag_id": dag_run.dag_id,
            "run_id": dag_run.run_id,
            "month": month,
            "status": "failed" if failed else "success",
            "failed_tasks": failed,
            "task_states": upstream,
            "student": STUDENT,
            "run_after": dag_run.run_after.isoformat(),
        }
        path = Path(
            os.environ.get(
                "TAXI_NOTIFICATIONS", _project_root() / "warehouse" / "notifications.jsonl"
            )
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        log.warning(
            "NOTIFY %s %s: %s", record["status"].upper(), month, failed or "all tasks green"
        )
        if failed:
            # The notification is out; now make the run itself red in the UI.
            raise AirflowFailException(f"pipeline failed at {', '.join(failed)}")
        return record["status"]

    ### BEGIN SOLUTION (comment only): call the four tasks; chain them with >> in run order
    ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()
    ### END SOLUTION


taxi_pipeline()
