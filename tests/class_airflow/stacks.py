"""A class stack (the no-Docker twin) for a test module: started on free ports in a temporary
state folder, stopped in a `finally`, and checked to leave no process behind."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from class_airflow import credentials, provision
from class_airflow.airflow_api import AirflowApi
from class_airflow.errors import ClassError
from class_airflow.paths import ClassPaths
from class_airflow.stack import StackSettings
from class_airflow.twin import processes, runner
from tests.process_ledger import record_started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(probe, seconds: float, what: str):
    """probe()'s first truthy answer; API and connection errors count as "not yet"."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            if result := probe():
                return result
        except (ClassError, OSError) as err:
            last = err
        time.sleep(2)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}; last error: {last}")


class ClassStack:
    def __init__(self, paths: ClassPaths, roster_path: Path, settings: StackSettings):
        self.paths, self.roster_path, self.settings = paths, roster_path, settings
        self.base = f"http://127.0.0.1:{settings.api_port}"

    def teacher(self) -> AirflowApi:
        return AirflowApi.login(
            self.base, credentials.TEACHER_LOGIN, credentials.teacher_password(self.paths)
        )

    def student(self, student_id: str) -> AirflowApi:
        login = credentials.student_login(self.paths, student_id)
        return AirflowApi.login(self.base, student_id, login.ui_password)

    def superuser_url(self) -> str:
        password = credentials.superuser_password(self.paths)
        return f"postgresql://postgres:{password}@127.0.0.1:{self.settings.postgres_port}/postgres"

    def connect_as(self, student_id: str, database: str = "taxi"):
        import psycopg2

        login = credentials.student_login(self.paths, student_id)
        return psycopg2.connect(
            host="127.0.0.1",
            port=self.settings.postgres_port,
            user=login.db_role,
            password=login.db_password,
            dbname=database,
            connect_timeout=10,
        )

    def rows(self, student_id: str) -> dict[str, int]:
        with closing(provision.connect(self.superuser_url(), "taxi")) as con, con.cursor() as cur:
            cur.execute(
                f"SELECT to_char(source_month, 'YYYY-MM'), count(*) FROM airflow_{student_id}"
                ".raw_trips GROUP BY 1"
            )
            return dict(cur.fetchall())


def settings_on_free_ports(**fields) -> StackSettings:
    ports = {
        "api_port": free_port(),
        "postgres_port": free_port(),
        "redis_port": free_port(),
        "taxi_source_port": free_port(),
    }
    return StackSettings(**{**ports, **fields})


@contextmanager
def running_stack(
    roster: str, settings: StackSettings, measured: dict | None = None
) -> Iterator[ClassStack]:
    """Start the twin, yield it, stop it; `measured` gets start-up time, processes, memory."""
    measured = measured if measured is not None else {}
    # Not under pytest's tmp_path: that is 0700, and PostgreSQL runs as its own user.
    state = Path(tempfile.mkdtemp(prefix="week11-class-"))
    os.chmod(state, 0o755)
    paths = ClassPaths(state / "state")
    roster_path = state / "roster.csv"
    roster_path.write_text(roster)
    began = time.monotonic()
    try:
        runner.up(paths, roster_path, settings)
        for entry in runner.load_record(paths)["services"]:
            record_started(entry["pid"])
        measured["class_up_to_healthy_s"] = round(time.monotonic() - began, 1)
        yield ClassStack(paths, roster_path, settings)
    finally:
        alive = runner.stack_processes(paths)
        measured["stack_processes"] = len(alive)
        measured["stack_rss_mb"] = round(sum(p.rss_kb for p in alive) / 1024)
        killed = runner.down(paths)
        left = processes.living_in_sessions(
            {e["pid"] for e in runner.load_record(paths)["services"]}
        )
        print("killed after the grace period:", killed)
        assert not left, f"still running after down: {left}"
        shutil.rmtree(state, ignore_errors=True)
