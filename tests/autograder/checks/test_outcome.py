"""Outcomes: equal-weight parts give partial credit and one message per problem."""

from __future__ import annotations

import pytest

from autograder.checks import Outcome


def test_outcome_parts_give_partial_credit() -> None:
    outcome = Outcome.from_parts([(True, "a"), (False, "b is wrong."), (False, "c is wrong.")])
    assert outcome.fraction == pytest.approx(1 / 3)
    assert outcome.message == "b is wrong. c is wrong."
