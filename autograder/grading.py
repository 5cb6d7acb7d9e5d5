"""Grade one submission, or a class: the pipeline that ties the stages together.

    load_submission -> static scan + ruff -> sandbox (inspect + the runs the checks read)
        -> probe -> run_checks -> SubmissionResult (+ tier) -> reporters

`grade_class` grades students in parallel threads (each one waits on its own sandbox
processes), writes each student's result JSON and feedback atomically the moment it is done,
and skips students whose result already exists for the same submission content, grader
version and sandbox, so an interrupted session resumes where it stopped. The gradebook, summary
and class report are rebuilt from all result files at the end.

`regrade=True` grades the chosen students again whatever they have; each replaced result is kept
in `history/` and the differences are written to `regrades/<stamp>.md` (`autograder.history`).
Where the host cannot make the sandbox's namespaces, grading is refused before anything runs
unless `isolation="none"` was asked for (`sandbox.isolation.detect_isolation`).
"""

from __future__ import annotations

import hashlib
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder import answer_key
from autograder.checks import (
    Context,
    checks_to_run,
    not_graded,
    run_checks,
    steps_read_by,
    warehouses_read_by,
)
from autograder.checks.logs import printable
from autograder.errors import AutograderError
from autograder.files import atomic_write_text, ensure_private_dir
from autograder.history import keep_previous, session_stamp
from autograder.options import GradingOptions
from autograder.reporters import write_class_outputs, write_student_outputs
from autograder.reporters.gradescope import read_result
from autograder.reporters.regrade import regrade_report_path, write_regrade_report
from autograder.results import ClassResult, Regrade, SubmissionResult
from autograder.ruff import check_air
from autograder.sandbox.isolation import detect_isolation
from autograder.sandbox.runner import SandboxSession
from autograder.scenarios import PUBLIC, HiddenParameters, plan
from autograder.source_scan import scan_files
from autograder.submission import DAG_FILE, Submission, find_submissions, load_submission
from autograder.tiers import tier_of_results

__version__ = "1.0.0"
_PACKAGE = Path(__file__).resolve().parent


def grader_version(params: HiddenParameters = PUBLIC) -> str:
    """The release plus a digest of the grader's code, templates, the answer key's inputs and
    the teacher's secret's fingerprint (never the secret or what it draws).

    Any change to a check, the scenarios, the feedback pages, the course data or the secret
    changes it, so `grade` regrades results (and rewrites feedback) made by another grader.
    """
    digest = hashlib.sha256(__version__.encode())
    files = [*_PACKAGE.rglob("*.py"), *_PACKAGE.rglob("*.j2")]
    for path in sorted(files):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + path.read_bytes())
    digest.update(answer_key.inputs_hash().encode())
    digest.update(params.secret_id.encode())
    return f"{__version__}+{digest.hexdigest()[:10]}"


# ---------------------------------------------------------------- one submission


def _python_sources(submission: Submission) -> dict[str, str]:
    return {
        relative: submission.read_text(relative)
        for relative in submission.dag_folder_files
        if relative.endswith(".py")
    }


def failed_result(
    student: str, content_hash: str, version: str, reason: str, isolation: str
) -> SubmissionResult:
    """A row of zeros with the reason, for a submission the grader could not finish."""
    reason = printable(reason)
    checks = not_graded(reason)
    return SubmissionResult(student, content_hash, version, checks, "none", (), reason, isolation)


