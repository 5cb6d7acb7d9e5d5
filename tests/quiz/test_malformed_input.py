"""Malformed quiz, responses and overrides files are rejected with file, line, field and a fix,
never a traceback. Each bad quiz fixture says what it expects in its first line, and marks the
line the error must point at with "# <- error"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.errors import Problem, QuizError
from quiz.loader import load_quiz
from quiz.model import Quiz
from quiz.responses import load_responses
from quiz.teacher.overrides import load_overrides
from tests.quiz.paths import FIXTURES

BAD_QUIZZES = sorted((FIXTURES / "bad_quiz").glob("*.yaml"))
EXPECT = re.compile(
    r"# expect:(?: line=(?P<line>\d+))? field=(?P<field>\S*) "
    r"says=(?P<says>.*?)(?: fix=(?P<fix>.*))?$"
)
cli = CliRunner()


def expectation(path: Path) -> tuple[int, str, str, str]:
    lines = path.read_text().splitlines()
    found = EXPECT.match(lines[0])
    assert found, f"{path.name}: first line must be '# expect: field=... says=...'"
    marked = [n for n, text in enumerate(lines, start=1) if "# <- error" in text]
    line = int(found["line"]) if found["line"] else marked[0]
    return line, found["field"], found["says"], found["fix"] or ""


def matching(problems: tuple[Problem, ...], line: int, field: str, says: str, fix: str) -> bool:
    return any(
        p.line == line and p.field == field and says in p.message and fix in p.fix for p in problems
    )


def test_there_are_enough_distinct_bad_quizzes() -> None:
    assert len(BAD_QUIZZES) >= 15
    says = {expectation(p)[2] for p in BAD_QUIZZES}
    assert len(says) >= 15


def test_the_minimal_quiz_the_bad_ones_derive_from_is_valid() -> None:
    assert load_quiz(FIXTURES / "quiz_minimal.yaml").total_points == 1


@pytest.mark.parametrize("path", BAD_QUIZZES, ids=lambda p: p.stem)
def test_bad_quiz_is_rejected_at_its_line(path: Path) -> None:
    line, field, says, fix = expectation(path)
    with pytest.raises(QuizError) as caught:
        load_quiz(path)
    problems = caught.value.problems
    assert all(p.path == path for p in problems)
    assert matching(problems, line, field, says, fix), "\n".join(map(str, problems))


@pytest.mark.parametrize("path", BAD_QUIZZES[:6], ids=lambda p: p.stem)
def test_validate_command_prints_the_problem_not_a_traceback(path: Path) -> None:
    line, _, says, _ = expectation(path)
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}:{line}:" in result.output.replace("\n", "")
    assert "Traceback" not in result.output


BAD_RESPONSES = [
    ("truncated.json", 11, "", "not valid JSON"),
    ("a_json_list.json", 1, "", "expected a JSON object"),
    ("not_a_responses_file.json", 1, "format", "is not a quiz responses file"),
    ("newer_schema_version.json", 3, "schema_version", "written by a newer workbook"),
    ("missing_student.json", 1, "student", "`student` is missing"),
    ("student_id_with_space.json", 6, "student", "'ada lovelace' is not a valid student id"),
    ("unknown_question.json", 11, "answers.xcom_size", "there is no question 'xcom_size'"),
    (
        "unknown_option.json",
        10,
        "answers.scheduling_vs_orchestration.value",
        "'e' is not an option",
    ),
    (
        "single_choice_given_a_list.json",
        10,
        "answers.scheduling_vs_orchestration.value",
        "must be text, not a list",
    ),
    ("ordering_item_twice.json", 11, "answers.debugging_order.value[2]", "'grid' is listed twice"),
    (
        "open_answer_is_a_list.json",
        10,
        "answers.idempotent_month_load.value",
        "must be text, not a list",
    ),
    ("timestamp_without_timezone.json", 7, "started_at", "not a timestamp with a time zone"),
    ("other_quiz.json", 4, "quiz_id", "answers quiz 'week_10_quiz'"),
    ("unknown_field.json", 7, "score", "unknown key `score`"),
    ("answer_without_value.json", 10, "answers.retry_tries.value", "`value` is missing"),
]


def test_every_bad_responses_fixture_is_in_the_table() -> None:
    on_disk = {p.name for p in (FIXTURES / "bad_responses").glob("*.json")}
    assert on_disk == {name for name, *_ in BAD_RESPONSES}


@pytest.mark.parametrize(
    ("name", "line", "field", "says"), BAD_RESPONSES, ids=[r[0] for r in BAD_RESPONSES]
)
def test_bad_responses_are_rejected_at_their_line(
    quiz: Quiz, name: str, line: int, field: str, says: str
) -> None:
    path = FIXTURES / "bad_responses" / name
    with pytest.raises(QuizError) as caught:
        load_responses(path, quiz)
    assert matching(caught.value.problems, line, field, says, ""), str(caught.value)


def test_scoring_a_folder_skips_bad_files_and_scores_the_rest(tmp_path: Path) -> None:
    for name in ("truncated.json", "unknown_option.json"):
        (tmp_path / name).write_text((FIXTURES / "bad_responses" / name).read_text())
    (tmp_path / "partial.json").write_text((FIXTURES / "responses" / "partial.json").read_text())
    result = cli.invoke(app, ["score", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "partial" in result.output and "8.4/20" in result.output
    assert "truncated.json:11" in result.output and "Traceback" not in result.output


BAD_OVERRIDES = [
    (
        "no_points_column.csv",
        "student,question,comment\nada,retry_tries,ok\n",
        1,
        "points",
        "no `points` column",
    ),
    (
        "misspelled_column.csv",
        "student,question,points,coment\nada,retry_tries,1,x\n",
        1,
        "coment",
        "unknown column",
    ),
    (
        "points_not_a_number.csv",
        "student,question,points\nada,retry_tries,three\n",
        2,
        "points",
        "'three' is not a number",
    ),
    (
        "points_empty.csv",
        "student,question,points\nada,retry_tries,\n",
        2,
        "points",
        "`points` is empty",
    ),
    (
        "points_above_max.csv",
        "student,question,points\nada,retry_tries,2\n",
        2,
        "points",
        "more than question 'retry_tries' is worth (1)",
    ),
    (
        "negative_points.csv",
        "student,question,points\nada,retry_tries,-1\n",
        2,
        "points",
        "negative",
    ),
    (
        "unknown_question.csv",
        "student,question,points\nada,xcom_size,1\n",
        2,
        "question",
        "no question 'xcom_size'",
    ),
    (
        "bad_student.csv",
        "student,question,points\nada lovelace,retry_tries,1\n",
        2,
        "student",
        "is not a student id",
    ),
    (
        "duplicate_row.csv",
        "student,question,points\nada,retry_tries,1\n\nada,retry_tries,0\n",
        4,
        "",
        "a second override for ada / retry_tries (the first is at",
    ),
    (
        "not_a_list.yaml",
        "student: ada\nquestion: retry_tries\npoints: 1\n",
        1,
        "",
        "must be a list",
    ),
    (
        "unknown_key.yaml",
        "- student: ada\n  question: retry_tries\n  pionts: 1\n",
        1,
        "pionts",
        "unknown key",
    ),
    ("wrong_kind.txt", "ada,retry_tries,1\n", None, "", "must be a .csv or .yaml file"),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "field", "says"), BAD_OVERRIDES, ids=[o[0] for o in BAD_OVERRIDES]
)
def test_bad_overrides_are_rejected_at_their_line(
    quiz: Quiz, tmp_path: Path, name: str, text: str, line: int | None, field: str, says: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(QuizError) as caught:
        load_overrides(path, quiz)
    assert matching(caught.value.problems, line, field, says, ""), str(caught.value)


def test_a_spreadsheet_export_with_semicolons_and_decimal_commas_is_read(
    quiz: Quiz, tmp_path: Path
) -> None:
    path = tmp_path / "overrides.csv"
    path.write_text("\ufeffStudent;Question;Points;Comment\nada;idempotent_month_load;3,5;goed\n")
    found = load_overrides(path, quiz)
    assert found[("ada", "idempotent_month_load")].points == 3.5
    assert found[("ada", "idempotent_month_load")].comment == "goed"
