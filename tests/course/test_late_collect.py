"""A submission after the due date, through nbgrader's real exchange: `course collect` keeps the
last one before the due date; late work is excluded, or collected and penalised, as configured.

The class: ada submits on time, then again after the due date; grace submits only after it;
ken submits on time with an extension he did not need. The due date is the moment between.
"""

from __future__ import annotations

import csv
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.layout import ASSIGNMENT, COURSE_ID, Course
from course.nbapi import Nbgrader
from tests.conftest import REPO
from tests.course import classroom
from tests.course.classroom import Student

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Class:
    course: Course
    due: datetime


def _runbook(text: str):
    """A student's work: the reference DAG (so the notebook's checks score points a penalty can
    take a share of) and a runbook that tells the versions apart."""

    def work(folder: Path) -> None:
        shutil.copy2(REPO / "dags" / "taxi_pipeline.py", folder / "dags" / "taxi_pipeline.py")
        (folder / "RUNBOOK.md").write_text(text)

    return work


@pytest.fixture(scope="module")
def submitted(tmp_path_factory: pytest.TempPathFactory) -> Class:
    base = tmp_path_factory.mktemp("late")
    course = classroom.make_course(base / "course")
    nb = Nbgrader(course)
    assert nb.generate_assignment().success and nb.release_assignment().success
    students = base / "students"
    ada, grace, ken = (
        Student(n, _runbook(v)) for n, v in [("ada", "v1"), ("grace", "g1"), ("ken", "k1")]
    )
    for student in (ada, grace, ken):
        student.work(student.fetch(course, students))
    ada.submit(students)
    ken.submit(students)
    time.sleep(1.1)
    due = datetime.now(UTC)
    time.sleep(1.1)
    (students / "ada" / ASSIGNMENT / "RUNBOOK.md").write_text("v2, after the due date")
    ada.submit(students)
    grace.submit(students)
    return Class(course, due)


def _course_with(submitted: Class, tmp_path: Path, policy: str) -> Course:
    copy = Course(tmp_path / "course")
    shutil.copytree(submitted.course.root, copy.root)
    text = (copy.root / "course.toml").read_text()
    text = text.replace("[deadline]\n", f"[deadline]\ndue = {submitted.due.isoformat()}\n", 1)
    text = text.replace('late_policy = "penalty"', f'late_policy = "{policy}"')
    (copy.root / "course.toml").write_text(text)
    (copy.root / "extensions.csv").write_text("student,until,note\nken,2099-01-01,\n")
    return copy


def _collect(course: Course) -> str:
    result = CliRunner().invoke(app, ["collect", "--root", str(course.root)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _runbook_of(course: Course, student: str) -> str:
    return (course.submission(student) / "RUNBOOK.md").read_text()


def test_exclude_keeps_the_last_submission_before_the_due_date(submitted: Class, tmp_path):
    course = _course_with(submitted, tmp_path, "exclude")
    # A collect run before the due date was set took everyone's latest, late work included.
    assert Nbgrader(course).collect().success
    assert _runbook_of(course, "ada").startswith("v2") and _runbook_of(course, "grace") == "g1"

    output = _collect(course)
    assert _runbook_of(course, "ada") == "v1"
    assert course.submitted_students() == ["ada", "ken"]
    late = course.root / "late" / "grace" / ASSIGNMENT
    assert (late / "RUNBOOK.md").read_text() == "g1", "late work is kept, out of grading"
    assert "late work kept out of grading" in output
    assert "grace" in output and "excluded" in output
    assert "ada" in output and "on time" in output


def test_penalty_collects_late_work_and_the_export_takes_the_penalty_off(
    submitted: Class, tmp_path: Path
) -> None:
    course = _course_with(submitted, tmp_path, "penalty")
    output = _collect(course)
    assert _runbook_of(course, "ada") == "v1", "an on-time submission wins over a later one"
    assert _runbook_of(course, "grace") == "g1"
    assert "late, 1 d" in output

    nb = Nbgrader(course)
    step = nb.autograde("grace")  # nbgrader's own late step runs the course's plugin
    assert step.success, step.problem()
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, COURSE_ID) as gb:
        submission = gb.find_submission(ASSIGNMENT, "grace")
        assert submission.total_seconds_late > 0
        notebook = submission.notebooks[0]
        assert notebook.score > 0
        assert notebook.late_submission_penalty == pytest.approx(round(notebook.score * 0.1, 2))
        on_time_total = notebook.score

    target = tmp_path / "grades.csv"
    result = CliRunner().invoke(app, ["export", "--to", str(target), "--root", str(course.root)])
    assert result.exit_code == 0, result.output
    with target.open(newline="") as handle:
        grace = next(r for r in csv.DictReader(handle) if r["student_id"] == "grace")
    assert grace["days_late"] == "1"
    assert float(grace["late_penalty"]) == pytest.approx(on_time_total * 0.1, abs=0.01)
    assert float(grace["score"]) == pytest.approx(on_time_total * 0.9, abs=0.01)
    assert float(grace["total"]) < float(grace["total_max"])
