"""Adding and removing one student while the class runs; nobody else is touched.

add:    the roster line -> secrets (a UI and a database password) -> PostgreSQL role and
        schema -> a folder in the shared repository -> the api-server restarted, because the
        simple auth manager reads its user list when it starts (a few seconds without UI)
remove: the roster line -> the student's DAGs off the scheduler -> schema and role dropped ->
        secrets -> the api-server restarted. Their folder stays in the repository's history.
"""

from __future__ import annotations

from pathlib import Path

from class_airflow import credentials, deploy, provision, shared_repo
from class_airflow import roster as roster_module
from class_airflow.paths import ClassPaths
from class_airflow.roster import Student
from class_airflow.twin import runner


def _postgres_url(paths: ClassPaths) -> str:
    settings = runner.running_settings(paths)
    port = settings.postgres_port if settings else 5432
    return (
        f"postgresql://postgres:{credentials.superuser_password(paths)}@127.0.0.1:{port}/postgres"
    )


def is_running(paths: ClassPaths) -> bool:
    return bool(runner.stack_processes(paths))


def add_student(paths: ClassPaths, roster_path: Path, student: Student) -> Student:
    roster = roster_module.add(roster_path, student)
    added = roster.get(student.id)
    if not is_running(paths):
        return added  # `class up` provisions everyone on the roster
    credentials.sync(paths, roster)
    provision.ensure_students(_postgres_url(paths), paths, [added])
    shared_repo.ensure(paths.shared_repo, roster)
    runner.restart(paths, ["api-server"])
    return added


def remove_student(paths: ClassPaths, roster_path: Path, student_id: str) -> None:
    roster = roster_module.remove(roster_path, student_id)
    deploy.undeploy(paths, student_id)
    if not is_running(paths):
        credentials.sync(paths, roster)
        return
    provision.drop_student(_postgres_url(paths), student_id)
    credentials.sync(paths, roster)
    runner.restart(paths, ["api-server"])
