"""results/<student>.json in the Gradescope autograder results format.

Gradescope reads `score`, `tests[]` (`name`, `score`, `max_score`, `status`, `visibility`,
`output`) and ignores `extra_data`, where the grader keeps what it needs to resume a session
(submission hash, grader version, tier) and to rebuild a `SubmissionResult` exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from autograder.files import atomic_write_text
from autograder.results import CheckResult, SubmissionResult

VISIBILITY = {"public": "visible", "hidden": "hidden"}
MAX_OUTPUT = 20_000


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


class GradescopeResults(BaseModel):
    model_config = ConfigDict(extra="ignore")
    score: float
    output: str = ""
    output_format: str = "md"
    visibility: str = "visible"
    stdout_visibility: str = "hidden"
    tests: list[_Test]
    extra_data: _Extra


def test_output(check: CheckResult) -> str:
    parts = [check.message] if check.message else []
    if not check.passed:
        parts.append(f"Hint: {check.hint}")
    if check.output:
        parts.append(check.output[:MAX_OUTPUT])
    return "\n\n".join(parts)


def to_gradescope(result: SubmissionResult) -> dict:
    tests = []
    for number, check in enumerate(result.checks, start=1):
        tests.append(
            {
                "name": f"{check.check_id}: {check.title}",
                "number": str(number),
                "score": check.score,
                "max_score": check.points,
                "status": "passed" if check.passed else "failed",
                "visibility": VISIBILITY[check.visibility],
                "output": test_output(check),
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
        },
    }


def from_gradescope(raw: dict) -> SubmissionResult:
    data = GradescopeResults.model_validate(raw)
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
    )


def result_path(out_dir: Path, student: str) -> Path:
    return out_dir / "results" / f"{student}.json"


def write_result(out_dir: Path, result: SubmissionResult) -> Path:
    path = result_path(out_dir, result.student)
    atomic_write_text(path, json.dumps(to_gradescope(result), indent=1, sort_keys=False) + "\n")
    return path


def read_result(out_dir: Path, student: str) -> SubmissionResult | None:
    """A previous result for `student`, or None if missing or unreadable (then: regrade)."""
    path = result_path(out_dir, student)
    try:
        return from_gradescope(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def read_all(out_dir: Path) -> list[SubmissionResult]:
    found = []
    for path in sorted((out_dir / "results").glob("*.json")):
        result = read_result(out_dir, path.stem)
        if result is not None:
            found.append(result)
    return found
