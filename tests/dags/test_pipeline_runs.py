"""The reference taxi_pipeline, run for real: dag.test(), dbt on DuckDB, the HTTP source."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from taxi_source.generator import month_rows
from workbook import runner, warehouse

pytestmark = pytest.mark.slow
ALL_TASKS = ["ingest_taxi_month", "dbt_run", "dbt_test", "notify"]


def expected_counts(year: int, month: int) -> tuple[int, int]:
    """(rows in the file, rows that survive stg_trips' cleaning), computed without SQL."""
    rows = month_rows(year, month)
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    clean = [
        r
        for r in rows
        if start <= r["lpep_pickup_datetime"] < end
        and r["lpep_dropoff_datetime"] > r["lpep_pickup_datetime"]
        and r["fare_amount"] >= 0
        and r["total_amount"] >= 0
    ]
    return len(rows), len(clean)


def run(month: str, **kwargs) -> runner.RunReport:
    return runner.run_dag("taxi_pipeline", f"{month}-01" if month else None, **kwargs)


def test_one_month_end_to_end(pipeline_env) -> None:
    report = run("2024-01")
    assert report.succeeded, report.summary() + report.log("ingest_taxi_month", tail=30)
    assert list(report.tasks) == ALL_TASKS
    raw, clean = expected_counts(2024, 1)
    fp = warehouse.fingerprint(pipeline_env.warehouse)
    assert fp["raw_trips"][0] == raw
    assert fp["stg_trips"][0] == clean == fp["fct_trips"][0]
    assert warehouse.month_counts(pipeline_env.warehouse) == {"2024-01": raw}
    assert pipeline_env.notes()[-1]["status"] == "success"


def test_the_ui_sees_a_run_of_seconds_not_of_the_days_since_its_logical_date(
    pipeline_env,
) -> None:
    """dag.test() alone records the run as started at its logical date (2024-02-01)."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    report = run("2024-02")
    with create_session() as session:
        stored = session.query(DagRun).filter(DagRun.run_id == report.run_id).one()
        start, end, duration = stored.start_date, stored.end_date, stored.duration
    assert start.year == end.year and start <= end
    assert 0 < duration <= report.seconds + 1
    assert stored.logical_date.isoformat().startswith("2024-02-01")


def test_rerunning_a_month_leaves_the_warehouse_identical(pipeline_env) -> None:
    assert run("2024-02").succeeded
    first = warehouse.fingerprint(pipeline_env.warehouse)
    assert run("2024-02").succeeded
    assert warehouse.fingerprint(pipeline_env.warehouse) == first


def test_the_seven_run_backfill_loads_exactly_seven_months(pipeline_env) -> None:
    reports = runner.backfill("taxi_pipeline", "2024-01", "2024-07")
    assert [r.succeeded for r in reports] == [True] * 7
    counts = warehouse.month_counts(pipeline_env.warehouse)
    assert counts == {f"2024-{m:02d}": expected_counts(2024, m)[0] for m in range(1, 8)}


def test_transient_503_is_retried_and_the_run_succeeds(pipeline_env) -> None:
    pipeline_env.source.set_faults({"2024-03": {"transient": 2}})
    report = run("2024-03")
    assert report.succeeded, report.summary()
    assert report.tasks["ingest_taxi_month"].tries == 3
    assert [r["status"] for r in pipeline_env.source.requests("2024-03")] == [503, 503, 200]


@pytest.mark.parametrize(
    "month, faults, tries",
    [("2024-04", {"2024-04": {"permanent": True}}, 3), ("2025-09", {}, 1)],
    ids=["permanent-failure-after-retries", "unpublished-month-fails-fast"],
)
def test_failed_ingest_blocks_dbt_and_notify_records_it(pipeline_env, month, faults, tries) -> None:
    pipeline_env.source.set_faults(faults)
    report = run(month)
    states = {task: t.state for task, t in report.tasks.items()}
    assert states == {
        "ingest_taxi_month": "failed",
        "dbt_run": "upstream_failed",
        "dbt_test": "upstream_failed",
        "notify": "failed",  # it ran, recorded the failure, and marked the run red
    }
    assert report.tasks["ingest_taxi_month"].tries == tries
    note = pipeline_env.notes()[-1]
    assert note["status"] == "failed" and note["month"] == month
    assert "ingest_taxi_month" in note["failed_tasks"]
    if month == "2025-09":
        assert "has not published this month" in report.log("ingest_taxi_month")


def test_broken_rows_are_caught_by_dbt_test(pipeline_env) -> None:
    pipeline_env.source.set_faults({"2024-05": {"broken_rows": 5}})
    report = run("2024-05")
    assert report.tasks["ingest_taxi_month"].state == "success"
    assert report.tasks["dbt_run"].state == "success"
    assert report.tasks["dbt_test"].state == "failed"
    assert "not_null_stg_trips_vendor_id" in report.log("dbt_test")
    assert pipeline_env.notes()[-1]["failed_tasks"] == ["dbt_test"]


def test_manual_run_without_logical_date_uses_run_after(pipeline_env) -> None:
    report = run("", run_after=datetime(2024, 6, 15, tzinfo=UTC))
    assert report.logical_date is None
    assert report.succeeded, report.summary()
    assert warehouse.month_counts(pipeline_env.warehouse) == {
        "2024-06": expected_counts(2024, 6)[0]
    }


def test_manual_run_with_a_month_in_its_config(pipeline_env) -> None:
    report = run("", conf={"month": "2024-02"}, run_after=datetime(2026, 1, 1, tzinfo=UTC))
    assert report.succeeded
    assert list(warehouse.month_counts(pipeline_env.warehouse)) == ["2024-02"]


def test_invalid_student_name_fails_with_a_clear_message(pipeline_env, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_STUDENT", "Jan-de Vries")
    report = run("2024-01")
    assert report.tasks["ingest_taxi_month"].state == "failed"
    assert report.tasks["ingest_taxi_month"].tries == 1  # a bad name is not retried
    assert "cannot be part of a schema name" in report.log("ingest_taxi_month")


def test_missing_warehouse_folder_fails_with_a_clear_message(
    pipeline_env, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("TAXI_WAREHOUSE", str(tmp_path / "no" / "such" / "dir" / "taxi.duckdb"))
    report = run("2024-01")
    assert report.tasks["ingest_taxi_month"].state == "failed"
    assert report.tasks["ingest_taxi_month"].tries == 1  # a missing folder is not transient
    assert "does not exist; create it" in report.log("ingest_taxi_month")


def test_unreachable_source_is_retried_then_explained(pipeline_env, monkeypatch) -> None:
    monkeypatch.setenv("TAXI_SOURCE_URL", "http://127.0.0.1:9/trip-data")  # discard port: refused
    report = run("2024-01")
    assert report.tasks["ingest_taxi_month"].state == "failed"
    assert report.tasks["ingest_taxi_month"].tries == 3
    assert "cannot reach the taxi source" in report.log("ingest_taxi_month")


def test_student_schemas_are_isolated(pipeline_env, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_STUDENT", "ada")
    assert run("2024-01").succeeded
    assert warehouse.month_counts(pipeline_env.warehouse, schema="airflow_ada")
    assert warehouse.month_counts(pipeline_env.warehouse, schema="airflow_default") == {}
