"""The `autograder` command: help, listing, usage errors, and a real check and grade."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder.checks import all_checks
from autograder.cli import app
from tests.corpus import build_submission

HERE = Path(__file__).resolve().parent
runner = CliRunner()


def test_help_lists_the_commands_with_examples() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("check", "grade", "list-checks"):
        assert command in result.output
    grade_help = runner.invoke(app, ["grade", "--help"])
    assert "autograder grade submissions/ --out gradebook/ --jobs 2" in grade_help.output


def test_list_checks_shows_every_id() -> None:
    result = runner.invoke(app, ["list-checks"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for check_id in all_checks():
        assert check_id in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("1.")


@pytest.mark.parametrize(
    "args, message",
    [
        (["grade", "no/such/folder", "--out", "x"], "is not a folder"),
        (["check", "no/such/folder"], "does not exist"),
        (["grade", str(HERE), "--out", str(HERE / "out")], "inside the submissions"),
        (["check", ".", "--isolation", "docker"], "--isolation must be"),
        (["grade", ".", "--out", "x", "--secret", "secret.txt"], "inside the repository"),
    ],
)
def test_usage_problems_exit_2_with_a_message(args, message) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    # Rich wraps long lines at the terminal width; compare word by word.
    assert message in " ".join(result.output.split())
    assert "grading" not in result.output  # no progress bar before a usage error


@pytest.mark.slow
def test_check_prints_hints_and_exits_1_on_a_failed_public_check(tmp_path) -> None:
    root = tmp_path / "mine" / "import_error"
    build_submission("import_error", root)
    result = runner.invoke(app, ["check", str(root), "--import-timeout", "15"])
    assert result.exit_code == 1, result.output
    assert "timdelta" in result.output
    assert "Hint:" in result.output
    assert "Tier reached on the public checks: none" in result.output
    assert "behaviour_retries_transient" not in result.output  # hidden checks do not run
    assert "note:" not in result.output  # a sandboxed check has nothing to warn about


@pytest.mark.slow
def test_check_without_namespaces_warns_whoever_runs_it(tmp_path) -> None:
    root = tmp_path / "mine" / "import_error"
    build_submission("import_error", root)
    args = ["check", str(root), "--import-timeout", "15", "--isolation", "none"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "no sandbox namespaces" in " ".join(result.output.split())
    assert "timdelta" in result.output


@pytest.mark.slow
def test_grade_writes_the_gradebook(tmp_path) -> None:
    students = tmp_path / "class"
    for name, source in (("ada", "cycle"), ("bob", "fork_bomb")):
        build_submission(source, students / name)
    out = tmp_path / "out"
    result = runner.invoke(app, ["grade", str(students), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "no secret (--secret, $AUTOGRADER_SECRET)" in " ".join(result.output.split())
    for path in ("grades.csv", "summary.json", "class_report.html", "pass_rates.png"):
        assert (out / path).exists(), path
    for name in ("ada", "bob"):
        assert (out / "results" / f"{name}.json").exists()
        assert (out / "feedback" / f"{name}.md").exists()
        assert (out / "feedback" / f"{name}.html").exists()
    again = runner.invoke(app, ["grade", str(students), "--out", str(out)])
    assert again.exit_code == 0 and "2 kept from an earlier run" in again.output
