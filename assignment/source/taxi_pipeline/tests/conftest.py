"""Point Airflow at a throw-away home and at this folder's dags/ before anything imports it."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

ASSIGNMENT = Path(__file__).resolve().parents[1]
DAGS = ASSIGNMENT / "dags"
DAG_FILE = DAGS / "taxi_pipeline.py"

_home = Path(tempfile.mkdtemp(prefix="taxi-pipeline-tests-"))
os.environ["AIRFLOW_HOME"] = str(_home)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_home / 'airflow.db'}"


@pytest.fixture(scope="session")
def dagbag():
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="session")
def pipeline_module():
    """dags/taxi_pipeline.py imported as a plain module, for testing its helper functions."""
    spec = importlib.util.spec_from_file_location("student_taxi_pipeline", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
