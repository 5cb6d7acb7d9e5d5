"""Execute workbook notebooks (part b; the other part runs on the other pytest worker)."""

from __future__ import annotations

import pytest

from tests.notebooks.harness import assert_workbook_behaviour, execute, record_timing

pytestmark = pytest.mark.slow

NOTEBOOKS = [
    "02_airflow_fundamentals.ipynb",
    "04_sequential_pipeline_steps.ipynb",
    "06_testing_dags.ipynb",
    "07_monitoring_and_debugging.ipynb",
    "08_deploying_to_shared_airflow.ipynb",
    "09_practice.ipynb",
]


@pytest.mark.parametrize("name", NOTEBOOKS, ids=lambda name: name.removesuffix(".ipynb"))
def test_notebook_runs_and_its_self_checks_hint_then_pass(
    name, tmp_path, notebook_source, airflow_template
):
    run = execute(name, tmp_path, notebook_source, airflow_template)
    assert_workbook_behaviour(run)
    record_timing(name, run.seconds)
