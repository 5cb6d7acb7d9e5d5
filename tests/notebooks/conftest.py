"""Fixtures for running the workbook's notebooks: one taxi source and one ready-made Airflow
metadata database per test worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from taxi_source.server import RunningSource, serve_in_thread


@pytest.fixture(scope="session")
def notebook_source() -> RunningSource:
    """A source like a student's: it has published up to two months before today."""
    source = serve_in_thread()
    yield source
    source.stop()


@pytest.fixture(scope="session")
def airflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Airflow home with its database created once; each notebook starts from a copy.

    Creating the tables takes seconds; copying a SQLite file takes milliseconds. It is made in a
    subprocess because this test process already has its own Airflow configured.
    """
    home = tmp_path_factory.mktemp("airflow-template")
    code = (
        "from pathlib import Path; from airflow_env import settings; "
        f"settings.configure(home=Path({str(home)!r})); settings.ensure_db()"
    )
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
    }
    import os

    subprocess.run(
        [sys.executable, "-c", code],
        env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return home
