"""The quiz travels with the hand-in: answers written by the quiz's own code end up in the
student's assignment folder, are collected with it, and show up in the class quiz report and
in the export.

ada works in a course checkout (`notebooks/` beside her `taxi_pipeline/`), takes the quiz with
`workbook quiz take` in notebooks/ and submits through the exchange. grace took the quiz
somewhere the assignment folder could not be found, and hands in a zip with `course hand-in`,
which brings her answers along.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app as course_app
from course.layout import Course
from course.nbapi import Nbgrader
from quiz.cli import app as quiz_app
from quiz.loader import DEFAULT_QUIZ, load_quiz
from quiz.responses import mark_submitted, new_responses, record_answer, save_responses
from tests.course import classroom
from tests.course.classroom import Student
from tests.quiz.test_terminal import ALL_RIGHT

pytestmark = pytest.mark.slow


def _course(*args: str, course: Course) -> str:
    result = CliRunner().invoke(course_app, [*args, "--root", str(course.root)])
    assert result.exit_code == 0, f"course {' '.join(args)}:\n{result.output}"
    return result.output


def test_quiz_answers_are_collected_reported_and_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = classroom.make_course(tmp_path / "course")
    nb = Nbgrader(course)
    assert nb.generate_assignment().success and nb.release_assignment().success
    students = tmp_path / "students"
    ada, grace = Student("ada", lambda _f: None), Student("grace", lambda _f: None, zipped=True)
    ada_folder, grace_folder = ada.fetch(course, students), grace.fetch(course, students)

    # ada: the terminal quiz, run from the checkout's notebooks/ folder.
    notebooks = students / "ada" / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    taken = CliRunner().invoke(quiz_app, ["take", "--student", "ada"], input="\n".join(ALL_RIGHT))
    assert taken.exit_code == 0, taken.output
    assert "(for your hand-in)" in taken.output
    handed = ada_folder / "quiz_responses" / "ada.json"
    assert json.loads(handed.read_text()) == json.loads(
        (notebooks / "quiz_responses" / "ada.json").read_text()
    )
    ada.submit(students)

    # grace: answers saved far from her assignment folder; `course hand-in` packs them.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    quiz = load_quiz(DEFAULT_QUIZ)
    answers = record_answer(new_responses(quiz, "grace"), "retry_tries", "3")
    assert save_responses(elsewhere / "quiz_responses" / "grace.json", answers) is None
    save_responses(elsewhere / "quiz_responses" / "grace.json", mark_submitted(answers))
    inbox = tmp_path / "inbox"
    packed = CliRunner().invoke(
        course_app, ["hand-in", str(grace_folder), "--student", "grace", "--out", str(inbox)]
    )
    assert packed.exit_code == 0, packed.output
    assert "quiz answers included" in packed.output

    _course("collect", course=course)
    _course("import-handins", str(inbox), course=course)
    for student in ("ada", "grace"):
        assert (course.submission(student) / "quiz_responses" / f"{student}.json").is_file()

    report = tmp_path / "quiz_report"
    result = CliRunner().invoke(quiz_app, ["report", str(course.submitted), "--out", str(report)])
    assert result.exit_code == 0, result.output  # HANDIN.json and the rest are not answers
    assert "2 students" in result.output
    with (report / "scores.csv").open(newline="") as handle:
        totals = {r["student"]: float(r["total"]) for r in csv.DictReader(handle)}
    assert totals["ada"] >= 16 and totals["grace"] == 1

    roster = tmp_path / "roster.csv"
    roster.write_text("id\nada\ngrace\n")
    _course("roster", "import", str(roster), course=course)
    _course("export", course=course)
    with course.grades_csv.open(newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert float(rows["ada"]["quiz_score"]) == totals["ada"]
    assert rows["grace"]["quiz_score"] == "1" and rows["grace"]["quiz_max"] == "20"
