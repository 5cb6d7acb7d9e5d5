"""The solution of every workbook exercise, keyed by exercise id.

The test suite runs each notebook as a student receives it (every self-check must print a
hint), then, in the same kernel, runs each solution followed by its self-check (every one must
pass). Students never see this file in their notebooks; teachers can read it here.
"""

SOLUTIONS: dict[str, str] = {
    # -- 00 Start here ------------------------------------------------------------------------
    "ch00_student_name": """
ex_student_name = "ada"
""",
    # -- 01 Introduction to Orchestration -----------------------------------------------------
    "ch01_scheduling_vs_orchestration": '''
ex_scheduling_vs_orchestration = """
Scheduling only decides when a job starts, for example cron at 06:00 every morning.
Orchestration also decides which steps run in which order, blocks the steps after a
failed one, retries transient errors and alerts someone when a run fails.
"""
''',
    "ch01_manual_risks": """
ex_manual_risks = [
    "Someone forgets to run it, or is on holiday, and the data goes stale.",
    "Steps get run in the wrong order, so dbt builds models on old data.",
    "A step fails silently and nobody notices until the dashboard is wrong.",
]
""",
    "ch01_sketch_dag": """
ex_edges = [
    ("ingest", "transform"),
    ("transform", "test"),
    ("test", "notify"),
]
""",
    # -- 02 Airflow Fundamentals ---------------------------------------------------------------
    "ch02_my_first_dag": """
%%dag ch02_my_first_dag
import pendulum
from airflow.sdk import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11"],
)
def ch02_my_first_dag():
    @task
    def count_letters() -> int:
        return len("orchestration")

    @task
    def shout(number: int) -> str:
        return f"orchestration has {number} letters!".upper()

    shout(count_letters())


ch02_my_first_dag()
""",
    "ch02_vocabulary": """
ex_vocabulary = {
    "a workflow: steps plus the order between them, defined in a Python file": "DAG",
    "one step of a workflow, such as dbt_run": "task",
    "one execution of one step within one run; it has a state and a try number": "task instance",
    "a reusable kind of step, such as 'run this shell command'": "operator",
    "a small value one step hands to the next through Airflow's database": "XCom",
}
""",
    # -- 03 Scheduling and Triggers -----------------------------------------------------------
    "ch03_weekday_cron": """
ex_weekday_cron = "0 6 * * 1-5"
""",
    "ch03_second_of_month": """
ex_second_of_month = "30 7 2 * *"
""",
    "ch03_catchup_count": """
ex_catchup_runs = 8
""",
    "ch03_interval_logical_date": """
ex_interval_logical_date = "2024-03-01"
""",
    # -- 04 Sequential Pipeline Steps ---------------------------------------------------------
    "ch04_wire_pipeline": """
%%dag ch04_my_pipeline
import pendulum
from airflow.sdk import dag, task


def step(name, params):
    if params.get("fail_at") == name:
        raise RuntimeError(f"{name} failed on purpose")
    print(f"{name} done")


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), params={"fail_at": None})
def ch04_my_pipeline():
    @task
    def ingest_taxi_month(params=None):
        step("ingest_taxi_month", params)

    @task
    def dbt_run(params=None):
        step("dbt_run", params)

    @task
    def dbt_test(params=None):
        step("dbt_test", params)

    @task(trigger_rule="all_done")
    def notify():
        print("notification sent")

    ingest, run, test, note = ingest_taxi_month(), dbt_run(), dbt_test(), notify()
    ingest >> run >> test >> note


ch04_my_pipeline()
""",
    "ch04_pick_rules": """
ex_rules = {
    "load the cleaned data into the reporting table": "all_success",
    "post a run summary to the team channel, success or not": "all_done",
    "page the on-call engineer": "one_failed",
}
""",
    "ch04_delete_sql": """
ex_delete_sql = "DELETE FROM raw_trips WHERE source_month = ?"
""",
    # -- 05 Parameterized Runs and Backfills -------------------------------------------------
    "ch05_month_for": """
def ex_month_for(logical_date, run_after, conf):
    if conf.get("month"):
        return conf["month"]
    moment = logical_date if logical_date is not None else run_after
    return f"{moment:%Y-%m}"
""",
    "ch05_backfill_range": """
ex_backfill_prediction = "its logical date's month"
ex_backfill = wb.backfill("ch05_taxi_pipeline", "2024-08", "2024-10")
""",
    "ch05_which_idempotent": """
ex_idempotent = {
    "delete the month's rows, then insert the month's file, in one transaction": True,
    "append the month's file to raw_trips": False,
    "replace a table that holds only this month (CREATE OR REPLACE TABLE)": True,
    "append the file with a loaded_at = now() column": False,
}
""",
    # -- 06 Testing DAGs ----------------------------------------------------------------------
    "ch06_my_tests": """
%%writefile {wb.work}/test_my_dag.py
import importlib.util
import os
from pathlib import Path

import pendulum
import pytest
from airflow.models import DagBag

# The check points this at broken copies of the file; leave it as it is.
DAG_FILE = Path(os.environ.get("DAG_UNDER_TEST", "dags/ch05_taxi_pipeline.py"))


def load_module():
    spec = importlib.util.spec_from_file_location("pipeline_under_test", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bag():
    return DagBag(dag_folder=str(DAG_FILE))


def test_no_import_errors(bag):
    assert bag.import_errors == {}
    assert "ch05_taxi_pipeline" in bag.dags


def test_expected_edges(bag):
    dag = bag.dags["ch05_taxi_pipeline"]
    edges = {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}
    assert edges == {
        ("ingest_taxi_month", "dbt_run"),
        ("dbt_run", "dbt_test"),
        ("dbt_test", "notify"),
    }


def test_parquet_url_for():
    url = load_module().parquet_url_for("2024-03-01", "http://x/trip-data")
    assert url == "http://x/trip-data/green_tripdata_2024-03.parquet"


def test_a_month_runs(bag):
    dag = bag.dags["ch05_taxi_pipeline"]
    dag_run = dag.test(logical_date=pendulum.datetime(2024, 2, 1, tz="UTC"))
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert set(states.values()) == {"success"}, states
""",
    "ch06_which_layer": """
ex_layer = {
    "a typo in an import at the top of the DAG file": "integrity",
    "parquet_url_for builds yellow_tripdata_ instead of green_tripdata_": "unit",
    "dbt_test is wired to run before dbt_run": "integrity",
    "the load's SQL names a column the raw table does not have": "run",
}
""",
    # -- 07 Monitoring and Debugging ---------------------------------------------------------
    "ch07_fix_model": """
ex_wrong_name = "fare_amnt"
ex_right_name = "fare_amount"
""",
    "ch07_read_the_log": """
ex_failed_task = "dbt_test"
ex_failing_test = "not_null_stg_trips_vendor_id"
""",
    "ch07_retry_or_fix": """
ex_response = {
    "the source answers 503 Service Unavailable": "retry",
    "the source answers 403 for next month's file": "fix",
    "dbt: Referenced column not found": "fix",
    "the connection to the source timed out": "retry",
    "dbt test unique_stg_trips_trip_key failed": "fix",
}
""",
    "ch07_runbook": '''
ex_runbook = """
# Runbook: taxi_pipeline

## Trigger a run by hand

Load one month: `wb.run("taxi_pipeline", "2024-03-01")` in a notebook, or
`workbook run taxi_pipeline --date 2024-03-01` in a terminal. With Astro:
`astro dev run dags trigger taxi_pipeline -c '{"month": "2024-03"}'`.

## Backfill a range of months

`workbook backfill taxi_pipeline --from 2024-01 --to 2024-07` runs one month after another.
With a scheduler: `airflow backfill create --dag-id taxi_pipeline --from-date 2024-01-01
--to-date 2024-07-31`. Rerunning a range is safe: the load replaces each month.

## Read a task's logs

In the UI: Grid view, click the red square, then the Logs tab; read from the first ERROR line,
not the last line. In a notebook: `wb.log(report, "dbt_test")`.

## Top 3 failures and the first response

1. ingest_taxi_month fails with 403: the month is not published yet. Do not retry; run an
   earlier month or wait until the TLC publishes it.
2. ingest_taxi_month retries on 503 or a timeout: the source is flaky. Wait for the retries;
   if all tries fail, check that the source is up, then clear the task.
3. dbt_test fails: bad rows in the file. Read which test failed in the log, query stg_trips for
   the offending rows, and tell the data owner before rerunning.
"""
''',
    # -- 08 Deploying to Shared Airflow -------------------------------------------------------
    "ch08_dry_run": """
ex_student = "ada_lovelace"
ex_dry_run = shared_dry_run(wb, wb.dag_file("taxi_pipeline"), ex_student)
""",
    "ch08_my_run": """
ex_my_run_prediction = "airflow_<my name>"
os.environ["AIRFLOW_STUDENT"] = ex_student
ex_my_run = wb.run("taxi_pipeline", "2024-02-01")
os.environ["AIRFLOW_STUDENT"] = "default"
""",
    "ch08_etiquette": """
ex_fine = {
    "pause a classmate's DAG because its failures clutter the UI": False,
    "tag your DAG with student:<your name>": True,
    "run your DAG and its tests locally before opening the pull request": True,
    "start a backfill of 30 months on the shared scheduler to see if it works": False,
    "clear your own failed task once you know the cause is fixed": True,
}
""",
    # -- 09 Practice --------------------------------------------------------------------------
    "ch09_first_run": """
ex1_prediction = "fewer rows than raw_trips"
ex1_report = wb.run("taxi_pipeline", "2024-01-01")
""",
    "ch09_backfill": """
ex2_runs = wb.backfill("taxi_pipeline", "2024-01", "2024-07")
""",
    "ch09_idempotent": """
ex3_prediction = "the same rows"
ex3_before = wb.fingerprint()
ex3_rerun = wb.backfill("taxi_pipeline", "2024-01", "2024-07")
ex3_after = wb.fingerprint()
""",
    "ch09_integrity_test": """
%%writefile {wb.work}/test_integrity.py
import os

import pytest
from airflow.models import DagBag

FOLDER = os.environ.get("DAGS_UNDER_TEST", "../dags")


@pytest.fixture(scope="module")
def bag():
    return DagBag(dag_folder=FOLDER)


def test_no_import_errors(bag):
    assert bag.import_errors == {}


def test_taxi_pipeline_has_tags(bag):
    assert "taxi_pipeline" in bag.dags
    assert bag.dags["taxi_pipeline"].tags
""",
    "ch09_find_the_failure": """
ex5_failed_task = "dbt_test"
ex5_failing_tests = [
    "accepted_values_stg_trips_payment_type__1__2__3__4__5__6",
    "not_null_stg_trips_vendor_id",
]
""",
    "ch09_flaky_source": """
ex6_prediction = "three tries, the run succeeds"
wb.source.faults({"2024-06": {"transient": 2}})
ex6_report = wb.run("taxi_pipeline", "2024-06-01")
wb.source.faults({})
""",
    "ch09_runbook": '''
ex7_runbook = """
# Runbook: taxi_pipeline

## Trigger a run by hand

One month: `wb.run("taxi_pipeline", "2024-03-01")` in a notebook, or
`workbook run taxi_pipeline --date 2024-03-01`; in the UI, trigger with config {"month": "2024-03"}.

## Run a backfill

`workbook backfill taxi_pipeline --from 2024-01 --to 2024-07`, or with a scheduler
`airflow backfill create --dag-id taxi_pipeline --from-date 2024-01-01 --to-date 2024-07-31`.
A rerun is safe: each month is replaced, not appended (checked with before/after fingerprints).

## Read task logs

UI: Grid, click the failed task, Logs. Notebook: `wb.log(report, "dbt_test")`. Search for the
first ERROR or FAIL line; the last line only says that the task failed.

## Top 3 failures and the first response

1. dbt_test fails (not_null vendor_id, accepted_values payment_type): bad rows in the source file.
   Tell the data owner; once the file is fixed, rerun the month: the load replaces it.
2. ingest_taxi_month is retried after 503s: the source is flaky. Let the retries work; if every
   try fails, check the source and clear the task later.
3. ingest_taxi_month fails at once with 403: the month is not published yet. Do not retry;
   run it after the TLC publishes it.
"""
''',
    # -- 10 Gotchas & Pitfalls ----------------------------------------------------------------
    "ch10_spot_the_gotcha": """
ex_gotcha = {
    "month = datetime.now().strftime('%Y-%m')  # inside a task": 1,
    "CONFIG = requests.get('https://api.example.org/config').json()  # top of the file": 7,
    "@dag(start_date=datetime(2024, 1, 1), ...)": 5,
    "return df.to_dict('records')  # 2 million rows, to the next task": 6,
    "INSERT INTO raw_trips SELECT * FROM read_parquet(?)  # no DELETE before it": 3,
}
""",
    "ch10_safe_retry": """
wb.source.faults({"2024-02": {"transient": 1}})
ex_safe_run = wb.run("ch10_retry_append", None, conf={"mode": "replace"})
wb.source.faults({})
""",
    "ch03_own_pipeline": """
from workbook.selfchecks import own_pipeline

own_pipeline.solve(wb, "03")
""",
    "ch04_own_pipeline": """
from workbook.selfchecks import own_pipeline

own_pipeline.solve(wb, "04")
""",
    "ch05_own_pipeline": """
from workbook.selfchecks import own_pipeline

own_pipeline.solve(wb, "05")
""",
    "ch06_own_pipeline": """
from workbook.selfchecks import own_pipeline

own_pipeline.solve(wb, "06")
""",
    "ch07_own_pipeline": """
from workbook.selfchecks import own_pipeline

own_pipeline.solve(wb, "07")
""",
    "ch08_own_pipeline": """
from workbook.selfchecks import own_pipeline

own_pipeline.solve(wb, "08")
""",
}
