"""The scenario plan: a grading run makes only the scenarios its checks read, whole and in order,
so `autograder check` runs a prefix of what `grade` runs."""

from __future__ import annotations

from autograder.scenarios import MANUAL_STEP, RERUN_STEP, STEP_IDS, plan, unpublished_month


def test_a_plan_holds_whole_scenarios_in_order() -> None:
    everything = plan("2025-06")
    assert [s.name for s in plan("2025-06", {RERUN_STEP})] == ["in_order"]
    assert [s.name for s in plan("2025-06", {MANUAL_STEP, RERUN_STEP})] == ["in_order", "manual"]
    public = plan("2025-06", {MANUAL_STEP, RERUN_STEP})
    assert everything[: len(public)] == public
    assert plan("2025-06", set()) == ()


def test_step_ids_are_unique_and_do_not_depend_on_the_month() -> None:
    assert len(set(STEP_IDS)) == len(STEP_IDS) == 20
    ids = [step.id for s in plan("2030-01") for step in s.steps]
    assert tuple(ids) == STEP_IDS
    unpublished = next(s for s in plan("2030-01") if s.name == "unpublished").steps[0]
    assert unpublished.month == unpublished_month("2030-01") == "2030-04"
