"""The wall-clock taint analysis: a clock read counts only when it picks the month."""

from __future__ import annotations

import pytest

from tests.autograder.helpers import (
    scan,
)


@pytest.mark.parametrize(
    "snippet, picks_month",
    [
        ("def month():\n    return pendulum.now().strftime('%Y-%m')\n", True),
        ("def f():\n    now = datetime.now()\n    partition = now.replace(day=1)\n", True),
        ("def f():\n    today = date.today()\n    return parquet_url_for(today)\n", True),
        ("def f():\n    started = time.time()\n    return time.time() - started\n", False),
        ("def f():\n    return {'notified_at': datetime.now().isoformat()}\n", False),
        ("def f():\n    log.info('at %s', pendulum.now().strftime('%H:%M:%S'))\n", False),
    ],
)
def test_wall_clock_only_counts_when_it_picks_the_month(snippet, picks_month) -> None:
    facts = scan("import time\nfrom datetime import date, datetime\nimport pendulum\n" + snippet)
    assert bool(facts.wall_clock_month) is picks_month
    assert bool(facts.wall_clock_month or facts.wall_clock_other)
