"""The course's hidden-checks secret reaches the grading workers' environment, and only theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.sandbox.environment import harness_env
from class_airflow import credentials
from class_airflow.errors import ClassError
from class_airflow.paths import ClassPaths
from class_airflow.placement import TwinPlacement
from class_airflow.roster import Roster, Student
from class_airflow.stack import StackSettings, declare
from class_airflow.twin.runner import service_environment

SECRET = "0123456789abcdef-course-secret"


@pytest.fixture(autouse=True)
def _course_without_secret_file(tmp_path, monkeypatch) -> None:
    # A course root whose course.toml names no secret file: the variable decides.
    monkeypatch.setenv("WEEK11_COURSE_ROOT", str(tmp_path / "course"))


def _environments(tmp_path: Path) -> dict[str, dict[str, str]]:
    paths = ClassPaths(tmp_path / "state")
    env = credentials.sync(paths, Roster(tmp_path / "roster.csv", (Student(id="ada", name="Ada"),)))
    place = TwinPlacement(paths, tmp_path / "roster.csv", env)
    stack = declare(StackSettings(workers=1, grading_workers=1))
    return {service.name: service_environment(service, place) for service in stack.services}


def test_only_grading_workers_get_the_course_secret(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADER_SECRET", SECRET)
    environments = _environments(tmp_path)
    holders = {name for name, env in environments.items() if SECRET in env.values()}
    assert holders == {"grading-worker-1"}
    assert environments["grading-worker-1"]["AUTOGRADER_SECRET"] == SECRET
    # The secret is read anew from the course on every sync, never kept with the stack's keys.
    assert SECRET not in (tmp_path / "state" / "secrets" / "secrets.json").read_text()


def test_the_sandbox_a_grading_worker_starts_does_not_inherit_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADER_SECRET", SECRET)
    sandbox = harness_env(tmp_path, 30.0, {})
    assert "AUTOGRADER_SECRET" not in sandbox
    assert SECRET not in sandbox.values()


def test_without_a_course_secret_the_workers_use_the_public_values(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("AUTOGRADER_SECRET", raising=False)
    assert _environments(tmp_path)["grading-worker-1"]["AUTOGRADER_SECRET"] == ""


def test_the_course_toml_secret_file_wins_over_the_variable(tmp_path, monkeypatch) -> None:
    secret_file = tmp_path / "outside" / "secret"
    secret_file.parent.mkdir()
    secret_file.write_text(SECRET + "-from-file\n")
    secret_file.chmod(0o600)
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "course.toml").write_text(
        f'[autograder]\nsecret_file = "{secret_file}"\n'
    )
    monkeypatch.setenv("AUTOGRADER_SECRET", SECRET)
    worker = _environments(tmp_path)["grading-worker-1"]
    assert worker["AUTOGRADER_SECRET"] == SECRET + "-from-file"


def test_a_too_short_secret_stops_the_sync_with_the_reason(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADER_SECRET", "short")
    with pytest.raises(ClassError, match="grading workers' secret.*at least 16"):
        _environments(tmp_path)
