"""Where the class stack keeps things.

Everything the twin creates lives under one git-ignored state folder (`.class/` in the
checkout, or `$CLASS_STATE_DIR`). The Compose rendering mounts the same folder at
`/opt/class` in every container, so a path is named once (`STATE_LAYOUT`) and resolved for
either rendering. The teacher's own files (the roster, `compose.yaml`) live in `class/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TEACHER_DIR = REPO_ROOT / "class"
COMPOSE_FILE = TEACHER_DIR / "compose.yaml"
DOCKERFILE = TEACHER_DIR / "Dockerfile"
DEFAULT_ROSTER = TEACHER_DIR / "roster.csv"
CONTAINER_STATE = "/opt/class"  # where the state folder is mounted in every container
CONTAINER_SOURCE = "/opt/class-src"  # where the image keeps this checkout's code
CONTAINER_TEACHER = "/opt/class-teacher"  # class/ (the roster), mounted read-only

# name -> path inside the state folder
STATE_LAYOUT = {
    "airflow_home": "airflow",
    "logs": "airflow/logs",
    "dags": "deploy/dags",
    "deploy": "deploy",
    "shared_repo": "repo.git",
    "secrets": "secrets",
    "pgpass": "secrets/pgpass",
    "ui_passwords": "secrets/ui_passwords.json",
    "class_env": "secrets/class.env",
    "pgdata": "postgres/data",
    "pgsocket": "postgres",
    "redis": "redis",
    "dbt_target": "dbt",
    "notifications": "notifications/notifications.jsonl",
    "service_logs": "logs",
    "run": "run",
    "grading": "grading",
    "grading_notifications": "notifications/grading.jsonl",
}
# name -> path inside this checkout (baked into the image for Compose)
SOURCE_LAYOUT = {
    "source": ".",
    "dbt_project": "include/taxi_dbt",
    "grading_dags": "autograder/airflow_grading/dags",
}


@dataclass(frozen=True)
class ClassPaths:
    """The state folder of one twin (tests use a temporary one)."""

    state: Path

    @classmethod
    def default(cls) -> ClassPaths:
        explicit = os.environ.get("CLASS_STATE_DIR")
        return cls(Path(explicit).expanduser().resolve() if explicit else REPO_ROOT / ".class")

    def named(self, name: str) -> Path:
        """The twin's path for a name of STATE_LAYOUT or SOURCE_LAYOUT."""
        if name in STATE_LAYOUT:
            return self.state / STATE_LAYOUT[name]
        return (REPO_ROOT / SOURCE_LAYOUT[name]).resolve()

    @property
    def airflow_home(self) -> Path:
        return self.named("airflow_home")

    @property
    def logs(self) -> Path:
        return self.named("logs")

    @property
    def dags(self) -> Path:
        return self.named("dags")

    @property
    def deploy(self) -> Path:
        return self.named("deploy")

    @property
    def shared_repo(self) -> Path:
        return self.named("shared_repo")

    @property
    def secrets(self) -> Path:
        return self.named("secrets")

    @property
    def pgpass(self) -> Path:
        return self.named("pgpass")

    @property
    def ui_passwords(self) -> Path:
        return self.named("ui_passwords")

    @property
    def class_env(self) -> Path:
        return self.named("class_env")

    @property
    def pgdata(self) -> Path:
        return self.named("pgdata")

    @property
    def pgsocket(self) -> Path:
        return self.named("pgsocket")

    @property
    def redis(self) -> Path:
        return self.named("redis")

    @property
    def dbt_target(self) -> Path:
        return self.named("dbt_target")

    @property
    def notifications(self) -> Path:
        return self.named("notifications")

    @property
    def service_logs(self) -> Path:
        return self.named("service_logs")

    @property
    def run(self) -> Path:
        return self.named("run")

    @property
    def grading(self) -> Path:
        """Classes to grade on the grading workers, and their outputs, go under here."""
        return self.named("grading")

    @property
    def grading_notifications(self) -> Path:
        return self.named("grading_notifications")

    @property
    def stack_record(self) -> Path:
        """What the twin started: services, process ids, ports (read by `class down`)."""
        return self.run / "stack.json"
