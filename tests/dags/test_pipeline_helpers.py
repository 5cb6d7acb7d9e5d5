"""The reference DAG's pure helpers: unit tests with no Airflow run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.support.reference_dag import reference_dag

taxi = reference_dag()

UTC = UTC


@pytest.mark.parametrize(
    "month, expected",
    [
        (date(2024, 3, 1), "green_tripdata_2024-03.parquet"),
        ("2024-12-31", "green_tripdata_2024-12.parquet"),
        ("2024-07", "green_tripdata_2024-07.parquet"),
    ],
)
def test_parquet_url_for_names_the_month(month, expected) -> None:
    assert taxi.parquet_url_for(month, "http://h/trip-data/") == f"http://h/trip-data/{expected}"


def test_month_comes_from_the_logical_date_not_the_clock() -> None:
    logical = datetime(2024, 2, 1, tzinfo=UTC)
    queued = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    assert taxi.month_for_run(logical, queued, None) == date(2024, 2, 1)


def test_manual_run_without_logical_date_falls_back_to_run_after() -> None:
    assert taxi.month_for_run(None, datetime(2024, 5, 15, tzinfo=UTC), None) == date(2024, 5, 1)


def test_month_in_the_run_config_wins() -> None:
    assert taxi.month_for_run(None, datetime(2024, 5, 15, tzinfo=UTC), "2024-01") == date(
        2024, 1, 1
    )
    with pytest.raises(ValueError, match="YYYY-MM"):
        taxi.month_for_run(None, datetime(2024, 5, 15, tzinfo=UTC), "2024-13")


@pytest.mark.parametrize(
    "fired, loads",
    [
        (datetime(2026, 12, 1, tzinfo=UTC), date(2026, 9, 1)),
        (datetime(2025, 2, 1, tzinfo=UTC), date(2024, 11, 1)),  # across a year
        (datetime(2024, 3, 1, tzinfo=UTC), date(2023, 12, 1)),
    ],
)
def test_a_scheduled_run_loads_the_newest_month_surely_published(fired, loads) -> None:
    assert taxi.scheduled_month(fired) == loads


def test_the_scheduled_month_is_published_by_the_local_source_whenever_the_run_fires() -> None:
    from taxi_source.server import default_latest_month

    for month in range(1, 13):
        fired = datetime(2026, month, 1, tzinfo=UTC)
        latest = default_latest_month(fired.date())
        assert f"{taxi.scheduled_month(fired):%Y-%m}" <= latest, (fired, latest)


@pytest.mark.parametrize("name", ["ada", "ada_lovelace", "team7"])
def test_valid_student_names_become_schemas(name) -> None:
    assert taxi.schema_for(name) == f"airflow_{name}"


@pytest.mark.parametrize("name", ["Ada", "jan-de-vries", "7up", "", "x; drop table"])
def test_invalid_student_names_are_refused_with_a_fix(name) -> None:
    with pytest.raises(ValueError, match="AIRFLOW_STUDENT=ada_lovelace"):
        taxi.schema_for(name)
