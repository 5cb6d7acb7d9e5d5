"""The hints a template submission gets, in the course template's own words.

A check's hint (registry) speaks this repository's contract: `workbook` commands, DuckDB,
$TAXI_SOURCE_URL. A student of the course's Astro template wrote requests + pandas, a
`PostgresHook` on `azure_pg`, dbt through `uvx` in a `BashOperator`, and runs Airflow with
`astro dev`; the same cause is named here in those terms. Checks not listed keep their hint,
which holds for both. Like every hint, these name no hidden month or fault.
"""

from __future__ import annotations

from autograder.checks.registry import Check

_DAG_ID = "<you>_taxi_pipeline"

TEMPLATE_HINTS: dict[str, str] = {
    "integrity_imports": (
        "Run `astro dev parse` (or `astro dev pytest tests/`) and fix the first import error it "
        "shows. Import pandas, requests and PostgresHook inside the task, and keep the top of "
        "the file free of downloads and connections."
    ),
    "integrity_single_dag": (
        "dags/taxi_pipeline.py (or dags/<you>/taxi_pipeline.py) must define exactly one DAG; "
        f"`{_DAG_ID}` (the shared VM's prefix) and `taxi_pipeline` are both accepted."
    ),
    "behaviour_one_month": (
        f"Run one month in your Astro project (`astro dev run dags test {_DAG_ID} 2024-01-01`) "
        "and compare airflow_<you>.raw_trips on azure_pg with the parquet file: every column of "
        "the file plus source_month, the file's month as a DATE; dbt must then build stg_trips "
        "and fct_trips."
    ),
    "behaviour_rerun_idempotent": (
        "A rerun must replace the month, not add it again: in the same "
        "PostgresHook(postgres_conn_id='azure_pg') connection, DELETE FROM "
        "airflow_<you>.raw_trips WHERE source_month = the run's month, then insert the "
        "DataFrame, and commit once."
    ),
    "behaviour_backfill": (
        "Backfill January to July 2024 yourself: `astro dev run backfill create --dag-id "
        f"{_DAG_ID} --from-date 2024-01-01 --to-date 2024-07-01 --max-active-runs 1`. Every run "
        "must succeed and raw_trips must then hold exactly those seven months, each once."
    ),
    "behaviour_logical_date": (
        "Build the CDN URL (green_tripdata_YYYY-MM.parquet) from the run's own month: {{ ds }} "
        "or the context's logical_date, never from today's date."
    ),
    "behaviour_backfill_any_order": (
        "Loading the months in another order must give the same tables: each run may delete "
        "and insert only its own month's rows of airflow_<you>.raw_trips."
    ),
    "behaviour_neighbouring_month_rows": (
        "Every parquet file holds a few trips picked up in the month before or after. Delete and "
        "insert by the file's month (the YYYY-MM in its URL, kept as source_month), not by "
        "date_trunc('month', lpep_pickup_datetime); the dbt models filter the pickups."
    ),
    "behaviour_retries_transient": (
        "A 5xx from the CDN or a dropped connection is transient: let "
        "`response.raise_for_status()` (or the requests error) fail the task, and give it "
        "retries in default_args ('retries': 2, 'retry_delay': timedelta(minutes=2))."
    ),
    "behaviour_failure_gates_dbt": (
        "When ingest_taxi_month fails, the dbt_run and dbt_test BashOperators must not run: keep "
        "their default trigger rule (all_success), and make a 403 from the CDN fail the task."
    ),
    "behaviour_notify_on_failure": (
        "notify (trigger_rule='all_done') must run after a failure and append a JSON line to "
        "the file named by $TAXI_NOTIFICATIONS, with status 'failed', the month and "
        "failed_tasks naming the task that failed."
    ),
    "behaviour_dbt_test_gates_bad_data": (
        "`uvx ... dbt test` exits non-zero when a test fails, and the BashOperator then fails "
        "the task: do not hide the exit code (no `|| true`, no `; exit 0`)."
    ),
    "behaviour_manual_trigger": (
        "A run triggered from the Astro UI without a date has no logical date ({{ ds }} is not "
        "set). Take the month from dag_run.logical_date or dag_run.run_after."
    ),
    "behaviour_unpublished_fails_at_once": (
        "The CDN answers 403 for a month the TLC has not published: check "
        "`response.status_code == 403` and raise AirflowFailException before "
        "raise_for_status(), so the task fails without retrying; 5xx answers still retry."
    ),
}


def hint_for(check: Check, profile: str) -> str:
    """The hint `check` gives a submission graded with `profile`."""
    if profile == "template":
        return TEMPLATE_HINTS.get(check.id, check.hint)
    return check.hint