def _grade_loaded(
    submission: Submission,
    session: SandboxSession,
    key: answer_key.AnswerKey,
    options: GradingOptions,
    version: str,
    notes: list[str],
) -> SubmissionResult:
    sources = _python_sources(submission)
    source = scan_files(sources, DAG_FILE)
    ruff = check_air(submission.root, [p for p in sources])
    to_run = checks_to_run(options.public_only)
    params = options.hidden_parameters()
    scenarios = plan(options.latest_month, steps_read_by(to_run), params)
    evidence = session.evidence_for(submission, scenarios, warehouses_read_by(to_run))
    startup_bytes = evidence.startup.output.bytes if evidence.startup else 0
    ctx = Context(
        submission=submission,
        source=source,
        ruff=ruff,
        evidence=evidence,
        key=key,
        options=options,
        import_output_bytes=startup_bytes,
        notes=notes,
        params=params,
    )
    checks = tuple(run_checks(ctx, public_only=options.public_only))
    tier = tier_of_results(checks).reached
    disagreements = [
        step_id
        for step_id, item in evidence.steps.items()
        if item.run is not None and item.probe.metadata.found and not ctx.run(step_id).consistent
    ]
    notes_for_student = list(evidence.warnings)
    if disagreements:
        notes_for_student.append(
            f"in {len(disagreements)} run(s) the task states the DAG's process reported differed "
            "from Airflow's metadata database; the database was used"
        )
    warnings = tuple(
        dict.fromkeys(printable(w) for w in [*submission.problems, *notes_for_student])
    )
    notes.append(f"sandbox: {evidence.isolation}, {evidence.seconds:.1f} s")
    for step_id, item in evidence.steps.items():
        notes.append(f"  {step_id}: {item.reply.status} {item.seconds:.1f} s {item.reply.detail}")
    return SubmissionResult(
        submission.student,
        submission.content_hash,
        version,
        checks,
        tier,
        warnings,
        isolation=evidence.isolation,
    )


def grade_loaded(
    submission: Submission,
    session: SandboxSession,
    key: answer_key.AnswerKey,
    options: GradingOptions,
    version: str | None = None,
) -> tuple[SubmissionResult, list[str]]:
    """Grade a loaded submission; never raises for the student's sake. Returns (result, notes)."""
    version = version or grader_version(options.hidden_parameters())
    notes: list[str] = []
    try:
        result = _grade_loaded(submission, session, key, options, version, notes)
    except Exception as err:  # noqa: BLE001 - one submission must never stop a class
        notes.append(traceback.format_exc())
        reason = (
            str(err) if isinstance(err, AutograderError) else "the grader hit an internal error"
        )
        result = failed_result(
            submission.student, submission.content_hash, version, reason, session.isolation.kind
        )
    return result, notes


def grade_submission(path: Path, options: GradingOptions | None = None) -> SubmissionResult:
    """Grade one submission folder and return its result (nothing is written).

    `options.public_only=True` is what `autograder check` uses: only public checks run.
    """
    options = options or GradingOptions()
    submission = load_submission(Path(path))
    key = answer_key.load_or_build(
        options.resolved_cache_dir(), options.hidden_parameters().key_months
    )
    # The sandbox works on a copy; the folder itself and its neighbours (other students,
    # when a teacher checks one folder of a class) stay out of its sight.
    hide = [submission.root, submission.root.parent, options.resolved_cache_dir()]
    session = SandboxSession(options, hide=hide)
    try:
        result, _ = grade_loaded(submission, session, key, options)
    finally:
        session.close()
    return result


# ---------------------------------------------------------------- a class


def selected_submissions(
    submissions_dir: Path, out_dir: Path, students: list[str] | None = None
) -> list[Path]:
    """The student folders `grade_class` will grade; raises on a bad --out or --student."""
    submissions_dir = Path(submissions_dir).resolve()
    out_dir = Path(out_dir).resolve()
    if out_dir == submissions_dir or submissions_dir in out_dir.parents:
        raise AutograderError(
            f"--out {out_dir} is inside the submissions folder; choose a folder outside it."
        )
    folders = find_submissions(submissions_dir)
    if students:
        unknown = sorted(set(students) - {f.name for f in folders})
        if unknown:
            raise AutograderError(f"no submission folder for: {', '.join(unknown)}")
        folders = [f for f in folders if f.name in students]
    return folders


