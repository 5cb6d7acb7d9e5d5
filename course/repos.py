"""`course grade-repos LIST`: hand-ins as pull requests, graded at recorded commits.

LIST is a CSV, one row per student: `student,repo,ref` (`repo` a URL or a local path, relative
paths read from the list's folder; `ref` a branch, a tag or a commit, e.g. the PR head at the
due date). For each row, into `--out` (default `<root>/grading/repos/`):

1. `clones/<student>/`: `git clone`, then the ref checked out detached; the commit is recorded,
   and the clone made read-only (it is evidence, not a working copy);
2. `inputs/<student>/`: the assignment folder of the clone (the folder holding
   `taxi_pipeline.ipynb` or `dags/taxi_pipeline.py`), without `.git` and run-time state;
3. the autograder grades `inputs/` into `checks/`, as `course grade` does (the same call in
   course/autograder_link.py; `--public-only` for the quicker public checks);
4. `comments/<student>.md`: a Markdown comment to post on the pull request (the commit graded,
   then the autograder's own student feedback: score, tier, every public check, what to fix,
   hidden checks only as a count), and `graded.csv`: student, repo, ref, commit, score, tier.

A row that cannot be cloned or checked out is reported and skipped; the others are graded.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from course import autograder_link
from course.atomic import write_text_atomic
from course.autograder_results import load_results, results_error
from course.errors import CourseError
from course.handins import assignment_root
from course.layout import Course
from course.nbapi import Nbgrader
from course.settings import load_settings

STUDENT_ID = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$"
REF = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"  # no options, no `..` tricks (checked below)
GIT_TIMEOUT = 300
SUMMARY_COLUMNS = ["student", "repo", "ref", "commit", "score", "max_score", "tier", "status"]


class RepoRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    student: str = Field(pattern=STUDENT_ID)
    repo: str = Field(min_length=1)
    ref: str = Field(pattern=REF)


@dataclass(frozen=True)
class Graded:
    row: RepoRow
    commit: str
    score: float | None = None
    max_score: float | None = None
    tier: str = "none"
    comment: Path | None = None


@dataclass
class ReposReport:
    out: Path
    graded: list[Graded] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # student -> why not graded
    isolation: str = ""  # the sandbox the autograder ran in ("" if it did not run)


def read_list(path: Path) -> list[RepoRow]:
    """The repositories to grade; every bad row as `file:line: column: what`."""
    if not path.is_file():
        raise CourseError(f"{path} does not exist. Pass a CSV with columns student,repo,ref.")
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    if set(reader.fieldnames or []) != {"student", "repo", "ref"}:
        raise CourseError(f"{path}:1: header: the columns must be student,repo,ref")
    rows: list[RepoRow] = []
    problems: list[str] = []
    seen: set[str] = set()
    for record in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in record.values()):
            continue
        try:
            row = RepoRow.model_validate(record)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"])
                problems.append(f"{path}:{line}: {where}: {error['msg']}")
            continue
        if ".." in row.ref or row.ref.endswith((".lock", "/")):
            problems.append(f"{path}:{line}: ref: {row.ref!r} is not a branch, tag or commit")
        elif row.student in seen:
            problems.append(f"{path}:{line}: student: {row.student!r} is listed twice")
        else:
            seen.add(row.student)
            rows.append(row)
    if problems:
        raise CourseError("\n".join(problems) + "\nNothing was graded; fix these rows.")
    return rows


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    # A student's repository is untrusted: no hooks, no prompts, no ext:: transport.
    command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never", *args]
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise CourseError(f"git {args[0]} took more than {GIT_TIMEOUT} s") from None
    if done.returncode != 0:
        raise CourseError(f"git {args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout.strip()


def _source(row: RepoRow, list_dir: Path) -> str:
    if re.match(r"^[a-z+]+://", row.repo) or re.match(r"^[\w.-]+@[\w.-]+:", row.repo):
        return row.repo  # https://, ssh://, git@host:owner/repo
    local = (list_dir / row.repo).expanduser().resolve()
    if not local.exists():
        raise CourseError(f"repository {row.repo!r} not found (looked at {local})")
    return str(local)


def _writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _read_only(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def clone_at(row: RepoRow, list_dir: Path, target: Path) -> str:
    """Clone `row.repo` into `target` with `row.ref` checked out (detached); return the commit."""
    if target.exists():
        _writable(target)
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "--quiet", "--no-checkout", "--", _source(row, list_dir), str(target))
    commit = ""
    for candidate in (row.ref, f"origin/{row.ref}"):
        try:
            commit = _git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=target)
            break
        except CourseError:
            continue
    if not commit and re.fullmatch(r"[0-9a-f]{7,40}", row.ref):
        _git("fetch", "--quiet", "origin", row.ref, cwd=target)  # a commit no branch points at
        commit = _git("rev-parse", "--verify", "FETCH_HEAD^{commit}", cwd=target)
    if not commit:
        raise CourseError(f"{row.repo} has no branch, tag or commit {row.ref!r}")
    _git("checkout", "--quiet", "--detach", commit, cwd=target)
    _read_only(target)
    return commit


def stage_input(clone: Path, target: Path, ignore: list[str]) -> None:
    """Copy the clone's assignment folder to `target`, as the autograder wants it."""
    files = [
        PurePosixPath(p.relative_to(clone).as_posix())
        for p in clone.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(clone).parts
    ]
    root = clone / assignment_root(files)
    if not (root / "dags").is_dir():
        raise CourseError("the repository has no dags/taxi_pipeline.py (nor the notebook)")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(".git", *ignore))
    _writable(target)


