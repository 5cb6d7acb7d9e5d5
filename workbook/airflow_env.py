"""A project-local Airflow 3 home: SQLite metadata, no examples, UTC, quiet logs.

`configure()` must run before anything imports Airflow, because Airflow reads its
configuration once at import. The workbook's notebooks call it in their first cell;
the CLI and the tests call it at start-up.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from workbook import paths

# Settings a course laptop wants; anything already set in the environment wins.
_DEFAULTS = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
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


def configure(home: Path | None = None, dags_folder: Path | None = None) -> Path:
    """Point Airflow at the project-local home. Returns the home directory."""
    home = (home or paths.airflow_home()).resolve()
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags_folder or paths.dags_folder())
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
    for key, value in _DEFAULTS.items():
        os.environ.setdefault(key, value)
    home.mkdir(parents=True, exist_ok=True)
    # Airflow's in-process execution API uses starlette's TestClient, which warns about httpx on
    # every run. It is not about our code and not actionable by students.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    # dag.test() deletes an earlier run of the same logical date before it reruns it; when the
    # DAG has changed since (a new serialized version), SQLAlchemy warns about Airflow's own
    # DagRun.serialized_dag relationship. The rerun is correct; the warning only confuses.
    warnings.filterwarnings(
        "ignore", message="Multiple rows returned with uselist=False for lazily-loaded attribute"
    )
    return home


def ensure_db() -> None:
    """Create the metadata tables on first use (`dag.test()` fails without them)."""
    home = Path(os.environ.get("AIRFLOW_HOME") or configure())
    marker = home / ".db-ready"
    if marker.exists() and (home / "airflow.db").exists():
        return
    from airflow.utils import db

    db.initdb()
    marker.write_text("ok\n")
