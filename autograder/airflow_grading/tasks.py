"""What the grading DAG's tasks do, as plain functions (the DAG file only wires them up).

    request_from(params) -> discover_class -> grade_student (one task per student)
        -> collect_class -> notification

Each step calls what `autograder grade` calls (`grading.grade_loaded`, the same reporters), so
a class graded on Airflow gets the files the CLI writes, byte for byte where nothing depends on
the clock: grades.csv, results/<student>.json, feedback/<student>.md and .html, logs/,
summary.json, class_report.html, pass_rates.png. A student's failing check is a graded result;
only a grader that could not finish (a sandbox that did not start, an internal error) raises
`InfrastructureError`, which is what the grading task retries.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autograder import answer_key
from autograder.airflow_grading import class_repository
from autograder.errors import AutograderError
from autograder.files import atomic_write_text, ensure_private_dir
from autograder.grading import (
    failed_result,
    grade_loaded,
    grader_version,
    selected_submissions,
)
from autograder.options import GradingOptions
from autograder.reporters import write_class_outputs, write_student_outputs
from autograder.reporters.gradescope import read_result
from autograder.results import ClassResult, SubmissionResult
from autograder.sandbox.isolation import detect_isolation
from autograder.sandbox.runner import SandboxSession
from autograder.secret import read_secret
from autograder.submission import load_submission

# Set on the grading workers (class_airflow/stack.py): the folder every class to grade and
# every output must be under, since anyone who may trigger the DAG chooses both paths.
ROOT_VARIABLE = "AUTOGRADER_GRADING_ROOT"
# Under `out`: where a class repository's commit is exported for grading.
REPOSITORY_EXPORT = "submissions"
# Where `notification` appends its line (a JSON line per run), when set.
NOTIFICATIONS_VARIABLE = "GRADING_NOTIFICATIONS"
NOT_FINISHED = (
    "the grading task did not finish (worker lost or timed out); clear it in the Grid view, "
    "with its downstream tasks, to grade again"
)


class InfrastructureError(AutograderError):
    """The grader could not finish a submission for reasons of its own: worth a retry."""


class GradingRequest(BaseModel):
    """The DAG's params, checked: where the class is, where the outputs go, which checks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submissions: Path | None = Field(None, description="Folder with one sub-folder per student.")
    repository: Path | None = Field(
        None, description="Or the class DAG repository: grade each dags/<id>/ at `commit`."
    )
    commit: str = Field("main", description="The repository's branch, tag or commit to grade.")
    out: Path = Field(description="Where grades.csv, results/, feedback/ ... go.")
    public_only: bool = Field(False, description="Only the public checks.")
    import_timeout: float = Field(30.0, gt=0, description="Seconds a DAG file may import for.")
    run_timeout: float = Field(180.0, gt=0, description="Seconds one DAG run may take.")

    def options(self) -> GradingOptions:
        # The hidden checks' secret comes from the grading workers' $AUTOGRADER_SECRET, never
        # from a param: params are shown in the UI to everyone who can see the run.
        return GradingOptions(
            public_only=self.public_only,
            import_timeout=self.import_timeout,
            run_timeout=self.run_timeout,
            secret=None if self.public_only else read_secret(None),
        )


def _check_place(name: str, path: Path, root: Path | None) -> Path:
    if not path.is_absolute():
        raise AutograderError(
            f"param {name!r} is {str(path)!r}, a relative path; the workers need an absolute "
            "one. Fix: give the full path."
        )
    path = path.resolve()
    if root is not None and path != root and root not in path.parents:
        raise AutograderError(
            f"param {name!r} is {path}, outside the grading folder {root} of this Airflow. "
            f"Fix: put the class (and its outputs) under {root}."
        )
    return path


def request_from(params: Mapping) -> GradingRequest:
    """The request in the DAG's params; a bad param is an AutograderError naming it."""
    try:
        request = GradingRequest.model_validate(dict(params))
    except ValidationError as err:
        lines = [f"param {'.'.join(map(str, e['loc']))!r}: {e['msg']}" for e in err.errors()]
        raise AutograderError(
            "the grading DAG's params are wrong: " + "; ".join(lines) + ". Fix: trigger again "
            "with the params the DAG's form shows."
        ) from None
    if (request.submissions is None) == (request.repository is None):
        raise AutograderError(
            "the grading DAG needs either param 'submissions' (a folder of hand-ins) or param "
            "'repository' (the class DAG repository), not both and not neither. Fix: trigger "
            "again with one of them."
        )
    root = os.environ.get(ROOT_VARIABLE)
    root_path = Path(root).resolve() if root else None
    out = _check_place("out", request.out, root_path)
    if request.repository is not None:
        # discover exports the commit here; every mapped task of the run reads that export.
        submissions = out / REPOSITORY_EXPORT
        repository = _check_place("repository", request.repository, None)
    else:
        submissions = _check_place("submissions", request.submissions, root_path)
        repository = None
    return request.model_copy(
        update={"submissions": submissions, "repository": repository, "out": out}
    )


