"""Shared fixtures. Airflow reads its configuration once, at import, so the per-worker Airflow
home is set here, before any test module imports Airflow."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_HOME = Path(tempfile.mkdtemp(prefix=f"week11-airflow-{_WORKER}-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME / 'airflow.db'}"

from airflow_env import settings as airflow_env  # noqa: E402 - must follow the environment set-up above
from taxi_source.server import RunningSource, serve_in_thread  # noqa: E402
from tests import process_ledger  # noqa: E402

airflow_env.configure(home=_HOME)

REPO = Path(__file__).resolve().parents[1]
# Fixed so results do not depend on today's date; later months answer 403 ("not published").
LATEST_PUBLISHED = "2025-06"


@pytest.fixture(scope="session")
def taxi_source() -> RunningSource:
    source = serve_in_thread(latest_month=LATEST_PUBLISHED)
    yield source
    source.stop()


@dataclass
class PipelineEnv:
    source: RunningSource
    warehouse: Path
    notifications: Path

    def notes(self) -> list[dict]:
        import json

        if not self.notifications.exists():
            return []
        return [json.loads(line) for line in self.notifications.read_text().splitlines()]


@pytest.fixture
def pipeline_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taxi_source: RunningSource
) -> PipelineEnv:
    """A fresh warehouse and notifications file, the shared source with no faults."""
    taxi_source.set_faults({})
    env = PipelineEnv(taxi_source, tmp_path / "taxi.duckdb", tmp_path / "notifications.jsonl")
    monkeypatch.setenv("TAXI_SOURCE_URL", taxi_source.base_url)
    monkeypatch.setenv("TAXI_WAREHOUSE", str(env.warehouse))
    monkeypatch.setenv("TAXI_NOTIFICATIONS", str(env.notifications))
    monkeypatch.setenv("AIRFLOW_STUDENT", "default")
    # The dbt tasks export these for dbt; setting them here makes monkeypatch restore them.
    monkeypatch.setenv("TAXI_SCHEMA", "airflow_default")
    monkeypatch.setenv("TAXI_DBT_TARGET", "duckdb")
    yield env
    taxi_source.set_faults({})


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller, before it starts any worker
        process_ledger.start_session()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if an Airflow, Celery, PostgreSQL or Redis process the suite started is
    still alive (checked once, by the controller, after every worker has finished)."""
    if hasattr(session.config, "workerinput"):
        return
    left = process_ledger.leftovers()
    process_ledger.end_session()
    if left:
        lines = "\n".join(f"  {p.pid} {p.command[:120]}" for p in left)
        print(f"\nprocesses started by the tests are still running (now killed):\n{lines}")
        process_ledger.kill(left)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
