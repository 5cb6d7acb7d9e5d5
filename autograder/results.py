"""Results: what every reporter reads, and the results file the course reads. One schema.

In memory a result is plain frozen data (`CheckResult`, `SubmissionResult`, `ClassResult`): no
rendering, no timestamps. On disk it is `results/<student>.json` in the Gradescope autograder
results format (`ResultsFile`): Gradescope reads `score` and `tests[]` (`name`, `score`,
`max_score`, `status`, `visibility`, `output`) and ignores `extra_data`, where the grader keeps
what it needs to resume a session (submission hash, grader version, tier) and to rebuild a
`SubmissionResult` exactly. `to_results_file` and `from_results_file` convert between the two;
the course side reads the files with `read_results_file`, never with a parser of its own.

A submission that could not be graded at all is still a `SubmissionResult` (every check zero,
with the reason), so the gradebook always has a row for every student.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from autograder import workbook_links
from autograder.errors import AutograderError

Visibility = Literal["public", "hidden"]
# Check categories, in the order checks are listed: a check id starts with its category.
CATEGORIES = {
    "integrity": "DAG integrity",
    "airflow3": "Airflow 3 idioms",
    "docs": "Documents",
    "behaviour": "Behaviour (the DAG really runs)",
}
MAX_OUTPUT = 20_000  # characters of a check's output kept in the results file
_GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "hidden"}


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    title: str
    category: str
    visibility: Visibility
    tier: str
    points: float
    score: float
    hint: str
    message: str = ""
    output: str = ""
    errored: bool = False
    teaches: str = ""  # the workbook section that teaches this check's subject (workbook_links)
    blocked_by: str = ""  # the check to fix first when this one could not run at all

    @property
    def passed(self) -> bool:
        return self.score >= self.points - 1e-9

    @property
    def is_hidden(self) -> bool:
        return self.visibility == "hidden"


@dataclass(frozen=True)
class SubmissionResult:
    student: str
    submission_hash: str
    grader_version: str
    checks: tuple[CheckResult, ...]
    tier: str = "none"
    warnings: tuple[str, ...] = field(default=())
    error: str | None = None
    isolation: str = "unknown"  # the sandbox it ran in (`Isolation.kind`); "none": no sandbox

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 2)

    @property
    def max_score(self) -> float:
        return round(sum(c.points for c in self.checks), 2)

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.check_id == check_id), None)

    @property
    def failed_ids(self) -> set[str]:
        return {c.check_id for c in self.checks if not c.passed}

    def public(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.is_hidden)

    def hidden(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.is_hidden)

    def with_tier(self, tier: str) -> SubmissionResult:
        return replace(self, tier=tier)


@dataclass(frozen=True)
class ClassResult:
    """One grading session: every student's result, and who was reused or failed."""

    results: tuple[SubmissionResult, ...]
    reused: tuple[str, ...] = ()
    ungraded: tuple[str, ...] = ()  # the grader could not finish these (their rows are zeros)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # about the grading set-up, for the teacher (e.g. a weak sandbox)
    isolation: str = "unknown"  # the sandbox this session's gradings ran in
    regrades: tuple[Regrade, ...] = ()  # `--regrade`: each replaced result beside its successor
    regrade_report: Path | None = None  # where the differences were written for the teacher

    def by_student(self) -> dict[str, SubmissionResult]:
        return {r.student: r for r in self.results}


@dataclass(frozen=True)
class CheckChange:
    """One check whose points or status differ between a replaced result and its regrade."""

    check_id: str
    points: float
    old_score: float | None  # None: the check was not in that result
    new_score: float | None
    old_status: str
    new_status: str


def check_status(check: CheckResult | None) -> str:
    if check is None:
        return "not run"
    return "errored" if check.errored else "passed" if check.passed else "failed"


@dataclass(frozen=True)
class Regrade:
    """A result replaced by `grade --regrade`: the old one (kept in `kept_at`) and the new."""

    old: SubmissionResult
    new: SubmissionResult
    kept_at: Path

    @property
    def student(self) -> str:
        return self.new.student

    @property
    def changes(self) -> tuple[CheckChange, ...]:
        ids = [c.check_id for c in self.new.checks]
        ids += [c.check_id for c in self.old.checks if c.check_id not in ids]
        found = []
        for check_id in ids:
            old, new = self.old.check(check_id), self.new.check(check_id)
            change = CheckChange(
                check_id,
                (new or old).points,  # type: ignore[union-attr] - one of them exists
                None if old is None else old.score,
                None if new is None else new.score,
                check_status(old),
                check_status(new),
            )
            if (change.old_score, change.old_status) != (change.new_score, change.new_status):
                found.append(change)
        return tuple(found)


