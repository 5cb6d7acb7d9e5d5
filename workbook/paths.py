"""Where things live in a checkout. Every path can be overridden by an environment variable."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from airflow_env import settings as airflow_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO_ROOT / "notebooks"
CHAPTER_DAGS = NOTEBOOKS / "dags"
WORK_DIR_ENV = "WORKBOOK_WORK_DIR"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def airflow_home() -> Path:
    return airflow_settings.default_home()


def dags_folder() -> Path:
    return airflow_settings.default_dags_folder()


def warehouse_path() -> Path:
    return _env_path("TAXI_WAREHOUSE", REPO_ROOT / "warehouse" / "taxi.duckdb")


def notifications_path() -> Path:
    return _env_path("TAXI_NOTIFICATIONS", REPO_ROOT / "warehouse" / "notifications.jsonl")


def dbt_project_dir() -> Path:
    return _env_path("TAXI_DBT_PROJECT_DIR", REPO_ROOT / "include" / "taxi_dbt")


def work_root() -> Path:
    """Where the workbook keeps scratch files: warehouses, student DAGs, tests, runbooks."""
    return _env_path(WORK_DIR_ENV, NOTEBOOKS / "work")


def short(path: Path | str) -> str:
    """A path as a student reads it: relative to the repository, or `work/...`."""
    for base, label in ((REPO_ROOT, ""), (work_root(), "work/")):
        with contextlib.suppress(ValueError):
            return label + str(Path(path).resolve().relative_to(base))
    return str(path)
