"""The DAG runs the grader makes, in order. Checks read their evidence from these runs.

A scenario is a sequence of runs (steps) against one fresh warehouse. Runs are shared between
checks (the in-order backfill's first run is also the one-month check's evidence), which is what
keeps grading at about twenty `dag.test()` runs per submission. Each check declares the steps it
reads (`@check(needs=...)`), and a grading session makes only the scenarios those steps belong
to: `autograder check` (public checks only) runs the public prefix of what `grade` runs.

The hidden scenarios' parameters (which month fails how, how often, which has broken rows and how
many) are a `HiddenParameters`: the public values below, or values drawn from the teacher's
secret (`autograder.secret`), so a submission tuned to this file's values gains nothing. A fault
schedule is sent to the sandbox supervisor, never to the process that runs the student's code;
that process only learns the date of the run it is making, as any DAG run does. The steps public
checks read (the backfills, the rerun, the manual run) never depend on the secret: a student
sees those runs and their logs in feedback, and `autograder check` must grade them the same.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

BACKFILL_MONTHS = tuple(f"2024-{m:02d}" for m in range(1, 8))
REVERSE_ORDER = tuple(reversed(BACKFILL_MONTHS))
MANUAL_RUN_AFTER = "2024-06-15T09:30:00+00:00"
MANUAL_MONTH = "2024-06"

# Step ids: what checks name in `needs` and read with `ctx.run(...)`.
RERUN_STEP = f"in_order_rerun_{BACKFILL_MONTHS[0]}"
MANUAL_STEP = "manual_no_logical_date"
TRANSIENT_STEP = "transient_failures"
PERMANENT_STEP = "permanent_failure"
UNPUBLISHED_STEP = "unpublished_month"
BROKEN_ROWS_STEP = "broken_rows"
# Runs a correct DAG fails at ingest_taxi_month (a server error, a month not yet published).
FAILED_INGEST_STEPS = (PERMANENT_STEP, UNPUBLISHED_STEP)


def in_order_step(month: str) -> str:
    """The step of the in-order backfill that runs `month`."""
    return f"in_order_{month}"


def reverse_step(month: str) -> str:
    """The step of the reversed backfill that runs `month`."""
    return f"reverse_{month}"


IN_ORDER_STEPS = tuple(in_order_step(m) for m in BACKFILL_MONTHS)
REVERSE_STEPS = tuple(reverse_step(m) for m in REVERSE_ORDER)


@dataclass(frozen=True)
class HiddenParameters:
    """What the hidden scenarios inject, into which months."""

    transient_month: str
    transient_failures: int  # at most 2: the contract asks for 2 retries, no more
    permanent_month: str
    broken_month: str
    broken_rows: int
    secret_id: str = ""  # "" for the public values; else a fingerprint of the teacher's secret

    @property
    def is_secret(self) -> bool:
        return bool(self.secret_id)

    @property
    def key_months(self) -> tuple[str, ...]:
        """The months whose expected warehouse contents the checks compare with."""
        return tuple(sorted({*BACKFILL_MONTHS, MANUAL_MONTH, self.transient_month}))


# What `autograder check` and a grade without the teacher's secret use: public, like this file.
PUBLIC = HiddenParameters(
    transient_month="2024-03",
    transient_failures=2,
    permanent_month="2024-04",
    broken_month="2024-05",
    broken_rows=5,
)


@dataclass(frozen=True)
class Step:
    """One `dag.test()` call."""

    id: str
    month: str | None  # the logical date's month; None = a manual run without a logical date
    run_after: str
    faults: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def logical_date(self) -> str | None:
        return f"{self.month}-01T00:00:00+00:00" if self.month else None


@dataclass(frozen=True)
class Scenario:
    name: str
    warehouse: str
    steps: tuple[Step, ...]

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps)


def month_after(month: str, months: int = 1) -> str:
    """The month `months` after `month` (YYYY-MM)."""
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + mon - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _scheduled(step_id: str, month: str, faults: dict | None = None) -> Step:
    # A scheduled @monthly run for January is queued when January ends.
    end = date.fromisoformat(month_after(month) + "-01")
    return Step(step_id, month, f"{end.isoformat()}T00:00:00+00:00", faults or {})


def unpublished_month(latest_month: str) -> str:
    return month_after(latest_month, 3)


def all_scenarios(latest_month: str, params: HiddenParameters = PUBLIC) -> tuple[Scenario, ...]:
    """Every scenario, in the order they run: the ones public checks read first."""
    transient, permanent, broken = (
        params.transient_month,
        params.permanent_month,
        params.broken_month,
    )
    return (
        Scenario(
            "in_order",
            "in_order",
            tuple(_scheduled(in_order_step(m), m) for m in BACKFILL_MONTHS)
            + (_scheduled(RERUN_STEP, BACKFILL_MONTHS[0]),),
        ),
        Scenario("manual", "manual", (Step(MANUAL_STEP, None, MANUAL_RUN_AFTER),)),
        Scenario(
            "reverse", "reverse", tuple(_scheduled(reverse_step(m), m) for m in REVERSE_ORDER)
        ),
        Scenario(
            "transient",
            "transient",
            (
                _scheduled(
                    TRANSIENT_STEP,
                    transient,
                    {transient: {"transient": params.transient_failures}},
                ),
            ),
        ),
        Scenario(
            "permanent",
            "permanent",
            (_scheduled(PERMANENT_STEP, permanent, {permanent: {"permanent": True}}),),
        ),
        Scenario(
            "unpublished",
            "unpublished",
            (_scheduled(UNPUBLISHED_STEP, unpublished_month(latest_month)),),
        ),
        Scenario(
            "broken_rows",
            "broken_rows",
            (_scheduled(BROKEN_ROWS_STEP, broken, {broken: {"broken_rows": params.broken_rows}}),),
        ),
    )


# Every step id, in order (ids do not depend on the latest month, only the unpublished one does).
STEP_IDS = tuple(step_id for s in all_scenarios("2025-06") for step_id in s.step_ids)


def plan(
    latest_month: str,
    steps: Collection[str] | None = None,
    params: HiddenParameters = PUBLIC,
) -> tuple[Scenario, ...]:
    """The scenarios that make any of `steps` (every scenario when None), in order.

    A scenario runs whole: its steps build on each other's warehouse.
    """
    scenarios = all_scenarios(latest_month, params)
    if steps is None:
        return scenarios
    return tuple(s for s in scenarios if set(s.step_ids) & set(steps))
