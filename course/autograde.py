"""`course grade`: the autograder's sandboxed checks first, then `nbgrader autograde`, per student.

For every collected submission:

1. its files are copied to grading/inputs/<student>/ and the autograder grades the whole class
   there (sandboxed; it never sees submitted/ itself);
2. the student's results become grading/bridge/<student>.json, the file the notebook's check cells
   read (hidden checks' output is dropped at this point);
3. the notebook is inspected: if nbgrader cannot grade it as it is (missing, empty, not JSON,
   graded cells deleted), a repaired copy (the released notebook with the student's answers) is
   graded instead, from grading/repaired/, and the report says so;
4. `nbgrader autograde` runs with `$WEEK11_CHECK_RESULTS` pointing at the bridge file, so each
   check cell records its check's points in the gradebook;
5. the gradebook is compared with the autograder's results, check by check, and corrected if a
   cell did not record what the autograder gave (e.g. the cell errored).

One student's failure is recorded in the report and never stops the others.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from course import autograder_link
from course.assignment_notebook import check_points, inspect_submitted, repaired
from course.autograder_results import (
    CheckInfo,
    CheckScore,
    bridge_payload,
    load_results,
    results_error,
    tier_report,
    with_cell_ids,
    write_json_atomic,
)
from course.bridge import RESULTS_ENV
from course.deadlines import record_late_penalty, sync_gradebook
from course.errors import CourseError
from course.grading_log import CheckEntry, GradingReport, StudentReport
from course.layout import ASSIGNMENT, DAG_FILE, NOTEBOOK, Course
from course.nbapi import Nbgrader
from course.settings import load_settings

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Scores:
    """One student's autograder scores, or why there are none; `error`: why the autograder
    could not grade the submission (its checks are then all zero)."""

    scores: list[CheckScore] | None
    problem: str | None
    error: str | None = None


def _ignore(course: Course) -> Callable[[str, list[str]], set[str]]:
    patterns = [*Nbgrader.ignore_patterns(course), NOTEBOOK]
    return shutil.ignore_patterns(*patterns)


def prepare_autograder_inputs(course: Course, students: Sequence[str]) -> Path:
    """grading/inputs/<student>/: a fresh copy of each submission, as the autograder wants it."""
    inputs = course.autograder_inputs
    if inputs.exists():
        shutil.rmtree(inputs)
    inputs.mkdir(parents=True)
    for student in students:
        shutil.copytree(
            course.submission(student), inputs / student, ignore=_ignore(course), symlinks=True
        )
    return inputs


def syntax_problem(dag: Path) -> str | None:
    """A syntax error in the DAG file, as `file:line:col: message`, without running the file."""
    if not dag.exists():
        return f"{DAG_FILE} is missing from the submission: every DAG check scores 0."
    try:
        compile(dag.read_bytes(), str(DAG_FILE), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return (
            f"{DAG_FILE}:{exc.lineno}:{exc.offset or 0}: SyntaxError: {exc.msg}. Airflow cannot "
            "import the file, so every check that needs the DAG scores 0."
        )
    except ValueError as exc:  # e.g. null bytes
        return f"{DAG_FILE}: cannot be read as Python ({exc})."
    return None


def read_scores(course: Course, student: str) -> Scores:
    path = course.checks_out / "results" / f"{student}.json"
    try:
        scores = load_results(path)
    except CourseError as exc:
        return Scores(None, str(exc))
    return Scores(scores, None, results_error(path))


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's file descriptor 2 to `path` for a while. The notebook kernels that
    nbgrader starts inherit it, and their shutdown noise (ipykernel/zmq tracebacks) belongs in
    the student's grading log, not on the teacher's screen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def stage_repaired(course: Course, student: str, notebook: nbformat.NotebookNode) -> None:
    """grading/repaired/<student>/taxi_pipeline/: the submission with a gradable notebook."""
    target = course.root / course.repaired_name / student / ASSIGNMENT
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(course.submission(student), target, symlinks=True)
    broken = target / NOTEBOOK
    if broken.exists():
        broken.unlink()
    nbformat.write(notebook, str(broken))


def reconcile(
    nb: Nbgrader,
    student: str,
    scores: Sequence[CheckScore] | None,
    points: dict[str, float],
    cells: dict[str, str],
) -> list[str]:
    """Make the gradebook's check grades equal the autograder's; return what was corrected.

    `points` is keyed by notebook cell (grade_id), `cells` maps check ids to those cells.
    """
    from nbgrader.api import MissingEntry

    by_id = {cells[s.id]: s for s in scores or [] if s.id in cells}
    fixed: list[str] = []
    with nb.api.gradebook as gb:
        try:
            submission = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        except MissingEntry:
            return [f"the gradebook has no {NOTEBOOK} submission after autograde"]
        for grade in submission.grades:
            if grade.name not in points:
                continue
            cell_points = points[grade.name]
            result = by_id.get(grade.name)
            want = 0.0
            if result is not None and result.max_score > 0:
                want = round(cell_points * result.score / result.max_score, 2)
            if grade.auto_score is None or abs(grade.auto_score - want) > 0.005:
                fixed.append(f"{grade.name}: cell gave {grade.auto_score}, autograder {want}")
                grade.auto_score = want
                grade.needs_manual_grade = False
        gb.db.commit()
    return fixed


def grade(
    course: Course,
    jobs: int = 2,
    students: Sequence[str] | None = None,
    progress: Progress = lambda _msg: None,
    *,
    regrade: bool = False,
    isolation: str = "auto",
) -> GradingReport:
    """Grade every collected submission (or just `students`). Returns and saves the report.

    `regrade`: the autograder runs every chosen student's sandbox again instead of reusing a
    result for unchanged files; the old results and what changed are kept (`AutograderRun`).
    Without the sandbox's namespaces on this host it refuses before anything is graded, unless
    `isolation="none"`.
    """
    if not course.release.is_dir():
        raise CourseError(
            f"{course.release} does not exist: release the assignment first (`course release`)."
        )
    collected = course.submitted_students()
    chosen = list(students) if students else collected
    unknown = sorted(set(chosen) - set(collected))
    if unknown:
        raise CourseError(
            f"no collected submission for {', '.join(unknown)} in {course.submitted}. "
            "Run `course collect` first, or check the spelling."
        )
    sandbox = autograder_link.sandbox_isolation(isolation)  # refuses before anything is written
    nb = Nbgrader(course)
    release_nb = nbformat.read(str(course.release / NOTEBOOK), as_version=4)
    points = check_points(release_nb)
    checks = autograder_link.registry()
    _require_matching_checks(points, checks)
    cells = with_cell_ids(checks)

    report = GradingReport.load(course.grading_log) or GradingReport(
        assignment=ASSIGNMENT, graded_at=""
    )
    report.graded_at = datetime.now(UTC).isoformat(timespec="seconds")
    report.checks = [
        CheckEntry(id=c.id, cell=cells[c.id], points=c.points, tier=c.tier, hidden=c.hidden)
        for c in checks
    ]

    report.seconds = {}
    report.isolation, report.regrades, report.regrade_report = "", [], None
    if chosen:
        what = "regrading" if regrade else "grading"
        progress(f"autograder: {what} {len(chosen)} submission(s), {jobs} at a time, {sandbox}")
        started = time.perf_counter()
        inputs = prepare_autograder_inputs(course, chosen)
        settings = load_settings(course.root).autograder
        secret_file = settings.secret_file
        run = autograder_link.grade_class(
            inputs,
            course.checks_out,
            jobs=jobs,
            regrade=regrade,
            isolation=isolation,
            secret_file=secret_file,
            profile=settings.profile,
        )
        report.seconds["autograder"] = round(time.perf_counter() - started, 1)
        report.isolation, report.regrades = run.isolation, run.regrades
        report.regrade_report = str(run.regrade_report) if run.regrade_report else None

    sync_gradebook(course, chosen)  # the due date and extensions, before nbgrader's late step
    started = time.perf_counter()
    for student in chosen:
        progress(f"nbgrader autograde: {student}")
        try:
            entry = grade_one(nb, course, student, release_nb, checks, points)
        except (OSError, CourseError) as exc:  # one unreadable folder must not stop the class
            entry = StudentReport(student=student, status="failed", problems=[str(exc)])
        report.students[student] = entry
        report.save(course.grading_log)  # a crash later keeps what was graded so far
    if chosen:
        report.seconds["nbgrader_autograde"] = round(time.perf_counter() - started, 1)

    for student in _roster(nb):
        if student not in report.students and student not in collected:
            report.students[student] = StudentReport(
                student=student,
                status="missing",
                problems=["no submission collected: nothing in the exchange from this student"],
            )
    report.save(course.grading_log)
    return report


def grade_one(
    nb: Nbgrader,
    course: Course,
    student: str,
    release_nb: nbformat.NotebookNode,
    checks: Sequence[CheckInfo],
    points: dict[str, float],
) -> StudentReport:
    problems: list[str] = []
    if dag_problem := syntax_problem(course.submission(student) / DAG_FILE):
        problems.append(dag_problem)
    scores = read_scores(course, student)
    if scores.problem:
        problems.append(f"autograder: {scores.problem}; every check scores 0")
    if scores.error:
        problems.append(f"the autograder could not grade this submission: {scores.error}")
    bridge = course.bridge_dir / f"{student}.json"
    shown = f"The autograder could not grade this hand-in: {scores.error}" if scores.error else None
    write_json_atomic(bridge, bridge_payload(student, scores.scores, checks, problem=shown))

    state = inspect_submitted(course.submission(student) / NOTEBOOK, release_nb)
    directory = None
    status = "graded"
    if state.problem:
        stage_repaired(course, student, repaired(release_nb, state.notebook))
        directory, status = course.repaired_name, "repaired"
        problems.append(
            f"{state.problem}. Graded the released notebook instead, with any answers that "
            "could be recovered: the DAG checks count, the notebook's own parts score 0 "
            "where the answers were lost."
        )
    log = course.grading / "logs" / f"{student}.nbgrader.log"
    log.unlink(missing_ok=True)
    with _env(RESULTS_ENV, str(bridge)), _stderr_to(log):
        step = nb.autograde(student, submitted_directory=directory)
    with log.open("a", encoding="utf-8") as out:
        out.write(step.log + ("\n" + step.error if step.error else ""))
    if not step.success:
        return StudentReport(
            student=student,
            status="failed",
            problems=[*problems, f"nbgrader autograde failed: {step.problem()} (log: {log})"],
        )
    cells = with_cell_ids(checks)
    if fixed := reconcile(nb, student, scores.scores, points, cells):
        problems.append("gradebook corrected to the autograder's scores: " + "; ".join(fixed))
    lateness = record_late_penalty(course, student)
    if lateness.is_late:
        problems.append(
            f"handed in {lateness.days_late:g} day(s) after the due date: the late policy takes "
            f"{lateness.fraction:.0%} off the score"
        )
    earned = sum(
        round(points[cells[s.id]] * s.score / s.max_score, 2)
        for s in scores.scores or []
        if cells.get(s.id) in points and s.max_score > 0
    )
    return StudentReport(
        student=student,
        status=status,
        problems=problems,
        tier=tier_report(scores.scores or [], checks).reached,
        check_score=round(earned, 2),
        check_max=sum(points.values()),
    )


def _roster(nb: Nbgrader) -> list[str]:
    with nb.api.gradebook as gb:
        return sorted(s.id for s in gb.students)


def _require_matching_checks(points: dict[str, float], checks: Sequence[CheckInfo]) -> None:
    cells = with_cell_ids(checks)
    registry = {cells[c.id]: c.points for c in checks}
    if points == registry:
        return
    missing = sorted(set(registry) - set(points))
    extra = sorted(set(points) - set(registry))
    changed = sorted(k for k in set(points) & set(registry) if points[k] != registry[k])
    raise CourseError(
        "the released notebook's check cells do not match the autograder's checks "
        f"(not in the notebook: {missing or '-'}; no longer checks: {extra or '-'}; "
        f"points differ: {changed or '-'}). Run `course sync-checks`, then `course release`."
    )
