"""`class status`: one row per student, from the deploy state, the REST API and the warehouse.

The rows are plain data (`StudentStatus`); the terminal table, the HTML page and the PNG are
reporters over the same list (`reporters/`).
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field

from class_airflow import credentials, deploy, provision
from class_airflow import roster as roster_module
from class_airflow.airflow_api import AirflowApi
from class_airflow.errors import ClassError
from class_airflow.paths import ClassPaths
from class_airflow.twin import runner


@dataclass
class StudentStatus:
    student: str
    name: str
    deployed_commit: str | None = None
    dag_ids: list[str] = field(default_factory=list)
    held_commit: str | None = None
    held_reasons: list[str] = field(default_factory=list)
    last_run_state: str | None = None
    last_run_id: str | None = None
    rows_per_month: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_month.values())


@dataclass
class ClassStatus:
    students: list[StudentStatus]
    problems: list[str] = field(default_factory=list)  # what could not be read, and why


def _rows_per_month(url: str, schemas: list[str]) -> dict[str, dict[str, int]]:
    """schema -> {YYYY-MM: rows of raw_trips}, read as the superuser."""
    found: dict[str, dict[str, int]] = {}
    with closing(provision.connect(url, provision.WAREHOUSE_DB)) as con, con.cursor() as cur:
        cur.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'raw_trips' AND table_schema = ANY(%s)",
            (schemas,),
        )
        for (schema,) in cur.fetchall():
            cur.execute(
                f"SELECT to_char(source_month, 'YYYY-MM'), count(*) FROM \"{schema}\".raw_trips "
                "GROUP BY 1 ORDER BY 1"
            )
            found[schema] = {month: int(rows) for month, rows in cur.fetchall()}
    return found


def collect(paths: ClassPaths, roster_path) -> ClassStatus:
    roster = roster_module.load(roster_path)
    state = deploy.DeployState.load(paths)
    status = ClassStatus([])
    for student in roster.students:
        entry = state.students.get(student.id, deploy.StudentDeploy())
        status.students.append(
            StudentStatus(
                student.id,
                student.name,
                entry.deployed_commit,
                list(entry.dag_ids),
                entry.held_commit,
                list(entry.held_reasons),
            )
        )
    settings = runner.running_settings(paths)
    if settings is None or not runner.stack_processes(paths):
        status.problems.append("the class stack is not running: no run states, no row counts")
        return status
    try:
        api = AirflowApi.login(
            f"http://127.0.0.1:{settings.api_port}",
            credentials.TEACHER_LOGIN,
            credentials.teacher_password(paths),
        )
        for row in status.students:
            for dag_id in row.dag_ids[:1]:
                try:
                    run = api.last_run(dag_id)
                except ClassError:
                    continue  # deployed, not parsed yet
                if run:
                    row.last_run_state, row.last_run_id = run["state"], run["dag_run_id"]
    except ClassError as err:
        status.problems.append(f"run states unavailable: {err}")
    try:
        url = (
            f"postgresql://postgres:{credentials.superuser_password(paths)}"
            f"@127.0.0.1:{settings.postgres_port}/postgres"
        )
        counts = _rows_per_month(url, [f"airflow_{row.student}" for row in status.students])
        for row in status.students:
            row.rows_per_month = counts.get(f"airflow_{row.student}", {})
    except Exception as err:  # noqa: BLE001 - the page still shows what it has
        status.problems.append(f"row counts unavailable: {type(err).__name__}: {err}")
    return status
