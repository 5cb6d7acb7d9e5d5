"""`workbook quiz ...` end to end through typer's CliRunner, plus the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.model import schema_text
from tests.quiz.paths import FIXTURES, QUIZ_PATH, REPO
from workbook.cli import app as workbook_app

cli = CliRunner()
PARTIAL = FIXTURES / "responses" / "partial.json"


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_quiz_app_is_mounted_on_workbook() -> None:
    result = cli.invoke(workbook_app, ["quiz", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("validate", "take", "score", "report", "schema"):
        assert command in result.output


def test_validate_the_real_quiz() -> None:
    result = cli.invoke(app, ["validate", str(QUIZ_PATH)])
    assert result.exit_code == 0, result.output
    assert "valid. 7 questions, 20 points" in flat(result.output)


def test_a_missing_file_is_a_usage_error() -> None:
    result = cli.invoke(app, ["validate", "no/such/quiz.yaml"])
    assert result.exit_code == 2


def test_schema_prints_the_committed_schema() -> None:
    result = cli.invoke(app, ["schema"])
    assert result.exit_code == 0 and result.stdout == schema_text()


def test_score_one_file_shows_the_feedback() -> None:
    result = cli.invoke(app, ["score", str(PARTIAL)])
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "Score: 8.4/20 · open answers 3/8, provisional" in text
    assert "Expected: 3." in text and "1. Orchestration: wrong 0/2" in text


def test_score_json_is_machine_readable() -> None:
    result = cli.invoke(app, ["score", str(FIXTURES / "responses"), "--json"])
    assert result.exit_code == 0, result.output
    totals = {r["student"]: r["total"] for r in json.loads(result.stdout)}
    assert totals == {"all_right": 20, "all_wrong": 0, "empty": 0, "partial": 8.4, "typos": 11}


def test_score_with_overrides(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(
        "- student: partial\n  question: month_13_debugging\n  points: 3\n  comment: Fair.\n"
    )
    result = cli.invoke(app, ["score", str(PARTIAL), "--overrides", str(overrides), "--json"])
    assert result.exit_code == 0, result.output
    [scored] = json.loads(result.stdout)
    assert scored["total"] == pytest.approx(9.4)
    q7 = next(q for q in scored["questions"] if q["id"] == "month_13_debugging")
    assert (q7["points"], q7["auto_points"], q7["needs_review"]) == (3, 2, False)


def test_score_with_a_broken_overrides_file_names_the_line(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,question,points\npartial,month_13_debugging,9\n")
    result = cli.invoke(app, ["score", str(PARTIAL), "--overrides", str(overrides)])
    assert result.exit_code == 1
    assert f"{overrides}:2: points: 9 points is more than" in flat(result.output)
    assert "Traceback" not in result.output


def test_report_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = cli.invoke(app, ["report", str(FIXTURES / "responses"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "distractors.csv", "overrides_template.csv", "questions.csv", "report.png", "review.md",
        "scores.csv",
    ]  # fmt: skip
    assert "5 students: mean 7.9, median 8.4" in flat(result.output)
    assert "1 student(s) never pressed Submit" in flat(result.output)


def test_report_refuses_to_read_overrides_from_the_template_it_rewrites(tmp_path: Path) -> None:
    out = tmp_path / "report"
    cli.invoke(app, ["report", str(FIXTURES / "responses"), "--out", str(out)])
    template = out / "overrides_template.csv"
    result = cli.invoke(
        app,
        ["report", str(FIXTURES / "responses"), "--out", str(out), "--overrides", str(template)],
    )
    assert result.exit_code == 1
    assert "copy it first" in flat(result.output)


def test_take_in_the_terminal_then_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = cli.invoke(app, ["take", "--student", "ada"], input="C\nB D E\n")
    assert first.exit_code == 130, first.output
    assert "Every answer you gave is saved in quiz_responses/ada.json" in flat(first.output)
    saved = json.loads((tmp_path / "quiz_responses" / "ada.json").read_text())
    assert set(saved["answers"]) == {"scheduling_vs_orchestration", "logical_date_facts"}
    rest = "Duplicates: delete the month first in a transaction.\n\nbdf\n3\nC E A D B\n"
    rest += "Deterministic. Rendered template. Month 13. Clear the task.\n\ns\n"
    second = cli.invoke(app, ["take", "--student", "ada"], input=rest)
    assert second.exit_code == 0, second.output
    assert "Score: 20/20" in flat(second.output)


def test_take_asks_for_a_valid_student_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(app, ["take", "--student", "ada lovelace"], input="ada\n")
    assert "no spaces" in result.output
    assert "Question 1 of 7" in result.output  # the quiz started for "ada", then input ended
    assert result.exit_code == 130


@pytest.mark.skipif(
    shutil.which("workbook", path=str(Path(sys.executable).parent)) is None,
    reason="the console script is installed by `make install`",
)
def test_the_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "workbook"
    done = subprocess.run(
        [str(script), "quiz", "validate", "assets/week_11_quiz.yaml"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "valid. 7 questions" in flat(done.stdout)
    bad = subprocess.run(
        [str(script), "quiz", "score", str(FIXTURES / "bad_responses" / "truncated.json")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (
        bad.returncode == 1 and "truncated.json:11" in bad.stderr and "Traceback" not in bad.stderr
    )