def discover_class(request: GradingRequest) -> list[str]:
    """The students to grade (their folder names). Builds the answer key and the sandbox's
    template database once, here, so the parallel grading tasks only read them."""
    if request.repository is not None:
        commit, _ = class_repository.export(request.repository, request.commit, request.submissions)
        request.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(request.out / "source.txt", f"{request.repository} at {commit}\n")
    folders = selected_submissions(request.submissions, request.out)
    request.out.mkdir(parents=True, exist_ok=True)
    options = request.options()
    answer_key.load_or_build(options.resolved_cache_dir(), options.hidden_parameters().key_months)
    session = SandboxSession(options, hide=[])
    try:
        session.template_db()
    finally:
        session.close()
    return [folder.name for folder in folders]


def grade_student(request: GradingRequest, student: str) -> dict:
    """Grade one student into `request.out`, as `autograder grade` does for each student.

    Returns {"student", "seconds", "score", "max_score"}. Raises InfrastructureError after
    writing the zero row when the grader could not finish (the task then retries).
    """
    began = time.monotonic()
    options = request.options()
    version = grader_version(options.hidden_parameters())
    folder = request.submissions / student
    try:
        submission = load_submission(folder)
    except AutograderError as err:  # the student's folder is unusable: that is a grade
        isolation = detect_isolation(options.isolation).kind
        result = failed_result(student, "", version, str(err), isolation)
        write_student_outputs(request.out, result, options)
        return _graded(result, began)
    cache = options.resolved_cache_dir()
    key = answer_key.load_or_build(cache, options.hidden_parameters().key_months)
    session = SandboxSession(options, hide=[request.submissions, request.out, cache])
    try:
        result, notes = grade_loaded(submission, session, key, options, version)
    finally:
        session.close()
    write_student_outputs(request.out, result, options)
    logs = ensure_private_dir(request.out / "logs")
    atomic_write_text(logs / f"{student}.log", "\n".join(notes) + "\n")
    if result.error is not None:
        raise InfrastructureError(f"{student} could not be graded: {result.error}")
    return _graded(result, began)


def _graded(result: SubmissionResult, began: float) -> dict:
    return {
        "student": result.student,
        "seconds": round(time.monotonic() - began, 2),
        "score": result.score,
        "max_score": result.max_score,
    }


def _content_hash(folder: Path) -> str:
    try:
        return load_submission(folder).content_hash
    except AutograderError:
        return ""  # what a failed load's zero row records


def _result_or_gap(
    request: GradingRequest, student: str, version: str, isolation: str
) -> SubmissionResult:
    """The student's result file if this grader made it from the folder as it is now;
    otherwise (its task died before writing) a zero row saying why."""
    result = read_result(request.out, student)
    content = _content_hash(request.submissions / student)
    if result is None or (result.grader_version, result.submission_hash) != (version, content):
        return failed_result(student, content, version, NOT_FINISHED, isolation)
    return result


def collect_class(
    request: GradingRequest, students: list[str], timings: dict[str, float], seconds: float
) -> dict:
    """Rebuild the class outputs from every student's result file (like the end of `grade`).

    Returns what the teacher is told: counts, the mean, the tiers and where the report is.
    """
    options = request.options()
    version = grader_version(options.hidden_parameters())
    isolation = detect_isolation(options.isolation)
    results = tuple(_result_or_gap(request, s, version, isolation.kind) for s in sorted(students))
    class_result = ClassResult(
        results=results,
        ungraded=tuple(r.student for r in results if r.error),
        seconds=seconds,
        timings=timings,
        notes=isolation.warnings,
        isolation=isolation.kind,
    )
    write_class_outputs(request.out, class_result, options)
    tiers: dict[str, int] = {}
    for row in results:
        tiers[row.tier] = tiers.get(row.tier, 0) + 1
    scores = [r.score for r in results]
    return {
        "students": len(results),
        "graded": len(results) - len(class_result.ungraded),
        "ungraded": list(class_result.ungraded),
        "mean_score": round(sum(scores) / len(scores), 2) if scores else 0,
        "tiers": tiers,
        "report": str(request.out / "class_report.html"),
        "gradebook": str(request.out / "grades.csv"),
    }


def notification(run_id: str, summary: dict | None) -> dict:
    """One line for the teacher about a run, and where it is appended (if anywhere)."""
    if summary is None:
        line = f"grade_assignment {run_id}: FAILED before the class outputs were written"
    else:
        ungraded = summary["ungraded"]
        line = (
            f"grade_assignment {run_id}: {summary['graded']}/{summary['students']} graded, "
            f"mean {summary['mean_score']:g}, tiers {summary['tiers']}"
            + (f", NOT graded: {', '.join(ungraded)}" if ungraded else "")
            + f"; report: {summary['report']}"
        )
    note = {"run_id": run_id, "line": line, "summary": summary}
    target = os.environ.get(NOTIFICATIONS_VARIABLE)
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:  # one short append per run
            handle.write(json.dumps(note) + "\n")
    return note
