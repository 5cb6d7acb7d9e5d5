"""Where things live in a checkout. Every path can be overridden by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def airflow_home() -> Path:
    return _env_path("AIRFLOW_HOME", REPO_ROOT / ".airflow")


def dags_folder() -> Path:
    return _env_path("AIRFLOW__CORE__DAGS_FOLDER", REPO_ROOT / "dags")


def warehouse_path() -> Path:
    return _env_path("TAXI_WAREHOUSE", REPO_ROOT / "warehouse" / "taxi.duckdb")


def notifications_path() -> Path:
    return _env_path("TAXI_NOTIFICATIONS", REPO_ROOT / "warehouse" / "notifications.jsonl")


def dbt_project_dir() -> Path:
    return _env_path("TAXI_DBT_PROJECT_DIR", REPO_ROOT / "include" / "taxi_dbt")
