"""No cascades: a DAG whose id is not the contract's is still graded on everything else, and a
check fails because of another only when it cannot run, naming the check to fix first."""

from __future__ import annotations

import re

import pytest

from autograder.checks import Context, dependents_of, run_checks
from autograder.checks import needs as need
from autograder.results import CheckResult
from autograder.scenarios import STEP_IDS
from autograder.submission import is_contract_dag_id
from tests.autograder.helpers import REFERENCE_SNAPSHOT, context, snapshot_with

# With no runs recorded, these fail for every submission; the rest is what a DAG's id changes.
RUN_CHECKS = dependents_of(*need.steps(STEP_IDS))
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _named(dag_id: str) -> dict:
    return {**snapshot_with(dag_id=dag_id), "dags_by_file": {"taxi_pipeline.py": [dag_id]}}


def _failed(ctx: Context) -> dict[str, CheckResult]:
    return {r.check_id: r for r in run_checks(ctx) if not r.passed}


@pytest.mark.parametrize(
    "dag_id, contract",
    [
        ("taxi_pipeline", True),
        ("ada_taxi_pipeline", True),
        ("lee_ann_taxi_pipeline", True),
        ("grader_taxi_pipeline", True),
        ("my_pipeline", False),
        ("taxi_pipeline_v2", False),
        ("Ada_taxi_pipeline", False),
        ("_taxi_pipeline", False),
        ("9ada_taxi_pipeline", False),
    ],
)
def test_the_contract_id_has_two_forms(dag_id: str, contract: bool) -> None:
    assert is_contract_dag_id(dag_id) is contract


def test_a_prefixed_dag_id_is_graded_like_the_plain_one(tmp_path) -> None:
    failed = _failed(context(tmp_path, snapshot=_named("ada_taxi_pipeline")))
    assert set(failed) == RUN_CHECKS


def test_an_unrelated_dag_id_costs_only_the_id_check(tmp_path) -> None:
    failed = _failed(context(tmp_path, snapshot=_named("my_pipeline")))
    assert set(failed) == RUN_CHECKS | {"integrity_single_dag"}
    message = failed["integrity_single_dag"].message
    assert "'my_pipeline'" in message and "'taxi_pipeline'" in message
    assert not any(r.blocked_by for r in failed.values())


@pytest.mark.parametrize(
    "snapshot, blocker",
    [
        (
            {**REFERENCE_SNAPSHOT, "dag": None, "import_errors": {"taxi_pipeline.py": "NameError"}},
            "integrity_imports",
        ),
        ({**REFERENCE_SNAPSHOT, "dag": None, "fatal": "SystemExit: 3"}, "integrity_imports"),
        (
            {
                **REFERENCE_SNAPSHOT,
                "dag": None,
                "import_errors": {"taxi_pipeline.py": "AirflowDagCycleException: Cycle detected"},
            },
            "integrity_no_cycles",
        ),
        ({**REFERENCE_SNAPSHOT, "dag": None, "dags_by_file": {}}, "integrity_single_dag"),
        (
            {**REFERENCE_SNAPSHOT, "dag": None, "dags_by_file": {"taxi_pipeline.py": ["a", "b"]}},
            "integrity_single_dag",
        ),
    ],
    ids=["import_error", "sys_exit", "cycle", "no_dag", "two_unnamed_dags"],
)
def test_checks_that_cannot_run_name_the_check_to_fix_first(tmp_path, snapshot, blocker) -> None:
    failed = _failed(context(tmp_path, snapshot=snapshot))
    assert blocker in failed and failed[blocker].blocked_by == ""
    blocked = {c for c, r in failed.items() if r.blocked_by}
    assert blocked == dependents_of(need.DAG) - {blocker}
    for check_id in blocked:
        assert failed[check_id].blocked_by == blocker
        assert f"fix {blocker} first" in failed[check_id].message


def test_with_a_dag_no_check_is_blocked(tmp_path) -> None:
    results = run_checks(context(tmp_path))
    assert not [r.check_id for r in results if r.blocked_by]


def test_terminal_codes_never_reach_a_result(tmp_path) -> None:
    fatal = '\x1b[31mSystemExit: 3\x1b[0m\r\n  File \x1b[1m"x.py"\x1b[0m\x07\nSystemExit: 3'
    snapshot = {**REFERENCE_SNAPSHOT, "dag": None, "fatal": fatal}
    imports = _failed(context(tmp_path, snapshot=snapshot))["integrity_imports"]
    assert "SystemExit: 3" in imports.message and "SystemExit: 3" in imports.output
    assert not CONTROL.search(imports.message + imports.output)


def test_a_syntax_error_sends_the_static_checks_to_the_import_check(tmp_path) -> None:
    snapshot = {**REFERENCE_SNAPSHOT, "dag": None, "import_errors": {"taxi_pipeline.py": "E"}}
    ctx = context(tmp_path, dag_source="def broken(:\n", snapshot=snapshot)
    failed = _failed(ctx)
    for check_id in ("integrity_light_import", "integrity_no_wall_clock"):
        assert "fix integrity_imports first" in failed[check_id].message
