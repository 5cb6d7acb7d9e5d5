"""Results: what every reporter reads. Plain frozen data, no rendering, no timestamps.

A submission that could not be graded at all is still a `SubmissionResult` (every check zero,
with the reason), so the gradebook always has a row for every student.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Visibility = Literal["public", "hidden"]


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

    def by_student(self) -> dict[str, SubmissionResult]:
        return {r.student: r for r in self.results}
