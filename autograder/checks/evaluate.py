"""Run the registered checks on one submission's context and turn their outcomes into results."""

from __future__ import annotations

import traceback

from autograder.checks import needs as need
from autograder.checks.context import Blocker, Context
from autograder.checks.logs import printable
from autograder.checks.outcome import Outcome
from autograder.checks.registry import Check, checks_to_run
from autograder.profiles.hints import hint_for
from autograder.results import CheckResult

GRADER_ERROR = (
    "The grader could not evaluate this check (an error in the grader, not in your work). "
    "Your teacher has been told."
)


def run_checks(ctx: Context, public_only: bool = False) -> list[CheckResult]:
    """Every registered check (public ones only if asked), as CheckResults, in registry order."""
    return [_run_one(item, ctx) for item in checks_to_run(public_only)]


def blocker_of(item: Check, ctx: Context) -> Blocker | None:
    """What stops `item` from running at all, if anything: the DAG it needs is not there.

    The check that says why (integrity_imports, _no_cycles or _single_dag) still runs; every
    other check that needs the DAG fails, naming that check as the one to fix first. A DAG whose
    id is not the contract's is there: it is graded, and only integrity_single_dag says so.
    """
    blocker = ctx.dag_blocker() if item.requires(need.DAG) else None
    if blocker is None and item.requires(need.DAG_FILE) and ctx.submission.dag_file is None:
        blocker = ctx.dag_blocker()
    return blocker if blocker is not None and blocker.check_id != item.id else None


def _run_one(item: Check, ctx: Context) -> CheckResult:
    errored = False
    blocker = blocker_of(item, ctx)
    try:
        outcome = Outcome.fail(blocker.sentence()) if blocker else item.func(ctx)
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
        hint=hint_for(item, ctx.evidence.profile),
        # The one gate between what a check found (logs, the student's text) and every view.
        message=printable(outcome.message).strip(),
        output=printable(outcome.output).rstrip(),
        errored=errored,
        teaches=item.teaches,
        blocked_by=blocker.check_id if blocker else "",
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
            message=printable(f"Not graded: {reason}"),
            teaches=item.teaches,
        )
        for item in checks_to_run()
    )
