"""The DAG runs the grader makes, in order. Checks read their evidence from these runs.

A scenario is a sequence of runs against one fresh warehouse. Runs are shared between checks
(the in-order backfill's first run is also the one-month check's evidence), which is what keeps
grading at about twenty `dag.test()` runs per submission. The fault schedules here are part of
the hidden checks: they are sent to the sandbox supervisor, never to the process that runs the
student's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Visibility = Literal["public", "hidden"]
BACKFILL_MONTHS = tuple(f"2024-{m:02d}" for m in range(1, 8))
REVERSE_ORDER = tuple(reversed(BACKFILL_MONTHS))
TRANSIENT_MONTH = "2024-03"
TRANSIENT_FAILURES = 2
PERMANENT_MONTH = "2024-04"
BROKEN_MONTH = "2024-05"
BROKEN_ROWS = 5
MANUAL_RUN_AFTER = "2024-06-15T09:30:00+00:00"
MANUAL_MONTH = "2024-06"


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
    visibility: Visibility
    warehouse: str
    steps: tuple[Step, ...]


def _month_after(month: str, months: int = 1) -> str:
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + mon - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _scheduled(step_id: str, month: str, faults: dict | None = None) -> Step:
    # A scheduled @monthly run for January is queued when January ends.
    end = date.fromisoformat(_month_after(month) + "-01")
    return Step(step_id, month, f"{end.isoformat()}T00:00:00+00:00", faults or {})


def unpublished_month(latest_month: str) -> str:
    return _month_after(latest_month, 3)


def plan(latest_month: str, public_only: bool = False) -> tuple[Scenario, ...]:
    """Public scenarios first, so `autograder check` runs a prefix of what `grade` runs."""
    unpublished = unpublished_month(latest_month)
    scenarios = (
        Scenario(
            "in_order",
            "public",
            "in_order",
            tuple(_scheduled(f"in_order_{m}", m) for m in BACKFILL_MONTHS)
            + (_scheduled(f"in_order_rerun_{BACKFILL_MONTHS[0]}", BACKFILL_MONTHS[0]),),
        ),
        Scenario(
            "manual",
            "public",
            "manual",
            (Step("manual_no_logical_date", None, MANUAL_RUN_AFTER),),
        ),
        Scenario(
            "reverse",
            "hidden",
            "reverse",
            tuple(_scheduled(f"reverse_{m}", m) for m in REVERSE_ORDER),
        ),
        Scenario(
            "transient",
            "hidden",
            "transient",
            (
                _scheduled(
                    "transient_failures",
                    TRANSIENT_MONTH,
                    {TRANSIENT_MONTH: {"transient": TRANSIENT_FAILURES}},
                ),
            ),
        ),
        Scenario(
            "permanent",
            "hidden",
            "permanent",
            (
                _scheduled(
                    "permanent_failure", PERMANENT_MONTH, {PERMANENT_MONTH: {"permanent": True}}
                ),
            ),
        ),
        Scenario(
            "unpublished",
            "hidden",
            "unpublished",
            (_scheduled("unpublished_month", unpublished),),
        ),
        Scenario(
            "broken_rows",
            "hidden",
            "broken_rows",
            (
                _scheduled(
                    "broken_rows", BROKEN_MONTH, {BROKEN_MONTH: {"broken_rows": BROKEN_ROWS}}
                ),
            ),
        ),
    )
    if public_only:
        return tuple(s for s in scenarios if s.visibility == "public")
    return scenarios


def step_ids(scenarios: tuple[Scenario, ...]) -> list[str]:
    return [step.id for scenario in scenarios for step in scenario.steps]
