"""The reference submission passes every check that reads no DAG run (fast, no sandbox)."""

from __future__ import annotations

from autograder.checks import all_checks
from tests.autograder.helpers import context, run_check


def test_the_reference_passes_every_static_check(tmp_path) -> None:
    ctx = context(tmp_path)
    static = [c.id for c in all_checks().values() if not c.steps]
    assert {c.split("_", 1)[0] for c in static} == {"integrity", "airflow3", "docs"}
    failed = {c: run_check(c, ctx).message for c in static if run_check(c, ctx).fraction < 1}
    assert failed == {}
