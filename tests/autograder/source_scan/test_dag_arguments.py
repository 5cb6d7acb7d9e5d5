"""start_date as written: fixed and timezone-aware, naive, or computed from the clock."""

from __future__ import annotations

import pytest

from tests.autograder.helpers import (
    scan,
    with_dag,
)


@pytest.mark.parametrize(
    "expression, verdict",
    [
        ('pendulum.datetime(2024, 1, 1, tz="UTC")', "aware"),
        ("pendulum.datetime(2024, 1, 1)", "aware"),
        ("datetime(2024, 1, 1)", "naive"),
        ("datetime(2024, 1, 1, tzinfo=timezone.utc)", "aware"),
        ("datetime(2024, 1, 1).replace(tzinfo=timezone.utc)", "aware"),
        ('datetime.fromisoformat("2024-01-01")', "naive"),
        ('datetime.fromisoformat("2024-01-01T00:00:00+00:00")', "aware"),
        ("pendulum.now().subtract(days=30)", "dynamic"),
        ("days_ago(2)", "dynamic"),
    ],
)
def test_start_date_verdicts(expression, verdict) -> None:
    source = with_dag(
        'start_date=pendulum.datetime(2024, 1, 1, tz="UTC")', f"start_date={expression}"
    )
    assert [s.verdict for s in scan(source).start_dates] == [verdict]


def test_start_date_through_a_module_constant() -> None:
    source = with_dag(
        'start_date=pendulum.datetime(2024, 1, 1, tz="UTC")', "start_date=START"
    ).replace(
        "log = logging.getLogger(__name__)\n",
        "log = logging.getLogger(__name__)\nSTART = datetime(2024, 1, 1)\n",
    )
    assert [s.verdict for s in scan(source).start_dates] == ["naive"]
