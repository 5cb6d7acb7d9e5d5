"""The same DAG and dbt project, pointed at a real PostgreSQL server by configuration alone."""

from __future__ import annotations

import psycopg2
import pytest

from tests.dags.test_pipeline_runs import expected_counts
from tests.postgres_server import postgres_server
from workbook import runner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server() as url:
        yield url


def _counts(url: str, schema: str) -> dict[str, int]:
    with psycopg2.connect(url) as con, con.cursor() as cur:
        return {
            table: cur.execute(f"SELECT count(*) FROM {schema}.{table}") or cur.fetchone()[0]
            for table in ("raw_trips", "stg_trips", "fct_trips")
        }


def test_pipeline_loads_and_models_into_postgres_idempotently(
    pipeline_env, postgres_url, monkeypatch
):
    monkeypatch.setenv("TAXI_WAREHOUSE", postgres_url)
    monkeypatch.setenv("AIRFLOW_STUDENT", "ada")
    first = runner.run_dag("taxi_pipeline", "2024-01-01")
    assert first.succeeded, first.summary() + first.log("dbt_run", tail=30)
    raw, clean = expected_counts(2024, 1)
    assert _counts(postgres_url, "airflow_ada") == {
        "raw_trips": raw,
        "stg_trips": clean,
        "fct_trips": clean,
    }
    assert runner.run_dag("taxi_pipeline", "2024-01-01").succeeded
    assert _counts(postgres_url, "airflow_ada")["raw_trips"] == raw
