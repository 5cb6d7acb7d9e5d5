"""Integrity checks on real source files and a recorded DAG snapshot, without a sandbox.

Some of these are the tests that trip checks no corpus fixture trips (`corpus.UNIT_TESTED`).
"""

from __future__ import annotations

import pytest

from tests.autograder.helpers import (
    context,
    run_check,
    snapshot_with,
    with_dag,
)


def test_single_dag_rejects_a_second_dag(tmp_path) -> None:
    snapshot = {
        **snapshot_with(),
        "dags_by_file": {"taxi_pipeline.py": ["taxi_pipeline", "taxi_pipeline_debug"]},
    }
    outcome = run_check("integrity_single_dag", context(tmp_path, snapshot=snapshot))
    assert outcome.fraction == 0
    assert "2 DAGs" in outcome.message


def test_single_dag_names_a_wrong_dag_id(tmp_path) -> None:
    snapshot = {**snapshot_with(), "dags_by_file": {"taxi_pipeline.py": ["my_taxis"]}, "dag": None}
    outcome = run_check("integrity_single_dag", context(tmp_path, snapshot=snapshot))
    assert outcome.fraction == 0 and "my_taxis" in outcome.message


@pytest.mark.parametrize(
    "schedule, expression, passes",
    [("@monthly", None, True), ("0 0 1 * *", "0 0 1 * *", True), ("@daily", None, False)],
)
def test_schedule_must_be_monthly(tmp_path, schedule, expression, passes) -> None:
    snapshot = snapshot_with(schedule=schedule, timetable_expression=expression)
    outcome = run_check("integrity_schedule_monthly", context(tmp_path, snapshot=snapshot))
    assert (outcome.fraction == 1) is passes


@pytest.mark.parametrize(
    "source_edit, max_active_runs, expected",
    [
        (None, 1, 1.0),
        (("    catchup=False,\n", ""), 1, 0.5),
        (("    catchup=False,\n", "    catchup=True,\n"), 1, 0.5),
        (None, 3, 0.5),
    ],
    ids=["reference", "catchup-implicit", "catchup-true", "three-active-runs"],
)
def test_catchup_must_be_explicit(tmp_path, source_edit, max_active_runs, expected) -> None:
    source = with_dag(*source_edit) if source_edit else None
    ctx = context(tmp_path, source, snapshot=snapshot_with(max_active_runs=max_active_runs))
    assert run_check("integrity_catchup_and_concurrency", ctx).fraction == expected


@pytest.mark.parametrize(
    "old, new",
    [
        (
            "\ntaxi_pipeline()\n",
            "\ntaxi_pipeline()\n\n\ndef later():\n    raise NotImplementedError\n",
        ),
        (
            '        """Rebuild stg_trips',
            '        # fill in: call dbt\n        """Rebuild stg_trips',
        ),
        ('        _dbt("test")\n', "        pass\n"),
    ],
    ids=["not-implemented", "fill-in-comment", "empty-task"],
)
def test_stubs_are_found(tmp_path, old, new) -> None:
    outcome = run_check("integrity_no_stubs", context(tmp_path, with_dag(old, new)))
    assert outcome.fraction == 0
    assert "dags/taxi_pipeline.py:" in outcome.message


def test_light_import_fails_on_output_and_parse_time(tmp_path) -> None:
    ctx = context(tmp_path)
    loud = type(ctx)(**{**ctx.__dict__, "import_output_bytes": 20 << 20})
    assert run_check("integrity_light_import", loud).fraction == 0
    slow = context(
        tmp_path / "slow", snapshot={**snapshot_with(), "parse_seconds": {"taxi_pipeline.py": 9.0}}
    )
    assert run_check("integrity_light_import", slow).fraction == 0


def test_naive_start_date_fails_even_though_airflow_adds_utc(tmp_path) -> None:
    source = with_dag(
        'start_date=pendulum.datetime(2024, 1, 1, tz="UTC")', "start_date=datetime(2024, 1, 1)"
    )
    outcome = run_check("integrity_start_date", context(tmp_path, source))
    assert 0 < outcome.fraction < 1 and "no timezone" in outcome.message


def test_task_order_and_required_tasks_report_what_is_wrong(tmp_path) -> None:
    tasks = snapshot_with()["dag"]["tasks"]
    swapped = [dict(t) for t in tasks]
    swapped[1]["upstream"], swapped[2]["upstream"] = ["ingest_taxi_month", "dbt_test"], []
    ctx = context(tmp_path, snapshot=snapshot_with(tasks=swapped))
    outcome = run_check("integrity_task_order", ctx)
    assert outcome.fraction < 1 and "dbt_test does not wait for dbt_run" in outcome.message
    renamed = [dict(t, task_id="run_dbt") if t["task_id"] == "dbt_run" else t for t in tasks]
    ctx = context(tmp_path / "renamed", snapshot=snapshot_with(tasks=renamed))
    assert run_check("integrity_required_tasks", ctx).fraction == pytest.approx(2 / 3)


def test_retries_need_a_count_and_a_delay(tmp_path) -> None:
    tasks = [dict(t, retries=2, retry_delay_seconds=0.0) for t in snapshot_with()["dag"]["tasks"]]
    outcome = run_check("integrity_retries", context(tmp_path, snapshot=snapshot_with(tasks=tasks)))
    assert outcome.fraction == 0 and "retry_delay=0 s" in outcome.message


@pytest.mark.parametrize(
    "error, named",
    [
        ("ModuleNotFoundError: No module named 'polars'", "polars"),
        (
            "ModuleNotFoundError: No module named 'great_expectations.core'",
            "great_expectations.core",
        ),
        ("ModuleNotFoundError: No module named 'airflow.operators.bash'", None),  # Airflow 2 path
        ("ModuleNotFoundError: No module named 'pandas.io.nothing'", None),  # a wrong name
        ("NameError: name 'x' is not defined", None),
    ],
)
def test_a_package_the_grader_lacks_is_named_as_the_graders_limit(tmp_path, error, named) -> None:
    snapshot = {**snapshot_with(), "dag": None, "import_errors": {"taxi_pipeline.py": error}}
    outcome = run_check("integrity_imports", context(tmp_path, snapshot=snapshot))
    assert outcome.fraction == 0
    said = f"not available in the grading environment: {named}"
    assert (said in outcome.message) == (named is not None), outcome.message


def test_the_contract_lists_exactly_what_the_grading_environment_can_import() -> None:
    import importlib.util
    import re

    from autograder.checks.integrity import GRADING_MODULES
    from tests.conftest import REPO

    contract = (REPO / "assignment" / "CONTRACT.md").read_text()
    section = contract[contract.index("What your DAG can import") :].split("\n\n")[0]
    named = set(re.findall(r"`([a-z0-9_.]+)`", section))
    providers = set(re.findall(r"`(standard|postgres|celery)`", section))
    listed = {m for m in GRADING_MODULES if not m.startswith("airflow.providers.")}
    assert listed <= named, listed - named
    assert {m.rsplit(".", 1)[-1] for m in GRADING_MODULES if "providers" in m} == providers
    for module in GRADING_MODULES:
        assert importlib.util.find_spec(module) is not None, f"{module} is not installed"