# ---------------------------------------------------------------- the results file


class _TestExtra(BaseModel):
    model_config = ConfigDict(extra="ignore")
    check_id: str
    title: str
    category: str
    tier: str
    hint: str
    message: str = ""
    output: str = ""
    errored: bool = False
    teaches: str = ""
    blocked_by: str = ""


class _Test(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    number: str
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    visibility: Literal["visible", "hidden", "after_due_date", "after_published"]
    output: str = ""
    tags: list[str] = []
    extra_data: _TestExtra


class _Extra(BaseModel):
    model_config = ConfigDict(extra="ignore")
    student: str
    submission_hash: str
    grader_version: str
    tier: str
    max_score: float
    warnings: list[str] = []
    error: str | None = None
    isolation: str = "unknown"  # results written before the grader recorded it


class ResultsFile(BaseModel):
    """`results/<student>.json`: the Gradescope results format plus the grader's extra_data."""

    model_config = ConfigDict(extra="ignore")
    score: float
    output: str = ""
    output_format: str = "md"
    visibility: str = "visible"
    stdout_visibility: str = "hidden"
    tests: list[_Test]
    extra_data: _Extra


def gradescope_output(check: CheckResult) -> str:
    """A check's `output` in the results file (and nbgrader's feedback page): what was found,
    the hint and where the workbook teaches it if it failed, the log."""
    parts = [check.message] if check.message else []
    if not check.passed:
        parts.append(f"Hint: {check.hint}")
        if check.teaches:
            parts.append(f"Learn it: {workbook_links.plain(check.teaches)}")
    if check.output:
        parts.append(check.output[:MAX_OUTPUT])
    return "\n\n".join(parts)


def to_results_file(result: SubmissionResult) -> dict:
    tests = []
    for number, check in enumerate(result.checks, start=1):
        tests.append(
            {
                "name": f"{check.check_id}: {check.title}",
                "number": str(number),
                "score": check.score,
                "max_score": check.points,
                "status": "passed" if check.passed else "failed",
                "visibility": _GRADESCOPE_VISIBILITY[check.visibility],
                "output": gradescope_output(check),
                "tags": [check.category, check.tier],
                "extra_data": {
                    "check_id": check.check_id,
                    "title": check.title,
                    "category": check.category,
                    "tier": check.tier,
                    "hint": check.hint,
                    "message": check.message,
                    "output": check.output[:MAX_OUTPUT],
                    "errored": check.errored,
                    "teaches": check.teaches,
                    "blocked_by": check.blocked_by,
                },
            }
        )
    summary = f"Score {result.score:g} / {result.max_score:g}. Tier reached: {result.tier}."
    if result.error:
        summary += f"\n\nThis submission could not be graded: {result.error}"
    return {
        "score": result.score,
        "output": summary,
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "student": result.student,
            "submission_hash": result.submission_hash,
            "grader_version": result.grader_version,
            "tier": result.tier,
            "max_score": result.max_score,
            "warnings": list(result.warnings),
            "error": result.error,
            "isolation": result.isolation,
        },
    }


def from_results_file(raw: dict) -> SubmissionResult:
    """The `SubmissionResult` a results file holds; pydantic's ValidationError if it is not one."""
    data = ResultsFile.model_validate(raw)
    checks = tuple(
        CheckResult(
            check_id=t.extra_data.check_id,
            title=t.extra_data.title,
            category=t.extra_data.category,
            visibility="hidden" if t.visibility != "visible" else "public",
            tier=t.extra_data.tier,
            points=t.max_score,
            score=t.score,
            hint=t.extra_data.hint,
            message=t.extra_data.message,
            output=t.extra_data.output,
            errored=t.extra_data.errored,
            teaches=t.extra_data.teaches,
            blocked_by=t.extra_data.blocked_by,
        )
        for t in data.tests
    )
    extra = data.extra_data
    return SubmissionResult(
        student=extra.student,
        submission_hash=extra.submission_hash,
        grader_version=extra.grader_version,
        checks=checks,
        tier=extra.tier,
        warnings=tuple(extra.warnings),
        error=extra.error,
        isolation=extra.isolation,
    )


def read_results_file(path: Path) -> SubmissionResult:
    """Read one results file. Raises AutograderError naming the file, the fields and the fix."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AutograderError(f"{path}: no autograder results for this student") from None
    except (OSError, ValueError) as exc:
        raise AutograderError(
            f"{path}: not readable JSON ({exc}); grade this student again"
        ) from None
    try:
        return from_results_file(raw)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise AutograderError(
            f"{path}: not in the autograder's results format ({fields}); grade this student again"
        ) from None
