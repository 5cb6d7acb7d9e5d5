"""Run the registered checks on one submission's context and turn their outcomes into results."""

from __future__ import annotations

import traceback

from autograder.checks.context import Context
from autograder.checks.outcome import Outcome
from autograder.checks.registry import Check, checks_to_run
from autograder.results import CheckResult

GRADER_ERROR = (
    "The grader could not evaluate this check (an error in the grader, not in your work). "
    "Your teacher has been told."
)


def run_checks(ctx: Context, public_only: bool = False) -> list[CheckResult]:
    """Every registered check (public ones only if asked), as CheckResults, in registry order."""
    return [_run_one(item, ctx) for item in checks_to_run(public_only)]


def _run_one(item: Check, ctx: Context) -> CheckResult:
    errored = False
    try:
        outcome = item.func(ctx)
    except Exception:  # noqa: BLE001 - a bug in one check must not stop the others
        errored = True
        ctx.notes.append(f"{item.id}: grader error\n{traceback.format_exc()}")
        outcome = Outcome.fail(GRADER_ERROR)
    return CheckResult(
        check_id=item.id,
        title=item.title,
        category=item.category,
        visibility=item.visibility,
        tier=item.tier,
        points=item.points,
        score=round(item.points * outcome.fraction, 2),
        hint=item.hint,
        message=outcome.message.strip(),
        output=outcome.output.rstrip(),
        errored=errored,
    )


def not_graded(reason: str) -> tuple[CheckResult, ...]:
    """Every check at zero with `reason`, for a submission the grader could not finish."""
    return tuple(
        CheckResult(
            check_id=item.id,
            title=item.title,
            category=item.category,
            visibility=item.visibility,
            tier=item.tier,
            points=item.points,
            score=0.0,
            hint=item.hint,
            message=f"Not graded: {reason}",
        )
        for item in checks_to_run()
    )
