"""The 403 rule: a month that is not published fails ingest_taxi_month at once, on evidence the
grader reads itself (the source's request log and the task's tries in the metadata DB)."""

from __future__ import annotations

import pytest

from autograder.sandbox.evidence import (
    MetadataFacts,
    ProbeResult,
    SourceRequest,
    StepEvidence,
    StepReply,
    TaskState,
)
from autograder.scenarios import UNPUBLISHED_STEP, plan
from tests.autograder.helpers import context, run_check

CHECK = "behaviour_unpublished_fails_at_once"
MONTH = "2025-09"  # three months after GradingOptions().latest_month


def _unpublished_run(statuses: list[int], tries: int, state: str = "failed") -> StepEvidence:
    step = next(
        s for scenario in plan("2025-06") for s in scenario.steps if s.id == UNPUBLISHED_STEP
    )
    requests = [SourceRequest(month=MONTH, attempt=i + 1, status=s) for i, s in enumerate(statuses)]
    tasks = {
        "ingest_taxi_month": TaskState(task_id="ingest_taxi_month", state=state, try_number=tries),
        "dbt_run": TaskState(task_id="dbt_run", state="upstream_failed"),
    }
    return StepEvidence(
        step,
        StepReply(status="ok", source_requests=requests),
        probe=ProbeResult(metadata=MetadataFacts(found=True, tasks=tasks)),
    )


@pytest.mark.parametrize(
    "statuses, tries, state, passed, words",
    [
        ([403], 1, "failed", True, ""),
        ([403, 403, 403], 3, "failed", False, "403 3 time(s) over 3 tries"),
        ([403, 403], 1, "failed", False, "asked for again"),  # a retry loop inside one try
        ([403], 1, "success", False, "ended success after a 403"),
        ([], 1, "failed", False, "never got a 403"),
    ],
    ids=["fails_at_once", "retried_by_airflow", "retried_in_the_task", "swallowed", "not_asked"],
)
def test_a_403_must_fail_the_first_try(tmp_path, statuses, tries, state, passed, words) -> None:
    ctx = context(tmp_path)
    ctx.evidence.steps[UNPUBLISHED_STEP] = _unpublished_run(statuses, tries, state)
    outcome = run_check(CHECK, ctx)
    assert outcome.fraction == (1.0 if passed else 0.0), outcome.message
    assert words in outcome.message
