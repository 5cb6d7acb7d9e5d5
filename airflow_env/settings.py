"""A project-local Airflow 3: SQLite metadata, no examples, UTC, a parallelism a laptop can take.

`COURSE_DEFAULTS` is the one list of settings the course changes from Airflow's defaults. The
workbook applies it with `configure()`, the autograder's sandbox gets it from `environment()`,
and the Makefile exports it through `python -m airflow_env --format make`.

`configure()` must run before anything imports Airflow, because Airflow reads its configuration
once, at import.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

REPO_ROOT = Path(__file__).resolve().parents[1]
HOME_ENV = "AIRFLOW_HOME"
DAGS_FOLDER_ENV = "AIRFLOW__CORE__DAGS_FOLDER"
DATABASE_ENV = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
DB_READY_MARKER = ".db-ready"

# Settings a course laptop wants; anything already set in the environment wins.
COURSE_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        # Airflow's 32 would fork 32 LocalExecutor workers on a 2-core laptop.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "30",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
        "AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT": "False",
        "AIRFLOW__API__EXPOSE_CONFIG": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        # The workbook runs DAGs in the notebook's own process; no need for anyone's credentials.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
    }
)

# Warnings Airflow raises about itself, which students can do nothing about.
_IGNORED_WARNINGS = (
    # Airflow's in-process execution API uses starlette's TestClient, which warns about httpx
    # on every run.
    "Using `httpx` with `starlette.testclient`",
    # dag.test() deletes an earlier run of the same logical date before it reruns it; when the
    # DAG has changed since (a new serialized version), SQLAlchemy warns about Airflow's own
    # DagRun.serialized_dag relationship. The rerun is correct; the warning only confuses.
    "Multiple rows returned with uselist=False for lazily-loaded attribute",
)


def repo_home() -> Path:
    """The checkout's own Airflow home, `.airflow/` (git-ignored)."""
    return REPO_ROOT / ".airflow"


def repo_dags_folder() -> Path:
    """The checkout's `dags/`: the reference pipeline and the first DAG."""
    return REPO_ROOT / "dags"


def default_home() -> Path:
    """`AIRFLOW_HOME` if it is set, otherwise the checkout's `.airflow/`."""
    return _env_path(HOME_ENV, repo_home())


def default_dags_folder() -> Path:
    """`AIRFLOW__CORE__DAGS_FOLDER` if it is set, otherwise the checkout's `dags/`."""
    return _env_path(DAGS_FOLDER_ENV, repo_dags_folder())


def sqlite_url(home: Path) -> str:
    """The metadata database of an Airflow home: a SQLite file inside it."""
    return f"sqlite:///{home / 'airflow.db'}"


def environment(home: Path, dags_folder: Path) -> dict[str, str]:
    """Every setting of a course Airflow at `home`, for a process started with a clean
    environment (the autograder's sandbox): where things are, plus `COURSE_DEFAULTS`."""
    return {
        HOME_ENV: str(home),
        DAGS_FOLDER_ENV: str(dags_folder),
        DATABASE_ENV: sqlite_url(home),
        **COURSE_DEFAULTS,
    }


def configure(home: Path | None = None, dags_folder: Path | None = None) -> Path:
    """Point this process's Airflow at `home` (default: `default_home()`). Returns the home.

    The home and the DAGs folder are set; the database and `COURSE_DEFAULTS` only where the
    environment does not already say otherwise.
    """
    home = (home or default_home()).resolve()
    os.environ[HOME_ENV] = str(home)
    os.environ[DAGS_FOLDER_ENV] = str(dags_folder or default_dags_folder())
    os.environ.setdefault(DATABASE_ENV, sqlite_url(home))
    for key, value in COURSE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    home.mkdir(parents=True, exist_ok=True)
    for message in _IGNORED_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    return home


def ensure_db() -> None:
    """Create the metadata tables on first use (`dag.test()` fails without them)."""
    home = Path(os.environ.get(HOME_ENV) or configure())
    marker = home / DB_READY_MARKER
    if marker.exists() and (home / "airflow.db").exists():
        return
    from airflow.utils import db

    db.initdb()
    marker.write_text("ok\n")


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default
