"""The naive way to grade one submission, for the benchmark: a fresh pytest process per student.

What a teacher would typically write: one test per check, each test independent (its own
fresh warehouse and its own DAG runs, nothing shared between tests), Airflow set up from
scratch in every process, student code run in the pytest process itself (no sandbox), and the
class graded one student after another. It checks the same things as the autograder's
behaviour checks, against the same answer key.

    NAIVE_SUBMISSION=path/to/submission \
        .venv/bin/pytest bench/naive_grader.py -p no:cacheprovider -n 0 -q

Without NAIVE_SUBMISSION it grades the corpus's reference submission, built into a temporary
folder by the same function the tests use (tests/corpus).

Not collected by the project's test suite (it lives in bench/).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.corpus import REFERENCE, build_submission  # plain files: imports no Airflow

HOME = Path(tempfile.mkdtemp(prefix="naive-airflow-"))
atexit.register(shutil.rmtree, HOME, True)
if "NAIVE_SUBMISSION" in os.environ:
    SUBMISSION = Path(os.environ["NAIVE_SUBMISSION"]).resolve()
else:
    SUBMISSION = build_submission(REFERENCE, HOME / "reference")
os.environ["AIRFLOW_HOME"] = str(HOME)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = os.environ.get("NAIVE_IMPORT_TIMEOUT", "10")

import pytest  # noqa: E402

from airflow_env import settings as airflow_env  # noqa: E402
from autograder.answer_key import load_or_build  # noqa: E402
from taxi_source.server import serve_in_thread  # noqa: E402
from workbook import runner, warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MONTHS = [f"2024-{m:02d}" for m in range(1, 8)]
airflow_env.configure(home=HOME, dags_folder=SUBMISSION / "dags")


@pytest.fixture(scope="module")
def key():
    return load_or_build(
        Path(os.environ.get("NAIVE_CACHE", Path.home() / ".cache/week11-autograder"))
    )


@pytest.fixture(scope="module")
def source():
    running = serve_in_thread(latest_month="2025-06")
    yield running
    running.stop()


@pytest.fixture
def env(tmp_path, monkeypatch, source):
    source.set_faults({})
    dbt = tmp_path / "dbt"
    shutil.copytree(
        REPO / "include" / "taxi_dbt", dbt, ignore=shutil.ignore_patterns("target", "logs")
    )
    values = {
        "TAXI_SOURCE_URL": source.base_url,
        "TAXI_WAREHOUSE": str(tmp_path / "taxi.duckdb"),
        "TAXI_NOTIFICATIONS": str(tmp_path / "notifications.jsonl"),
        "TAXI_DBT_PROJECT_DIR": str(dbt),
        "TAXI_SCHEMA": "airflow_grader",
        "TAXI_DBT_TARGET": "duckdb",
        "AIRFLOW_STUDENT": "grader",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def run(month: str | None, **kwargs) -> runner.RunReport:
    when = f"{month}-01" if month else None
    return runner.run_dag("taxi_pipeline", when, retry_delay=timedelta(seconds=0.05), **kwargs)


def fingerprint(env: Path) -> dict:
    return warehouse.fingerprint(env / "taxi.duckdb", "airflow_grader")


def expected(key, months) -> dict:
    return {t: key.expected(months, t) for t in ("raw_trips", "stg_trips", "fct_trips")}


def test_dag_imports():
    assert runner.load_dag("taxi_pipeline") is not None


def test_one_month(env, key):
    assert run("2024-01").succeeded
    assert fingerprint(env) == expected(key, ["2024-01"])


def test_rerun_is_idempotent(env):
    assert run("2024-01").succeeded
    first = fingerprint(env)
    assert run("2024-01").succeeded
    assert fingerprint(env) == first


def test_backfill(env, key):
    assert all(run(m).succeeded for m in MONTHS)
    assert fingerprint(env) == expected(key, MONTHS)


def test_logical_date(env, source):
    run("2024-03")
    assert {r["month"] for r in source.requests()} == {"2024-03"}


def test_backfill_in_reverse(env, key):
    assert all(run(m).succeeded for m in reversed(MONTHS))
    assert fingerprint(env) == expected(key, MONTHS)


def test_neighbouring_month_rows(env, key):
    assert all(run(m).succeeded for m in MONTHS)
    with warehouse.connect(env / "taxi.duckdb") as con:
        strays = dict(
            con.execute(
                "SELECT strftime(source_month, '%Y-%m'), count(*) FROM airflow_grader.raw_trips "
                "WHERE date_trunc('month', lpep_pickup_datetime) <> source_month GROUP BY 1"
            ).fetchall()
        )
    assert strays == {m: key.months[m].stray_rows for m in MONTHS}


def test_transient_failures_are_retried(env, source):
    source.set_faults({"2024-03": {"transient": 2}})
    report = run("2024-03")
    assert report.succeeded and report.tasks["ingest_taxi_month"].tries == 3


@pytest.mark.parametrize(
    "month, faults", [("2024-04", {"2024-04": {"permanent": True}}), ("2025-09", {})]
)
def test_failure_stops_dbt(env, source, month, faults):
    source.set_faults(faults)
    report = run(month)
    assert report.tasks["ingest_taxi_month"].state == "failed"
    assert report.tasks["dbt_run"].state == "upstream_failed"


@pytest.mark.parametrize(
    "month, faults", [("2024-04", {"2024-04": {"permanent": True}}), ("2025-09", {})]
)
def test_notify_on_failure(env, source, month, faults):
    source.set_faults(faults)
    run(month)
    notes = (env / "notifications.jsonl").read_text()
    assert '"failed"' in notes and "ingest_taxi_month" in notes


def test_bad_rows_fail_dbt_test(env, source):
    source.set_faults({"2024-05": {"broken_rows": 5}})
    assert run("2024-05").tasks["dbt_test"].state == "failed"


def test_manual_run_without_logical_date(env, key):
    report = run(None, run_after=datetime(2024, 6, 15, tzinfo=UTC))
    assert report.succeeded
    assert fingerprint(env)["raw_trips"] == key.expected(["2024-06"], "raw_trips")