def render_comment(graded: Graded, feedback: str, public_only: bool, graded_at: datetime) -> str:
    """The PR comment: which commit was graded, then the autograder's feedback for the student."""
    row = graded.row
    scope = "public checks only" if public_only else "all checks; hidden ones as a count"
    title, _, body = feedback.strip().partition("\n")
    ref = "" if graded.commit.startswith(row.ref) else f" (`{row.ref}`)"
    graded_line = (
        f"Graded commit `{graded.commit[:12]}`{ref} on {graded_at:%Y-%m-%d %H:%M} UTC, {scope}. "
        "Pushing again does not change this grade; ask your teacher to regrade."
    )
    marker = f"<!-- week11-autograder student={row.student} commit={graded.commit} -->"
    parts = [marker, title or "# Week 11 autograder", "", graded_line, "", body.strip()]
    return "\n".join(parts).rstrip() + "\n"


def grade_repos(
    course: Course,
    listing: Path,
    out: Path | None = None,
    jobs: int = 2,
    public_only: bool = False,
    progress=lambda _m: None,
    isolation: str = "auto",
) -> ReposReport:
    rows = read_list(listing)
    sandbox = autograder_link.sandbox_isolation(isolation)  # refuses before cloning anything
    out = (out or course.grading / "repos").resolve()
    report = ReposReport(out)
    ignore = Nbgrader.ignore_patterns(course)
    commits: dict[str, str] = {}
    inputs = out / "inputs"
    if inputs.exists():
        shutil.rmtree(inputs)
    inputs.mkdir(parents=True)
    for row in rows:
        progress(f"git clone {row.repo} at {row.ref} for {row.student}")
        try:
            commits[row.student] = clone_at(row, listing.parent, out / "clones" / row.student)
            stage_input(out / "clones" / row.student, inputs / row.student, ignore)
        except (CourseError, OSError) as exc:
            report.problems[row.student] = str(exc)
    chosen = [row for row in rows if row.student in commits and row.student not in report.problems]
    if chosen:
        progress(f"autograder: {len(chosen)} submission(s), {jobs} at a time, {sandbox}")
        settings = load_settings(course.root).autograder
        secret_file = settings.secret_file
        run = autograder_link.grade_class(
            inputs,
            out / "checks",
            jobs=jobs,
            public_only=public_only,
            isolation=isolation,
            secret_file=secret_file,
            profile=settings.profile,
        )
        report.isolation = run.isolation
    graded_at = datetime.now(UTC)
    for row in chosen:
        graded = _result(row, commits[row.student], out / "checks")
        feedback_file = autograder_link.feedback_markdown(out / "checks", row.student)
        feedback = feedback_file.read_text(encoding="utf-8") if feedback_file.exists() else ""
        if not feedback:
            error = results_error(out / "checks" / "results" / f"{row.student}.json")
            feedback = f"# Week 11 autograder\n\nNo feedback was written: {error or 'unknown'}.\n"
        comment = out / "comments" / f"{row.student}.md"
        write_text_atomic(comment, render_comment(graded, feedback, public_only, graded_at))
        report.graded.append(
            Graded(row, graded.commit, graded.score, graded.max_score, graded.tier, comment)
        )
    _write_summary(report)
    return report


def _result(row: RepoRow, commit: str, checks_out: Path) -> Graded:
    path = checks_out / "results" / f"{row.student}.json"
    try:
        scores = load_results(path)
    except CourseError:
        return Graded(row, commit)
    tier = json.loads(path.read_text(encoding="utf-8"))["extra_data"].get("tier", "none")
    return Graded(
        row,
        commit,
        round(sum(s.score for s in scores), 2),
        round(sum(s.max_score for s in scores), 2),
        tier,
    )


def _write_summary(report: ReposReport) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for item in report.graded:
        writer.writerow(
            [
                item.row.student,
                item.row.repo,
                item.row.ref,
                item.commit,
                "" if item.score is None else f"{item.score:g}",
                "" if item.max_score is None else f"{item.max_score:g}",
                item.tier,
                "graded",
            ]
        )
    for student, problem in sorted(report.problems.items()):
        writer.writerow([student, "", "", "", "", "", "none", f"not graded: {problem}"])
    write_text_atomic(report.out / "graded.csv", buffer.getvalue())
