"""The one tier rule: every check of a tier and of the tiers below it must pass; checks that
did not count (hidden ones in `autograder check`) cannot hold a student back."""

from __future__ import annotations

import pytest

from autograder.checks import by_tier
from autograder.tiers import tier_of_results, tier_report
from tests.autograder.helpers import submission_result

TABLE = by_tier()
TIER_OF = {check_id: tier for tier, ids in TABLE.items() for check_id in ids}


def reached(passed: set[str], counted: dict[str, str] = TIER_OF) -> str:
    return tier_report(counted, passed).reached


@pytest.mark.parametrize(
    "passed, expected",
    [
        (set(), "none"),
        ({"integrity_imports"}, "none"),
    ],
)
def test_tier_needs_every_check_of_the_tier(passed, expected) -> None:
    graded = set(TIER_OF)
    assert reached(passed) == expected
    assert reached(set(TABLE["minimum"])) == "minimum"
    assert reached(set(TABLE["minimum"]) | set(TABLE["stretch"])) == "minimum"
    assert reached(graded) == "stretch"
    hidden_ungraded = {c: t for c, t in TIER_OF.items() if c != "behaviour_retries_transient"}
    assert reached(set(hidden_ungraded), hidden_ungraded) == "stretch"


def test_the_report_names_what_each_tier_still_needs() -> None:
    report = tier_report(TIER_OF, set(TIER_OF) - {"docs_ai_assist", "behaviour_manual_trigger"})
    assert report.reached == "minimum"
    assert report.missing == {
        "target": ("docs_ai_assist",),
        "stretch": ("behaviour_manual_trigger",),
    }


def test_a_tier_without_counted_checks_is_skipped_not_reached() -> None:
    only_minimum = {"integrity_imports": "minimum"}
    assert reached({"integrity_imports"}, only_minimum) == "minimum"
    assert reached(set(), only_minimum) == "none"
    assert reached({"a"}, {"a": "minimum", "b": "stretch"}) == "minimum"
    assert reached({"a", "b"}, {"a": "minimum", "b": "stretch"}) == "stretch"


def test_a_results_tier_comes_from_its_own_checks() -> None:
    full = submission_result(integrity_imports=4, docs_runbook=4)  # both tier "target" here
    assert tier_of_results(full.checks).reached == "target"
    part = submission_result(integrity_imports=4, docs_runbook=3.5)
    assert tier_of_results(part.checks).missing == {"target": ("docs_runbook",)}
