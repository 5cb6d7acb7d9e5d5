"""Unit tests of the DAG's pure helpers: no Airflow run, no network, no warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

BASE = "http://127.0.0.1:8765/trip-data"


def test_parquet_url_for_a_date(pipeline_module) -> None:
    url = pipeline_module.parquet_url_for(date(2024, 3, 1), BASE)
    assert url == f"{BASE}/green_tripdata_2024-03.parquet"


def test_parquet_url_for_a_string(pipeline_module) -> None:
    assert pipeline_module.parquet_url_for("2024-11", BASE + "/").endswith(
        "/trip-data/green_tripdata_2024-11.parquet"
    )


def test_month_comes_from_the_logical_date(pipeline_module) -> None:
    logical = datetime(2024, 5, 1, tzinfo=UTC)
    queued = datetime(2024, 6, 1, 0, 5, tzinfo=UTC)
    assert pipeline_module.month_for_run(logical, queued, None) == date(2024, 5, 1)


def test_a_manual_run_without_logical_date_uses_run_after(pipeline_module) -> None:
    queued = datetime(2024, 8, 17, 9, 30, tzinfo=UTC)
    assert pipeline_module.month_for_run(None, queued, None) == date(2024, 8, 1)


def test_a_month_in_the_run_config_wins(pipeline_module) -> None:
    logical = datetime(2024, 5, 1, tzinfo=UTC)
    assert pipeline_module.month_for_run(logical, logical, "2024-02") == date(2024, 2, 1)


@pytest.mark.parametrize("bad", ["2024-13", "24-03", "March"])
def test_a_malformed_month_is_refused(pipeline_module, bad) -> None:
    with pytest.raises(ValueError):
        pipeline_module.month_for_run(None, datetime(2024, 1, 1, tzinfo=UTC), bad)
