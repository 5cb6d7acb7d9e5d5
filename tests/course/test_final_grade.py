"""The manual rubric, screenshots, the pass mark and the grade per tier (course.toml), as the
export applies them."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from course.cli import app
from course.deadlines import Lateness
from course.errors import CourseError
from course.final_grade import PENDING, StudentPoints, extra_columns, final_columns
from course.layout import Course
from course.quiz_link import QuizScore
from course.rubric import load_rubric, screenshots, write_template
from course.settings import CourseSettings, load_settings
from tests.conftest import REPO

SETTINGS = load_settings(REPO / "assignment")  # pass mark 55 %, pass tier minimum, A/B/C
ALL_RUBRIC = {"runbook": 10.0, "report": 12.0, "screenshots": 3.0, "ai_log": 2.0}  # 27 points
ON_TIME = Lateness(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 12, tzinfo=UTC), 0.0)


def points(score: float, tier: str, **changes) -> StudentPoints:
    values = dict(
        score=score,
        max_score=113.0,
        tier=tier,
        handed_in=True,
        needs_manual_grade=False,
        lateness=ON_TIME,
    )
    return StudentPoints(**(values | changes))


def grade(settings: CourseSettings, student: StudentPoints, rubric=ALL_RUBRIC, quiz=None):
    return final_columns(settings, student, rubric, None, quiz, 20.0)


@pytest.mark.parametrize(
    ("score", "tier", "rubric", "passed", "letter"),
    [
        (113, "stretch", ALL_RUBRIC, "true", "A"),
        (90, "target", ALL_RUBRIC, "true", "B"),
        (
            70,
            "minimum",
            {"runbook": 5.0, "report": 6.0, "screenshots": 1.0, "ai_log": 2.0},
            "true",
            "C",
        ),
        # 55 % of 140 is 77: 50 + 26 = 76 points is one short.
        (50, "minimum", ALL_RUBRIC | {"ai_log": 1.0}, "false", "F"),
        (113, "none", ALL_RUBRIC, "false", "F"),  # full points, but not even the Minimum tier
        (113, "stretch", ALL_RUBRIC | {"report": None}, "", PENDING),  # a rubric cell is blank
    ],
    ids=["stretch", "target", "minimum", "below-pass-mark", "no-tier", "rubric-pending"],
)
def test_pass_mark_and_grade_per_tier(score, tier, rubric, passed, letter) -> None:
    row = grade(SETTINGS, points(score, tier), rubric)
    assert (row["passed"], row["grade"]) == (passed, letter), row
    assert row["total_max"] == "140"


def test_a_formgrader_question_waiting_keeps_the_grade_pending() -> None:
    row = grade(SETTINGS, points(113, "stretch", needs_manual_grade=True))
    assert row["grade"] == PENDING and row["passed"] == ""


def test_nothing_handed_in_fails() -> None:
    row = grade(SETTINGS, points(0, "none", handed_in=False), rubric=None)
    assert row["grade"] == "F" and row["passed"] == "false" and row["days_late"] == ""


def test_the_late_penalty_comes_off_the_whole_total() -> None:
    late = Lateness(datetime(2027, 3, 14, tzinfo=UTC), datetime(2027, 3, 12, tzinfo=UTC), 0.2)
    row = grade(SETTINGS, points(113, "stretch", lateness=late))
    assert row["days_late"] == "2" and row["total"] == "112" and row["percent"] == "80"


def test_the_quiz_counts_only_when_configured() -> None:
    quiz = QuizScore(score=10, max_score=20, to_review=1, submitted=True)
    formative = grade(SETTINGS, points(113, "stretch"), quiz=quiz)
    assert formative["total_max"] == "140" and formative["grade"] == "A"
    assert (formative["quiz_score"], formative["quiz_to_review"]) == ("10", "1")
    counted = SETTINGS.model_copy(
        update={"grades": SETTINGS.grades.model_copy(update={"count_quiz": True})}
    )
    row = grade(counted, points(113, "stretch"), quiz=quiz)
    assert row["total_max"] == "160" and row["grade"] == PENDING  # an open answer to review


def test_the_columns_follow_the_rubric_items() -> None:
    columns = extra_columns(SETTINGS)
    for name in ["rubric_runbook", "rubric_report", "rubric_screenshots", "rubric_ai_log"]:
        assert name in columns
    assert columns[-2:] == ["passed", "grade"]


# ------------------------------------------------------------------------ rubric.csv, images


@pytest.fixture
def course(tmp_path: Path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(REPO / "assignment" / "course.toml", root / "course.toml")
    return Course(root)


def test_the_rubric_template_keeps_what_was_entered(course: Course) -> None:
    path = write_template(course, SETTINGS, ["grace", "ada"])
    assert path.read_text().splitlines() == [
        "student,runbook,report,screenshots,ai_log,comment",
        "ada,,,,,",
        "grace,,,,,",
    ]
    path.write_text(
        "student,runbook,report,screenshots,ai_log,comment\n"
        'ada,9,11,3,2,"swap test passed, great log"\ngrace,6,,,,\n'
    )
    write_template(course, SETTINGS, ["ada", "grace", "ken"])
    assert load_rubric(course, SETTINGS) == {
        "ada": {"runbook": 9, "report": 11, "screenshots": 3, "ai_log": 2},
        "grace": {"runbook": 6, "report": None, "screenshots": None, "ai_log": None},
        "ken": {"runbook": None, "report": None, "screenshots": None, "ai_log": None},
    }
    assert "swap test passed, great log" in path.read_text()


def test_rubric_mistakes_name_file_line_and_column(course: Course) -> None:
    path = course.root / "rubric.csv"
    path.write_text("student;runbook;report\nada;11;x\nada;1;1\n")  # semicolons, as Excel
    with pytest.raises(CourseError) as caught:
        load_rubric(course, SETTINGS)
    message = str(caught.value)
    assert f"{path}:2: runbook: 11 is outside 0-10" in message
    assert f"{path}:2: report: 'x' is not a number" in message
    assert f"{path}:3: student: 'ada' has a second row" in message
    path.write_text("student,runbok\nada,1\n")
    with pytest.raises(CourseError, match=r"rubric.csv:1: header"):
        load_rubric(course, SETTINGS)


def test_course_rubric_writes_a_row_per_student(course: Course) -> None:
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", course.root / "nbgrader_config.py")
    (course.submission("ada")).mkdir(parents=True)
    result = CliRunner().invoke(app, ["rubric", "--root", str(course.root)])
    assert result.exit_code == 0, result.output
    assert "runbook (0-10), report (0-12), screenshots (0-3), ai_log (0-2)" in result.output
    assert (course.root / "rubric.csv").read_text().splitlines()[1] == "ada,,,,,"


def test_screenshots_must_be_real_images_of_screen_size(tmp_path: Path) -> None:
    folder = tmp_path / "taxi_pipeline"
    (folder / "screenshots").mkdir(parents=True)
    Image.new("RGB", (1280, 800), "white").save(folder / "screenshots" / "graph.png")
    Image.new("RGB", (1024, 640), "green").save(folder / "screenshots" / "run.jpg")
    Image.new("RGB", (32, 32), "red").save(folder / "icon.png")  # too small to show anything
    (folder / "screenshots" / "log.png").write_text("not an image")
    (folder / "feedback").mkdir()
    Image.new("RGB", (1280, 800)).save(folder / "feedback" / "theirs.png")  # not handed in
    found = screenshots(folder)
    assert (found.found, found.valid) == (4, 2)
