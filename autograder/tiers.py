"""The assignment's tiers, and the one rule that says which tier a student reached.

Minimum  the DAG imports, has the three tasks in order, runs one month end to end; RUNBOOK.md.
Target   + the schedule and DAG settings the course asks for, Airflow 3 idioms, the idempotent
           7-run backfill (in order, in reverse, with neighbouring-month rows, by logical date),
           and the report with row counts and the AI log.
Stretch  + notify on failure, retries proven against a flaky source, failures stop dbt, dbt
           tests stop bad data, and a manual run without a logical date.

Each check declares its tier (`@check(tier=...)`); `autograder.checks.by_tier()` is the table.
`tier_report` is the rule, used by the autograder and by the course (`course` computes tiers
from the gradebook with it, so a teacher's manual override counts).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from autograder.results import CheckResult

TIERS = ("minimum", "target", "stretch")  # climbed in this order
NO_TIER = "none"


@dataclass(frozen=True)
class TierReport:
    """The tier reached, and per tier the checks of it that did not pass."""

    reached: str  # NO_TIER or one of TIERS
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)


def tier_report(tier_of: Mapping[str, str], passed: Collection[str]) -> TierReport:
    """The highest tier whose checks, and those of every tier below it, all passed.

    `tier_of` maps every check that counts to its tier; a check that did not count (a hidden
    check in `autograder check`) is left out of it and cannot hold a student back. A check that
    counts but is not in `passed` failed. A tier with no check that counts is skipped.
    """
    reached = NO_TIER
    missing: dict[str, tuple[str, ...]] = {}
    for tier in TIERS:
        of_tier = [check_id for check_id, t in tier_of.items() if t == tier]
        failed = tuple(check_id for check_id in of_tier if check_id not in passed)
        if failed:
            missing[tier] = failed
        elif of_tier and not missing:
            reached = tier
    return TierReport(reached, missing)


def tier_of_results(checks: Iterable[CheckResult]) -> TierReport:
    """The tier report of one submission's graded checks."""
    checks = list(checks)
    passed = {c.check_id for c in checks if c.passed}
    return tier_report({c.check_id: c.tier for c in checks}, passed)
