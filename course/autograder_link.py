"""The course's calls into the autograder package (a separate part of the repo): its registry,
grading a class, and the secrets feedback must never show.

Keeping the calls here means a change in the autograder's API touches one file; the results
files and the tier rule are read through the autograder's own schema in `autograder_results.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from course.autograder_results import CheckInfo
from course.errors import CourseError


def _autograder():
    try:
        import autograder
    except ImportError as exc:  # pragma: no cover - the package ships with the repository
        raise CourseError(f"the autograder package cannot be imported ({exc})") from None
    return autograder


def registry() -> list[CheckInfo]:
    """Every check the autograder runs, in its order, with points, tier and visibility."""
    _autograder()
    from autograder.checks import all_checks

    return [
        CheckInfo(
            id=item.id,
            points=float(item.points),
            tier=item.tier,
            hidden=item.is_hidden,
            title=item.title,
        )
        for item in all_checks().values()
    ]


@dataclass(frozen=True)
class AutograderRun:
    """What a `course` summary shows of an autograder session: the sandbox it ran in, and for
    `--regrade` each regraded student's changes and the report file that keeps them."""

    isolation: str
    regrades: list[str] = field(default_factory=list)
    regrade_report: Path | None = None


def sandbox_isolation(isolation: str) -> str:
    """The sandbox this host gives the autograder, in words; CourseError (the autograder's
    refusal: what the host lacks, how to get it) where it has none and `isolation` is not
    "none"."""
    autograder = _autograder()
    from autograder.sandbox.isolation import describe, detect_isolation

    if isolation not in ("auto", "namespaces", "none"):
        raise CourseError(f"--isolation must be auto, namespaces or none, not {isolation!r}.")
    try:
        return describe(detect_isolation(isolation).kind)
    except autograder.AutograderError as exc:
        raise CourseError(str(exc)) from None


def _options(
    public_only: bool = False,
    isolation: str = "auto",
    secret_file: Path | None = None,
    profile: str = "auto",
):
    """The grading options: the public checks only, or all of them with the hidden scenarios
    drawn from the teacher's secret (`secret_file`, else $AUTOGRADER_SECRET, else public)."""
    autograder = _autograder()
    from autograder.secret import read_secret

    if public_only:
        return autograder.GradingOptions(public_only=True, isolation=isolation, profile=profile)
    try:
        secret = read_secret(secret_file)
        return autograder.GradingOptions(secret=secret, isolation=isolation, profile=profile)
    except autograder.AutograderError as exc:
        raise CourseError(
            f"the hidden checks' secret (course.toml [autograder] secret_file): {exc}"
        ) from None


def grade_class(
    submissions: Path,
    out: Path,
    jobs: int,
    public_only: bool = False,
    *,
    regrade: bool = False,
    isolation: str = "auto",
    secret_file: Path | None = None,
    profile: str = "auto",
) -> AutograderRun:
    """Run the autograder on every student folder in `submissions`; results go to `out`.

    Writes out/results/<student>.json (Gradescope format) for every student, a zero-score one
    with the reason for a submission it could not grade. Unchanged submissions graded before by
    the same grader version are reused, so grading again after a late hand-in is quick;
    `regrade` runs every sandbox again, keeps the old results in out/history/ and writes what
    changed to out/regrades/. `public_only`: only the public checks, as `autograder check` runs
    them (quicker). `isolation`: see `sandbox_isolation`. `secret_file`: the teacher's secret
    for the hidden checks and `profile` (plain, template or auto) both from course.toml
    [autograder].
    """
    autograder = _autograder()
    from autograder.reporters.regrade import change_line, total_line
    from autograder.sandbox.isolation import describe

    options = _options(public_only, isolation, secret_file, profile)
    try:
        result = autograder.grade_class(
            submissions, out, jobs=jobs, options=options, regrade=regrade
        )
    except autograder.AutograderError as exc:
        raise CourseError(f"the autograder stopped: {exc}") from None
    lines = []
    for item in result.regrades:
        lines += [total_line(item), *(f"  {change_line(c)}" for c in item.changes)]
    return AutograderRun(describe(result.isolation), lines, result.regrade_report)


def feedback_markdown(out: Path, student: str) -> Path:
    """The feedback the autograder wrote for one student (what the student may see)."""
    return out / "feedback" / f"{student}.md"


def secrets(secret_file: Path | None = None) -> list[str]:
    """What a student must never see in feedback: the answer key's expected checksums (per month,
    per table, and for the backfill's months together) and the fault plans of the runs only
    hidden checks read, as drawn from the teacher's secret when there is one."""
    _autograder()
    from autograder import answer_key, scenarios
    from autograder.checks import checks_to_run, steps_read_by

    options = _options(secret_file=secret_file)
    params = options.hidden_parameters()
    found: set[str] = set()
    cache = options.resolved_cache_dir()
    try:
        key = answer_key.load_or_build(cache, params.key_months)
    except Exception as exc:  # noqa: BLE001 - without a key there are no checksums to leak
        raise CourseError(f"cannot read the autograder's answer key in {cache}: {exc}") from None
    for month, entry in key.months.items():
        for table, (_rows, checksum) in entry.tables.items():
            found.add(checksum)
            found.add(key.expected([month], table)[1])
    for table in answer_key.TABLES:
        found.add(key.expected(list(scenarios.BACKFILL_MONTHS), table)[1])
    public_steps = steps_read_by(checks_to_run(public_only=True))
    for scenario in scenarios.plan(options.latest_month, params=params):
        for step in scenario.steps:
            if step.faults and step.id not in public_steps:
                found.add(json.dumps(step.faults))
                found.add(json.dumps(step.faults, separators=(",", ":")))
    return sorted(found)
