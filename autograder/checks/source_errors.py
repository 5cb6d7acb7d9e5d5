"""Behaviour: what the DAG does with a source answer that retrying cannot fix.

The contract (assignment/CONTRACT.md, section 4) tells a 403 (a month not published yet) from a
5xx (a server error): only the second is worth a retry. The evidence is the run of a month after
the latest published one: the source's log of that run's requests, and the task's tries in the
metadata DB.
"""

from __future__ import annotations

from autograder.checks.context import Context
from autograder.checks.needs import steps
from autograder.checks.outcome import Outcome
from autograder.checks.registry import check
from autograder.scenarios import UNPUBLISHED_STEP, unpublished_month

FORBIDDEN = 403


@check(
    id="behaviour_unpublished_fails_at_once",
    rules=["R-403-fails-at-once"],
    points=2,
    visibility="hidden",
    tier="stretch",
    needs=steps([UNPUBLISHED_STEP]),
    teaches="07_monitoring_and_debugging.ipynb#Failures-a-retry-cannot-fix",
    hint="A 403 means the month is not published: no retry can fix it. Raise "
    "AirflowFailException for a 403 (and a 404), so the task fails on its first try; keep "
    "plain exceptions, which Airflow retries, for 5xx answers and network errors.",
)
def unpublished_fails_at_once(ctx: Context) -> Outcome:
    """A month that is not published yet (403) fails ingest_taxi_month at once, without retries"""
    if ctx.dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    run = ctx.run(UNPUBLISHED_STEP)
    if not run.states:
        return Outcome.fail(f"The run did not complete: {run.problem}.")
    month = unpublished_month(ctx.options.latest_month)
    statuses = [r.status for r in run.evidence.reply.source_requests]
    refused = statuses.count(FORBIDDEN)
    state, tries = run.states.get("ingest_taxi_month"), run.tries("ingest_taxi_month")
    if not refused:
        return Outcome.fail(
            f"The run for the unpublished month {month} never got a 403 from the source (it "
            f"asked for {', '.join(sorted(set(run.requested_months))) or 'nothing'}), so what it "
            "does with one could not be seen."
        )
    output = f"source answers: {statuses}\ntask states: {run.state_summary()}"
    problems = []
    if state != "failed":
        problems.append(f"ingest_taxi_month ended {state} after a 403.")
    if tries != 1 or refused != 1:
        problems.append(
            f"The source answered 403 {refused} time(s) over {tries} tries of ingest_taxi_month: "
            "a month that is not published was asked for again."
        )
    # One rule, one behaviour: a task that fails late, or never, has not followed it.
    return Outcome.fail(" ".join(problems), output) if problems else Outcome.ok(output=output)
