"""Execute workbook notebooks (part a; the other part runs on the other pytest worker)."""

from __future__ import annotations

import nbformat
import pytest

from tests.notebooks.harness import assert_workbook_behaviour, execute, record_timing

pytestmark = pytest.mark.slow

NOTEBOOKS = [
    "00_start_here.ipynb",
    "01_introduction_to_orchestration.ipynb",
    "03_scheduling_and_triggers.ipynb",
    "05_parameterized_runs_and_backfills.ipynb",
    "10_gotchas_and_pitfalls.ipynb",
]


@pytest.mark.parametrize("name", NOTEBOOKS, ids=lambda name: name.removesuffix(".ipynb"))
def test_notebook_runs_and_its_self_checks_hint_then_pass(
    name, tmp_path, notebook_source, airflow_template
):
    run = execute(name, tmp_path, notebook_source, airflow_template)
    assert_workbook_behaviour(run)
    record_timing(name, run.seconds)


DEPRECATED_IN_A_CELL = """
import warnings

from airflow.exceptions import RemovedInAirflow4Warning

warnings.warn("an Airflow 2 idiom", RemovedInAirflow4Warning, stacklevel=1)
"""
DEPRECATED_IN_A_DAG_FILE = '''
OLD = """
import pendulum
from airflow.operators.bash import BashOperator  # Airflow 2 path: deprecated in Airflow 3
from airflow.sdk import dag

@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def old_import():
    BashOperator(task_id="hello", bash_command="echo hello")

old_import()
"""
wb.write_dag("old_import", OLD)
wb.run("old_import", None)
'''


@pytest.mark.parametrize(
    "cell",
    [DEPRECATED_IN_A_CELL, DEPRECATED_IN_A_DAG_FILE],
    ids=["warning-in-a-cell", "deprecated-import-in-a-dag-file"],
)
def test_a_deprecation_warning_fails_the_notebook_run(
    cell, tmp_path, notebook_source, airflow_template
):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_code_cell('from workbook.session import setup\n\nwb = setup("99")'),
        nbformat.v4.new_code_cell(cell),
    ]
    path = tmp_path / "deprecated.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match="Warning"):
        execute(str(path), tmp_path, notebook_source, airflow_template)
