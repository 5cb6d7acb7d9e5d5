"""Deadlines without nbgrader's exchange: course.toml, the late policy, extensions, the roster."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.deadlines import DueDates, load_extensions, parse_moment
from course.errors import CourseError
from course.layout import COURSE_ID, Course
from course.roster import import_roster
from course.settings import Deadline, load_settings
from tests.conftest import REPO

DUE = "2027-03-12T23:59:00"


def write_settings(root: Path, deadline: str, extra: str = "") -> None:
    text = (REPO / "assignment" / "course.toml").read_text()
    text = text.replace("[deadline]\n", f"[deadline]\n{deadline}\n", 1)
    (root / "course.toml").write_text(text + extra)


@pytest.fixture
def course(tmp_path: Path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", root / "nbgrader_config.py")
    write_settings(root, f"due = {DUE}")
    return Course(root)


def test_the_repositorys_settings_are_valid_and_set_no_due_date() -> None:
    settings = load_settings(REPO / "assignment")
    assert settings.deadline.due is None and settings.deadline.late_policy == "penalty"
    assert set(settings.rubric) == {"runbook", "report", "screenshots", "ai_log"}
    assert settings.grades.tier_grades["stretch"] == "A"


def test_the_due_date_is_read_in_the_courses_time_zone(course: Course) -> None:
    deadline = load_settings(course.root).deadline
    # Amsterdam is UTC+1 in March before the switch to summer time.
    assert deadline.due_utc == datetime(2027, 3, 12, 22, 59, tzinfo=UTC)
    assert "due 2027-03-12 23:59 Europe/Amsterdam" in deadline.describe()


@pytest.mark.parametrize(
    ("policy", "seconds_late", "share"),
    [
        ("exclude", 0, 0.0),
        ("exclude", 1, 1.0),
        ("penalty", 0, 0.0),
        ("penalty", 1, 0.1),  # a started day counts
        ("penalty", 86400, 0.1),
        ("penalty", 86401, 0.2),
        ("penalty", 30 * 86400, 0.5),  # capped at max_penalty
    ],
)
def test_late_share_by_policy(policy: str, seconds_late: float, share: float) -> None:
    deadline = Deadline(due=datetime(2027, 3, 12), late_policy=policy, max_penalty=0.5)
    assert deadline.late_fraction(seconds_late) == share


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[deadline]\nlate_polcy = 'exclude'\n", "deadline.late_polcy: Extra inputs"),
        ("[deadline]\ntimezone = 'Mars/Olympus'\n", "deadline.timezone: 'Mars/Olympus' is not"),
        ("[deadline]\nlate_policy = 'forgive'\n", "deadline.late_policy: Input should be"),
        ("[grades]\npass_tier = 'target'\ntier_grades = {stretch = 'A'}\n", "no grade for target"),
        ("[rubric.Run-book]\npoints = 2\n", "must be a lower-case name"),
        ("[deadline\n", "not valid TOML"),
        ("[autograder]\nsecret_file = 'secret.txt'\n", "autograder.secret_file: 'secret.txt' is"),
    ],
    ids=["typo", "zone", "policy", "grades", "rubric-name", "syntax", "relative-secret"],
)
def test_a_wrong_setting_names_the_key(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "course.toml").write_text(text)
    with pytest.raises(CourseError) as caught:
        load_settings(tmp_path)
    assert str(tmp_path / "course.toml") in str(caught.value)
    assert problem in str(caught.value)


def test_dates_as_teachers_write_them() -> None:
    deadline = Deadline(timezone="Europe/Amsterdam")
    assert parse_moment("2027-03-16 23:59", deadline) == datetime(2027, 3, 16, 22, 59, tzinfo=UTC)
    assert parse_moment("2027-03-16", deadline) == datetime(2027, 3, 16, 22, 59, 59, tzinfo=UTC)
    assert parse_moment("2027-03-16T12:00+00:00", deadline).hour == 12
    with pytest.raises(ValueError, match="is not a date and time"):
        parse_moment("next tuesday", deadline)


def test_an_extension_moves_one_students_due_date(course: Course) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["extend", "ada", "--until", "2027-03-16 23:59", "--root", str(course.root)]
    )
    assert result.exit_code == 0, result.output
    assert "ada: due 2027-03-16 23:59 Europe/Amsterdam" in result.output
    dates = DueDates.load(course)
    assert dates.due("ada") == datetime(2027, 3, 16, 22, 59, tzinfo=UTC)
    assert dates.due("grace") == datetime(2027, 3, 12, 22, 59, tzinfo=UTC)
    on_time_for_ada = datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    assert not dates.lateness("ada", on_time_for_ada).is_late
    grace = dates.lateness("grace", on_time_for_ada)
    assert grace.is_late and grace.fraction == 0.2  # two started days, penalty policy

    earlier = runner.invoke(
        app, ["extend", "ada", "--until", "2027-03-01", "--root", str(course.root)]
    )
    assert earlier.exit_code == 1 and "is not after the due date" in earlier.output


def test_a_broken_extensions_file_names_its_line(course: Course) -> None:
    (course.root / "extensions.csv").write_text("student,until,note\nada,2027-03-16,\nken,soon,\n")
    with pytest.raises(CourseError, match=r"extensions.csv:3: until: 'soon' is not a date"):
        load_extensions(course)


# ----------------------------------------------------------------------------- the roster


def test_the_roster_goes_into_the_gradebook_with_its_extensions(course: Course, tmp_path: Path):
    from nbgrader.api import Gradebook

    roster = tmp_path / "roster.csv"
    roster.write_text(
        "\ufeffid;first_name;last_name;email;extension_until\n"  # Excel: BOM and semicolons
        "ada;Ada;Lovelace;ada@example.org;2027-03-15 12:00\n"
        "grace;Grace;Hopper;;\n"
        "\n"
    )
    result = CliRunner().invoke(app, ["roster", "import", str(roster), "--root", str(course.root)])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 1 extension(s)" in result.output
    with Gradebook(course.db_url, COURSE_ID) as gb:
        assert {s.id: s.last_name for s in gb.students} == {"ada": "Lovelace", "grace": "Hopper"}
        assert gb.find_student("ada").email == "ada@example.org"
    assert DueDates.load(course).due("ada") == datetime(2027, 3, 15, 11, 0, tzinfo=UTC)
    again = import_roster(course, roster)
    assert again.added == [] and again.updated == ["ada", "grace"]


def test_bad_roster_rows_are_all_listed_and_nothing_is_imported(course: Course, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,first_name,email,extension_until\n"
        "ada,Ada,ada@example.org,\n"
        "bad id,Bob,,\n"
        "ken,Ken,not-an-email,\n"
        "ada,Ada again,,\n"
        "linus,Linus,,whenever\n"
    )
    with pytest.raises(CourseError) as caught:
        import_roster(course, roster)
    message = str(caught.value)
    assert f"{roster}:3: id: 'bad id' cannot be a student id" in message
    assert f"{roster}:4: email:" in message
    assert f"{roster}:5: id: 'ada' is also on line 2" in message
    assert f"{roster}:6: extension_until: 'whenever' is not a date" in message
    assert "Nothing was imported" in message
    assert not course.gradebook.exists() or _students(course) == []


def test_a_roster_with_an_unknown_column_is_refused(course: Course, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,frist_name\nada,Ada\n")
    with pytest.raises(
        CourseError, match=r"roster.csv:1: header: unknown column\(s\) \['frist_name'\]"
    ):
        import_roster(course, roster)


def _students(course: Course) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, COURSE_ID) as gb:
        return [s.id for s in gb.students]
