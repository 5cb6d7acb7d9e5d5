"""The teacher's `course` command: mistakes give a message and exit code 1, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.errors import CourseError
from course.layout import Course
from course.nbapi import load_config
from course.release import verify_release
from course.stubs import write_student_dag
from tests.conftest import REPO


@pytest.fixture
def course(tmp_path: Path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course(root)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


def test_grading_before_releasing_says_what_to_do(course: Course) -> None:
    code, output = _run("grade", "--root", str(course.root))
    assert code == 1 and "release the assignment first (`course release`)" in output


def test_feedback_before_grading_says_what_to_do(course: Course) -> None:
    code, output = _run("feedback", "--root", str(course.root))
    assert code == 1 and "run `course grade` first" in output


def test_grading_an_unknown_student_names_them(course: Course) -> None:
    course.release.mkdir(parents=True)
    code, output = _run("grade", "--root", str(course.root), "--student", "nobody")
    assert code == 1 and "no collected submission for nobody" in output


def test_a_folder_without_nbgrader_config_is_explained(tmp_path: Path) -> None:
    code, output = _run("release", "--root", str(tmp_path))
    assert code == 1 and "does not exist. Pass --root with the course folder" in output


def test_student_setup_writes_a_config_for_the_local_exchange(course: Course, tmp_path: Path):
    code, output = _run("student-setup", str(tmp_path / "ada"), "--root", str(course.root))
    assert code == 0, output
    config = load_config(Course(tmp_path / "ada"))
    assert config.Exchange.root == str(course.exchange)


def test_a_broken_solution_marker_stops_the_stub_at_its_line(tmp_path: Path) -> None:
    reference = tmp_path / "x.py"
    reference.write_text("def f():\n    ### BEGIN SOLUTION: the body\n    return 1\n")
    with pytest.raises(CourseError, match=r"x\.py:2: this solution region is never closed"):
        write_student_dag(tmp_path / "stub.py", reference)
    assert not (tmp_path / "stub.py").exists()


def test_a_release_with_solution_text_is_refused(course: Course, tmp_path: Path) -> None:
    reference = tmp_path / "reference.py"
    reference.write_text(
        "def f():\n    ### BEGIN SOLUTION: the body\n    return 41 + 1\n    ### END SOLUTION\n"
    )
    released = course.release / "dags" / "x.py"
    released.parent.mkdir(parents=True)
    released.write_text(reference.read_text().replace("### BEGIN SOLUTION: ", "# "))
    problems = verify_release(course, reference)
    assert any("contains solution code" in p and "return 41 + 1" in p for p in problems), problems
    write_student_dag(released, reference)
    assert verify_release(course, reference) == []
