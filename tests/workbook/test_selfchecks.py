"""Every exercise's self-check, driven by the workbook itself: the solution from
`notebooks/_build/solutions.py` passes it, and a wrong answer (the exercise cell as students get
it, and a wrong answer per exercise) gets a hint, never a traceback.

The checks run here with a real Workbook object that cannot run DAGs. Exercises whose solution
is a DAG run (or a pytest run of DAG tests) are listed in NEEDS_AIRFLOW_RUNS: their solutions
are checked by the notebook runs in tests/notebooks (slow), and their unsolved cells here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.notebooks import test_notebooks_a, test_notebooks_b
from tests.notebooks.harness import NOTEBOOKS, solutions, tagged
from workbook import paths, selfchecks
from workbook.deployment import shared_dry_run
from workbook.selfchecks import Result
from workbook.session import Workbook
from workbook.source_client import Source

NEEDS_AIRFLOW_RUNS = {
    "ch02_my_first_dag": "runs the student's DAG",
    "ch04_wire_pipeline": "runs the student's DAG twice",
    "ch05_backfill_range": "the answer is a backfill",
    "ch06_my_tests": "runs the student's tests, one of which runs a DAG",
    "ch07_fix_model": "runs the pipeline with the fixed dbt model",
    "ch07_read_the_log": "reads the log of a failed run",
    "ch08_my_run": "the answer is a run",
    "ch09_first_run": "the answer is a run",
    "ch09_backfill": "the answer is a backfill",
    "ch09_idempotent": "the answer is two backfills",
    "ch09_integrity_test": "runs the student's tests on broken copies of dags/",
    "ch09_find_the_failure": "reads the log of a failed run",
    "ch09_flaky_source": "the answer is a run with retries",
    "ch10_safe_retry": "the answer is a run with a retry",
    **{
        f"ch{ch}_own_pipeline": "runs the student's own pipeline"
        for ch in ["03", "04", "05", "06", "07", "08"]
    },
}
RUNBOOK_START = '## Trigger a run\n\n`wb.run("taxi_pipeline", "2024-03-01")`\n'
# exercise -> (the wrong answer, as notebook code; a part of the hint it must get)
WRONG_ANSWERS: dict[str, tuple[str, str]] = {
    "ch00_student_name": ('ex_student_name = "Ada Lovelace"', "characters a schema name"),
    "ch01_scheduling_vs_orchestration": (
        'ex_scheduling_vs_orchestration = "Scheduling is when a job starts, each day at six '
        'with cron, and orchestration is the same thing."',
        "order",
    ),
    "ch01_manual_risks": (
        'ex_manual_risks = ["someone forgets it", "someone forgets it", "a third risk here"]',
        "the same text",
    ),
    "ch01_sketch_dag": (
        'ex_edges = [("ingest", "transform"), ("transform", "test"), ("test", "notify"), '
        '("notify", "ingest")]',
        "loop",
    ),
    "ch02_vocabulary": (
        "ex_vocabulary = {d: 'task' for d in selfchecks.ch02.VOCABULARY}",
        "Look again",
    ),
    "ch03_weekday_cron": ('ex_weekday_cron = "0 6 * * *"', "weekend"),
    "ch03_second_of_month": ('ex_second_of_month = "30 7 * * 2"', "day of the month"),
    "ch03_catchup_count": ("ex_catchup_runs = 9", "is not it"),
    "ch03_interval_logical_date": ('ex_interval_logical_date = "2024-03-02"', "is not it"),
    "ch04_pick_rules": (
        "ex_rules = {job: 'all_done' for job in selfchecks.ch04.TRIGGER_RULES}",
        "Think again",
    ),
    "ch04_delete_sql": (
        'ex_delete_sql = "DELETE FROM raw_trips WHERE source_month <> ?"',
        "also deleted January",
    ),
    "ch05_month_for": (
        "def ex_month_for(logical_date, run_after, conf):\n    return f'{logical_date:%Y-%m}'",
        "your function raised",
    ),
    "ch05_which_idempotent": (
        "ex_idempotent = {load: True for load in selfchecks.ch05.IDEMPOTENT_LOADS}",
        "Think again",
    ),
    "ch06_which_layer": (
        "ex_layer = {bug: 'run' for bug in selfchecks.ch06.TEST_LAYERS}",
        "Think again",
    ),
    "ch07_retry_or_fix": (
        "ex_response = {f: 'retry' for f in selfchecks.ch07.RESPONSES}",
        "Think again",
    ),
    "ch07_runbook": (f"ex_runbook = {RUNBOOK_START!r}", "no ## section about backfill"),
    "ch08_dry_run": (
        "ex_student = 'ada_lovelace'\n"
        "ex_dry_run = shared_dry_run(wb, wb.dag_file('taxi_pipeline'), 'grace')",
        "That dry run was for 'grace'",
    ),
    "ch08_etiquette": (
        "ex_fine = {action: True for action in selfchecks.ch08.ETIQUETTE}",
        "Think again",
    ),
    "ch09_runbook": (f"ex7_runbook = {RUNBOOK_START!r}", "no ## section about backfill"),
    "ch10_spot_the_gotcha": (
        "ex_gotcha = {snippet: '1' for snippet in selfchecks.ch10.GOTCHAS}",
        "Answer with the pitfall's number",
    ),
}


@dataclass(frozen=True)
class Cells:
    notebook: str
    exercise: str
    check: str


def notebook_cells() -> dict[str, Cells]:
    found: dict[str, dict[str, str]] = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for kind in ("exercise", "check"):
                if exercise := tagged(cell, kind):
                    found.setdefault(exercise, {"notebook": path.name})[kind] = cell.source
    return {exercise: Cells(**parts) for exercise, parts in found.items()}


CELLS = notebook_cells()
SOLUTIONS = solutions()
SOLVED_HERE = sorted(set(SOLUTIONS) - set(NEEDS_AIRFLOW_RUNS))


class OfflineWorkbook(Workbook):
    """A real Workbook in temporary folders that refuses to run anything."""

    def __repr__(self) -> str:
        return f"OfflineWorkbook({self.work})"

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("this check needs a DAG run: list it in NEEDS_AIRFLOW_RUNS")

    def backfill(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("this check needs a backfill: list it in NEEDS_AIRFLOW_RUNS")

    def pytest(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("this check runs pytest: list it in NEEDS_AIRFLOW_RUNS")


@pytest.fixture
def wb(tmp_path: Path) -> OfflineWorkbook:
    for folder in ("work", "dags"):  # as setup() makes them
        (tmp_path / folder).mkdir()
    return OfflineWorkbook(
        chapter="unit",
        work=tmp_path / "work",
        student_dags=tmp_path / "dags",
        source=Source("http://127.0.0.1:9/trip-data"),
        warehouse=tmp_path / "taxi.duckdb",
        notifications_file=tmp_path / "notifications.jsonl",
        dbt_project=paths.dbt_project_dir(),
    )


def run_cell(source: str, namespace: dict[str, Any]) -> None:
    """Run a notebook cell: `%%dag` saves a DAG as the magic does; a `%%writefile` cell is
    left out (its file then does not exist, as before a student runs that cell)."""
    first, _, body = source.partition("\n")
    if first.startswith("%%dag "):
        namespace["wb"].write_dag(first.removeprefix("%%dag ").strip(), body)
    elif not first.startswith("%%"):
        exec(source, namespace)


def checked(exercise: str, answer_code: str, wb: OfflineWorkbook) -> Result:
    namespace: dict[str, Any] = {
        "wb": wb,
        "os": os,
        "selfchecks": selfchecks,
        "shared_dry_run": shared_dry_run,
        # What earlier cells of the notebook define: reports of runs, and ch08_dry_run's
        # exercise cell (unsolved) that ch08_my_run's check reads too.
        "june": None,
        "may": None,
        "ex_student": ...,
    }
    run_cell(answer_code, namespace)
    result = eval(CELLS[exercise].check, namespace)
    assert isinstance(result, Result), CELLS[exercise].check
    return result


def test_every_exercise_is_checked_here_or_by_a_notebook_run() -> None:
    assert set(SOLUTIONS) == set(selfchecks.EXERCISES) == set(CELLS)
    assert set(NEEDS_AIRFLOW_RUNS) <= set(SOLUTIONS)
    executed = set(test_notebooks_a.NOTEBOOKS) | set(test_notebooks_b.NOTEBOOKS)
    for exercise in NEEDS_AIRFLOW_RUNS:
        assert CELLS[exercise].notebook in executed, f"no notebook run checks {exercise}"
    assert set(WRONG_ANSWERS) == set(SOLVED_HERE), "every exercise solved here has a wrong answer"


@pytest.mark.parametrize("exercise", SOLVED_HERE)
def test_the_solution_passes(exercise: str, wb: OfflineWorkbook) -> None:
    result = checked(exercise, SOLUTIONS[exercise].strip(), wb)
    assert result.passed, str(result)
    assert result.message == selfchecks.EXERCISES[exercise].success


@pytest.mark.parametrize("exercise", sorted(CELLS))
def test_the_unsolved_exercise_gets_a_hint(exercise: str, wb: OfflineWorkbook) -> None:
    result = checked(exercise, CELLS[exercise].exercise, wb)
    assert not result.passed
    assert not result.message.startswith("checking your answer raised"), result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize("exercise", sorted(WRONG_ANSWERS))
def test_a_wrong_answer_gets_its_hint(exercise: str, wb: OfflineWorkbook) -> None:
    answer, hint = WRONG_ANSWERS[exercise]
    result = checked(exercise, answer, wb)
    assert not result.passed
    assert hint in result.message, result.message


def test_the_runbook_is_saved_for_the_student(wb: OfflineWorkbook) -> None:
    assert checked("ch07_runbook", SOLUTIONS["ch07_runbook"].strip(), wb).passed
    saved = (wb.work / "RUNBOOK.md").read_text()
    assert saved.startswith("# Runbook: taxi_pipeline")


def test_a_runbook_that_starts_with_a_section_is_read_too(wb: OfflineWorkbook) -> None:
    solved: dict[str, Any] = {}
    exec(SOLUTIONS["ch07_runbook"], solved)
    without_title = solved["ex_runbook"].split("# Runbook: taxi_pipeline\n", 1)[1].lstrip()
    assert without_title.startswith("## ")
    result = checked("ch07_runbook", f"ex_runbook = {without_title!r}", wb)
    assert result.passed, result.message


def test_a_prediction_is_asked_for_first_and_compared_after_the_run() -> None:
    from workbook.selfchecks.registry import EXERCISES, Hint, compared, exercise, prediction

    choices = ("the same rows", "twice the rows")
    with pytest.raises(Hint, match="Predict first: set ex_guess"):
        prediction(..., "ex_guess", choices)
    with pytest.raises(Hint, match="must be one of 'the same rows', 'twice the rows'"):
        prediction("more", "ex_guess", choices)
    assert "so it was" in compared("the same rows", "the same rows", "why")
    assert "it was 'the same rows': why" in compared("twice the rows", "the same rows", "why")

    @exercise("test_predicted", success="ran")
    def predicted(wb: object, guess: object) -> str:
        return compared(prediction(guess, "ex_guess", choices), choices[0], "each run replaces")

    try:
        wrong = selfchecks.check("test_predicted", None, "twice the rows")
        unsure = selfchecks.check("test_predicted", None, ...)
    finally:
        del EXERCISES["test_predicted"]
        selfchecks.RESULTS.pop("test_predicted", None)
    # A wrong guess still passes (the run is what is checked) and says what happened instead.
    assert wrong.passed and wrong.message == (
        "ran. You predicted 'twice the rows'; it was 'the same rows': each run replaces"
    )
    assert not unsure.passed and "Predict first" in unsure.message