def grade_class(
    submissions_dir: Path,
    out_dir: Path,
    jobs: int = 2,
    options: GradingOptions | None = None,
    *,
    regrade: bool = False,
    students: list[str] | None = None,
    on_progress: Callable[[str, SubmissionResult | None, bool], None] | None = None,
) -> ClassResult:
    """Grade every student folder in `submissions_dir` into `out_dir`. See the module docstring.

    `on_progress(student, result, reused)` is called as each student finishes (the CLI's
    progress bar); `result` is None when a student starts.
    """
    options = options or GradingOptions()
    if jobs < 1:
        raise AutograderError(f"--jobs must be at least 1, got {jobs}.")
    started = time.monotonic()
    submissions_dir = Path(submissions_dir).resolve()
    out_dir = Path(out_dir).resolve()
    folders = selected_submissions(submissions_dir, out_dir, students)
    isolation = detect_isolation(options.isolation).kind  # refuses before anything is written
    stamp = session_stamp(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = options.hidden_parameters()
    version = grader_version(params)
    cache = options.resolved_cache_dir()
    key = answer_key.load_or_build(cache, params.key_months)
    logs = ensure_private_dir(out_dir / "logs")

    todo: list[Submission] = []
    reused: list[str] = []
    results: dict[str, SubmissionResult] = {}
    replaced: dict[str, SubmissionResult] = {}  # --regrade: the results being graded again
    regrades: list[Regrade] = []
    lock = threading.Lock()

    def write(result: SubmissionResult) -> None:
        old = replaced.get(result.student)
        if old is not None:
            kept_at = keep_previous(out_dir, result.student, stamp)
            with lock:  # the report grows with each student, so an interruption keeps it
                regrades.append(Regrade(old, result, kept_at))
                regrades.sort(key=lambda r: r.student)
                write_regrade_report(out_dir, regrades, stamp, isolation)
        write_student_outputs(out_dir, result, options)

    for folder in folders:
        previous = read_result(out_dir, folder.name)
        if regrade and previous is not None:
            replaced[folder.name] = previous
        try:
            submission = load_submission(folder)
        except AutograderError as err:
            results[folder.name] = failed_result(folder.name, "", version, str(err), isolation)
            write(results[folder.name])
            continue
        if (
            not regrade
            and previous is not None
            and previous.submission_hash == submission.content_hash
            and previous.grader_version == version
            and previous.isolation == isolation
            and previous.error is None
        ):
            results[submission.student] = previous
            reused.append(submission.student)
            if on_progress:
                on_progress(submission.student, previous, True)
        else:
            todo.append(submission)

    timings: dict[str, float] = {}
    session = SandboxSession(options, hide=[submissions_dir, out_dir, cache], submissions=len(todo))

    def work(submission: Submission) -> SubmissionResult:
        if on_progress:
            on_progress(submission.student, None, False)
        began = time.monotonic()
        result, notes = grade_loaded(submission, session, key, options, version)
        with lock:
            timings[submission.student] = time.monotonic() - began
        if session.closing:
            return result  # interrupted: a half-graded student must not look graded
        write(result)
        atomic_write_text(logs / f"{submission.student}.log", "\n".join(notes) + "\n")
        return result

    try:
        if todo:
            session.template_db()
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade") as pool:
            futures = {pool.submit(work, s): s for s in todo}
            try:
                for future in as_completed(futures):
                    result = future.result()
                    results[result.student] = result
                    if on_progress:
                        on_progress(result.student, result, False)
            except BaseException:
                session.interrupt()
                for future in futures:
                    future.cancel()
                raise
    finally:
        session.close()
    if students:  # grades.csv and the class report stay whole: the rest keep their results
        for folder in find_submissions(submissions_dir):
            if folder.name not in results and (saved := read_result(out_dir, folder.name)):
                results[folder.name] = saved
                reused.append(folder.name)
    ordered = tuple(results[name] for name in sorted(results))
    ungraded = tuple(r.student for r in ordered if r.error)
    report = regrade_report_path(out_dir, stamp) if regrades else None
    class_result = ClassResult(
        results=ordered,
        reused=tuple(reused),
        ungraded=ungraded,
        seconds=time.monotonic() - started,
        timings=timings,
        notes=session.notes(),
        isolation=isolation,
        regrades=tuple(regrades),
        regrade_report=report,
    )
    write_class_outputs(out_dir, class_result, options)
    return class_result
