"""The versions the class stack pins, read from the places that decide them.

Airflow and its providers come from `uv.lock` (the twin runs exactly those from `.venv`; the
Compose image is built on `apache/airflow:<that version>` with the same pins). PostgreSQL and
Redis are the majors of the OS packages the twin uses (Debian 12: PostgreSQL 15, Redis 7.0);
the Compose images carry the same majors.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from class_airflow.errors import ClassError
from class_airflow.paths import REPO_ROOT

POSTGRES_MAJOR = "15"
REDIS_MINOR = "7.0"
PYTHON_MINOR = "3.11"
# What the Compose image adds to apache/airflow, pinned to uv.lock (the DAG's run-time needs).
IMAGE_EXTRAS = (
    "apache-airflow-providers-celery",
    "apache-airflow-providers-standard",
    "dbt-core",
    "dbt-postgres",
    "psycopg2-binary",
    "pyarrow",
    "pydantic",
    "pyyaml",
    "rich",
    "typer",
    # The grading workers run the autograder (its sandboxes run DAGs on DuckDB).
    "dbt-duckdb",
    "duckdb",
    "jinja2",
    "matplotlib",
    "ruff",
)


@dataclass(frozen=True)
class Pins:
    airflow: str
    packages: dict[str, str]
    postgres: str = POSTGRES_MAJOR
    redis: str = REDIS_MINOR
    python: str = PYTHON_MINOR

    @property
    def airflow_image(self) -> str:
        return f"apache/airflow:{self.airflow}-python{self.python}"

    @property
    def postgres_image(self) -> str:
        return f"postgres:{self.postgres}"

    @property
    def redis_image(self) -> str:
        return f"redis:{self.redis}"

    def requirement_lines(self) -> list[str]:
        return [f"{name}=={self.packages[name]}" for name in IMAGE_EXTRAS]


def locked_versions(lock_file: Path) -> dict[str, str]:
    """package name -> version, from a uv.lock file."""
    try:
        lock = tomllib.loads(lock_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ClassError(f"{lock_file}: cannot read the lock file ({err}); run `uv lock`") from None
    return {package["name"]: package["version"] for package in lock.get("package", [])}


@cache
def pins(lock_file: Path = REPO_ROOT / "uv.lock") -> Pins:
    versions = locked_versions(lock_file)
    missing = [name for name in ("apache-airflow", *IMAGE_EXTRAS) if name not in versions]
    if missing:
        raise ClassError(
            f"{lock_file}: no locked version of {', '.join(missing)}; add them to pyproject.toml "
            "and run `.venv/bin/uv lock`"
        )
    return Pins(airflow=versions["apache-airflow"], packages=versions)


def running_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def major_of(version_output: str) -> str | None:
    """'postgres (PostgreSQL) 15.14 (Debian ...)' -> '15'; 'Redis server v=7.0.15 ...' -> '7.0'."""
    if match := re.search(r"PostgreSQL\)?\s+(\d+)", version_output):
        return match.group(1)
    if match := re.search(r"v=(\d+\.\d+)", version_output):
        return match.group(1)
    return None
