"""The taxi months a session's sandboxes serve, made once on the grader's side.

Each sandbox's supervisor serves the taxi source inside the sandbox. Made there, the first file
cost every submission ~1 s (importing pyarrow and pandas in a fresh process) while its first
run waited. The files are the same for every submission of a session, so the session makes the
ones its scenarios ask for once and hands them to each supervisor with its set-up. A month a
DAG asks for beyond those is still made inside, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from autograder.scenarios import Scenario

Key = tuple[str, int]  # (month, broken rows)


def months_served(scenarios: Iterable[Scenario], latest_month: str) -> set[Key]:
    """The files a correct DAG downloads in these scenarios: each step's month, with the broken
    rows its faults inject; not the months the source refuses (unpublished, permanent fault)."""
    wanted: set[Key] = set()
    for scenario in scenarios:
        for step in scenario.steps:
            if step.month is None or step.month > latest_month:
                continue
            faults = step.faults.get(step.month, {})
            if faults.get("permanent"):
                continue
            wanted.add((step.month, int(faults.get("broken_rows", 0))))
    return wanted


class SourceFiles:
    """The files made so far in this session, shared by its grading threads."""

    def __init__(self, latest_month: str) -> None:
        self.latest_month = latest_month
        self._made: dict[Key, bytes] = {}
        self._lock = threading.Lock()

    def for_scenarios(self, scenarios: Iterable[Scenario]) -> dict[Key, bytes]:
        from taxi_source.generator import month_parquet_bytes

        wanted = months_served(scenarios, self.latest_month)
        with self._lock:  # one thread makes a file; the others wait for it
            for month, broken in sorted(wanted - set(self._made)):
                year, mon = (int(part) for part in month.split("-"))
                self._made[(month, broken)] = month_parquet_bytes(year, mon, broken_rows=broken)
            return {key: self._made[key] for key in wanted}
