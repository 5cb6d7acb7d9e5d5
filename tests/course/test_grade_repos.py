"""Pull-request hand-ins: `course grade-repos LIST` clones each repository at its recorded commit,
grades it with the autograder and writes a comment per student; the GitHub workflow for a course
that runs the public checks on every pull request."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from course.cli import app
from course.errors import CourseError
from course.layout import Course
from course.repos import RepoRow, clone_at, read_list
from tests.conftest import REPO
from tests.course import classroom

WORKFLOW = REPO / ".github" / "workflows" / "grade-pr.yml"


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@example.org"}
    env |= {"GIT_COMMITTER_NAME": "s", "GIT_COMMITTER_EMAIL": "s@example.org"}
    done = subprocess.run(
        ["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_repo(path: Path, inside: str = "", branch: str = "main") -> str:
    """A student's repository: the reference DAG and a runbook, one commit; returns its SHA."""
    folder = path / inside if inside else path
    (folder / "dags").mkdir(parents=True)
    shutil.copy2(REPO / "dags" / "taxi_pipeline.py", folder / "dags" / "taxi_pipeline.py")
    (folder / "RUNBOOK.md").write_text(classroom.RUNBOOK)
    (path / "README.md").write_text("my week 11 work\n")
    git(path, "init", "--quiet", "--initial-branch", branch)
    git(path, "add", "-A")
    git(path, "commit", "--quiet", "-m", "week 11 hand-in")
    return git(path, "rev-parse", "HEAD")


@pytest.fixture
def repos(tmp_path: Path) -> dict[str, str]:
    """ada: the folder at the root; grace: in taxi_pipeline/ on branch week11; linus: graded at
    his recorded commit, although he pushed a broken DAG after it."""
    shas = {
        "ada": make_repo(tmp_path / "repos" / "ada"),
        "grace": make_repo(tmp_path / "repos" / "grace", "taxi_pipeline", branch="week11"),
        "linus": make_repo(tmp_path / "repos" / "linus"),
    }
    linus = tmp_path / "repos" / "linus"
    (linus / "dags" / "taxi_pipeline.py").write_text("def broken(:\n")
    git(linus, "commit", "--quiet", "-am", "after the due date")
    return shas


def write_list(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("student,repo,ref\n" + "".join(f"{s},{r},{f}\n" for s, r, f in rows))
    return path


def test_the_list_is_checked_row_by_row(tmp_path: Path) -> None:
    listing = write_list(
        tmp_path / "prs.csv",
        [("ada", "repos/ada", "main"), ("bad id", "x", "main"), ("ada", "y", "--upload-pack=x")],
    )
    with pytest.raises(CourseError) as caught:
        read_list(listing)
    message = str(caught.value)
    assert f"{listing}:3: student: String should match pattern" in message
    assert f"{listing}:4: ref: String should match pattern" in message
    assert "Nothing was graded" in message


def test_a_clone_is_at_the_recorded_commit_and_read_only(tmp_path, repos) -> None:
    first = repos["linus"]
    commit = clone_at(
        RepoRow(student="linus", repo="repos/linus", ref=first), tmp_path, tmp_path / "c"
    )
    assert commit == first
    assert "def broken" not in (tmp_path / "c" / "dags" / "taxi_pipeline.py").read_text()
    assert not (tmp_path / "c" / "dags" / "taxi_pipeline.py").stat().st_mode & 0o222
    branch = RepoRow(student="grace", repo="repos/grace", ref="week11")
    assert clone_at(branch, tmp_path, tmp_path / "g") == repos["grace"]
    missing = RepoRow(student="ada", repo="repos/ada", ref="no-such-branch")
    with pytest.raises(CourseError, match="has no branch, tag or commit 'no-such-branch'"):
        clone_at(missing, tmp_path, tmp_path / "a")


@pytest.mark.slow
def test_three_repositories_graded_by_commit_with_a_comment_each(tmp_path, repos) -> None:
    course = Course(tmp_path / "course")
    course.root.mkdir()
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", course.root / "nbgrader_config.py")
    listing = write_list(
        tmp_path / "prs.csv",
        [
            ("ada", "repos/ada", "main"),
            ("grace", "repos/grace", "week11"),
            ("linus", "repos/linus", repos["linus"]),
        ],
    )
    args = ["grade-repos", str(listing), "--public-only", "--root", str(course.root)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = course.grading / "repos"
    with (out / "graded.csv").open(newline="") as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert {s: r["commit"] for s, r in rows.items()} == repos
    scores = {r["score"] for r in rows.values()}
    assert len(scores) == 1 and float(scores.pop()) > 0, rows  # the same DAG three times
    for student, sha in repos.items():
        comment = (out / "comments" / f"{student}.md").read_text()
        assert f"Graded commit `{sha[:12]}`" in comment
        assert f"commit={sha}" in comment
        assert re.search(r"\*\*Score: [\d.]+ / [\d.]+\*\*", comment)
        assert "Tier reached" in comment and "public checks only" in comment
        assert (
            "def broken"
            not in (out / "clones" / student)
            .joinpath(
                *(["taxi_pipeline"] if student == "grace" else []), "dags", "taxi_pipeline.py"
            )
            .read_text()
        )


# ------------------------------------------------------------------------ the GitHub workflow


def test_the_pr_workflow_is_valid_and_runs_only_public_checks() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads `on:` as True
    assert "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "autograder check" in runs and "autograder grade" not in runs
    assert "make install" in runs


def test_the_commands_the_workflow_runs_exist() -> None:
    import typer.main

    from autograder.cli import app as autograder_app

    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    runs = "\n".join(s.get("run", "") for s in steps)
    makefile = (REPO / "Makefile").read_text()
    for target in re.findall(r"\bmake (\w[\w-]*)", runs):
        assert re.search(rf"^{target}\s*:", makefile, re.M), f"no make target {target}"
    command = typer.main.get_command(autograder_app)
    for line in re.findall(r"autograder check ([^\n|&;]*)", runs):
        options = [w.split("=")[0] for w in line.split() if w.startswith("--")]
        known = {o for p in command.commands["check"].params for o in p.opts}
        assert set(options) <= known, f"`autograder check` has no {set(options) - known}"
    assert command.commands["check"].name == "check"
