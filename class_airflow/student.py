"""The student's side of the class Airflow: deploy by pushing, read the gate's verdict, run
the DAG through the REST API, count the rows in one's own schema.

Chapter 08 and session 5 use these steps; the class stack test runs them against the twin.
A student gets a login file from the teacher (`class credentials <id> --json`); on the
teacher's own laptop, `ClassLogin.from_twin` reads the same values from the running twin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from class_airflow import credentials, shared_repo
from class_airflow.airflow_api import AirflowApi
from class_airflow.errors import ClassError
from class_airflow.paths import ClassPaths
from class_airflow.roster import Student

FINISHED = ("success", "failed")


@dataclass(frozen=True)
class ClassLogin:
    """Everything one student needs to reach the class Airflow (never committed)."""

    student: str
    repo: str  # what `git clone` takes: a path in the twin, a URL on a VM
    api: str  # the UI and REST API, e.g. http://127.0.0.1:8080
    ui_password: str
    db_host: str
    db_port: int
    db_password: str

    @property
    def dag_id(self) -> str:
        return f"{Student(self.student).dag_prefix}taxi_pipeline"

    @property
    def schema(self) -> str:
        return Student(self.student).schema

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> ClassLogin:
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError) as error:
            raise ClassError(
                f"{path}: not a class login file ({error}). Fix: save what "
                "`class credentials <your id> --json` prints, unchanged"
            ) from None

    @classmethod
    def from_twin(cls, paths: ClassPaths, student: str) -> ClassLogin | None:
        """The login of `student` on the twin running from `paths`, or None if there is none."""
        from class_airflow.twin import runner

        settings = runner.running_settings(paths)
        login = credentials.student_login(paths, student)
        if settings is None or login is None or not runner.stack_processes(paths):
            return None
        return cls(
            student=student,
            repo=str(paths.shared_repo),
            api=f"http://127.0.0.1:{settings.api_port}",
            ui_password=login.ui_password,
            db_host="127.0.0.1",
            db_port=settings.postgres_port,
            db_password=login.db_password,
        )


def _git(work: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(work), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise ClassError(f"git {' '.join(args)} failed in {work}: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def push_dag(login: ClassLogin, dag_file: Path, clone: Path, message: str = "") -> str:
    """Put `dag_file` into dags/<student>/ of a clone of the class repository, commit, push
    to main. Returns the commit; the gate judges it within a few seconds."""
    if not (clone / ".git").exists():
        clone.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["git", "clone", "--quiet", login.repo, str(clone)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise ClassError(f"cannot clone {login.repo}: {done.stderr.strip()[-300:]}")
    _git(clone, "config", "user.name", login.student)
    _git(clone, "config", "user.email", f"{login.student}@example.org")
    _git(clone, "pull", "--quiet", "--rebase", "origin", shared_repo.BRANCH)
    target = clone / "dags" / login.student / dag_file.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dag_file, target)
    _git(clone, "add", str(target.relative_to(clone)))
    if _git(clone, "status", "--porcelain"):
        _git(clone, "commit", "--quiet", "-m", message or f"{login.student}: {dag_file.name}")
    _git(clone, "push", "--quiet", "origin", f"HEAD:{shared_repo.BRANCH}")
    return _git(clone, "rev-parse", "HEAD")


def gate_verdict(clone: Path, commit: str, timeout: float = 120) -> str:
    """The gate's note on `commit` (DEPLOYED or HELD BACK, with reasons), as the student
    reads it: fetch the notes, show the note."""
    deadline = time.monotonic() + timeout
    while True:
        _git(clone, "fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*")
        done = subprocess.run(
            ["git", "-C", str(clone), "notes", "--ref", shared_repo.NOTES_REF, "show", commit],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            return done.stdout.strip()
        if time.monotonic() > deadline:
            raise ClassError(
                f"no verdict on {commit[:10]} after {timeout:.0f} s. Is the class Airflow's "
                "dag-sync running? Ask your teacher (`make class-status`)"
            )
        time.sleep(2)


def api(login: ClassLogin) -> AirflowApi:
    return AirflowApi.login(login.api, login.student, login.ui_password)


def wait_visible(login: ClassLogin, timeout: float = 180) -> dict:
    """The student's DAG as the shared scheduler lists it, once the dag-processor has it."""
    client = api(login)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [d for d in client.dags() if d["dag_id"] == login.dag_id]
        if found:
            return found[0]
        time.sleep(3)
    raise ClassError(f"{login.dag_id} is not visible after {timeout:.0f} s")


def run_month(login: ClassLogin, month: str, timeout: float = 600) -> str:
    """Unpause the student's DAG, trigger the month, wait; the run's final state."""
    client = api(login)
    client.set_paused(login.dag_id, False)
    run_id = client.trigger(login.dag_id, f"{month}-01T00:00:00Z")["dag_run_id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.dag_run(login.dag_id, run_id)["state"]
        if state in FINISHED:
            return state
        time.sleep(3)
    raise ClassError(f"{login.dag_id} run {run_id} did not finish in {timeout:.0f} s")


def my_rows(login: ClassLogin) -> dict[str, int]:
    """Rows per month in the student's own raw_trips, read with the student's own role."""
    import psycopg2

    connection = psycopg2.connect(
        host=login.db_host,
        port=login.db_port,
        user=login.schema,
        password=login.db_password,
        dbname="taxi",
        connect_timeout=10,
    )
    try:
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT to_char(source_month, 'YYYY-MM'), count(*) FROM {login.schema}.raw_trips "
                "GROUP BY 1 ORDER BY 1"
            )
            return dict(cur.fetchall())
    finally:
        connection.close()
