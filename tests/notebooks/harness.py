"""Execute a workbook notebook the way a student would, then again with every exercise solved.

One kernel per notebook. The notebook runs top to bottom exactly as committed (every self-check
must answer with a hint, since nothing is solved yet). Then, in the same kernel, each exercise's
solution from `notebooks/_build/solutions.py` runs, followed by that exercise's self-check cell
(every one must pass). A last cell reports Airflow deprecation warnings seen in any DAG run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from taxi_source.server import RunningSource
from tests.conftest import REPO
from workbook.deprecations import DEPRECATION_NAMES

NOTEBOOKS = REPO / "notebooks"
SOLUTIONS_FILE = NOTEBOOKS / "_build" / "solutions.py"
CELL_TIMEOUT = 240  # seconds; the slowest cell (the 7-run backfill twice) takes ~20 s
SCAN_CELL = (
    "from workbook.deprecations import deprecation_report\n\nprint(deprecation_report(wb.reports))"
)


def solutions() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("workbook_solutions", SOLUTIONS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SOLUTIONS


def tagged(cell: nbformat.NotebookNode, kind: str) -> str | None:
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.startswith(f"{kind}:"):
            return tag.split(":", 1)[1]
    return None


def output_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(str(output.get("data", {}).get("text/plain", "")))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}\n" + "\n".join(output.traceback))
    return "\n".join(parts)


def kernel_env(tmp: Path, source: RunningSource, template: Path | None) -> dict[str, str]:
    """The student's environment, with every writable place moved into `tmp`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "TAXI_", "WORKBOOK_", "DBT_", "PYTEST"))
    }
    home = tmp / "airflow"
    if template is not None:
        shutil.copytree(template, home)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        TAXI_SOURCE_URL=source.base_url,
        TAXI_WAREHOUSE=str(tmp / "taxi.duckdb"),
        TAXI_NOTIFICATIONS=str(tmp / "notifications.jsonl"),
        WORKBOOK_WORK_DIR=str(tmp / "work"),
        WORKBOOK_STRICT_WARNINGS="1",
        MPLBACKEND="Agg",
    )
    return env


@dataclass
class Executed:
    name: str
    nb: nbformat.NotebookNode
    student_cells: int  # the notebook as committed; solution cells come after
    seconds: float

    def student_checks(self) -> dict[str, str]:
        return {
            tagged(cell, "check"): output_text(cell)
            for cell in self.nb.cells[: self.student_cells]
            if tagged(cell, "check")
        }

    def solved_checks(self) -> dict[str, str]:
        return {
            tagged(cell, "solution-check"): output_text(cell)
            for cell in self.nb.cells[self.student_cells :]
            if tagged(cell, "solution-check")
        }

    def all_output(self) -> str:
        return "\n".join(output_text(cell) for cell in self.nb.cells)


def with_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Append, for each exercise in order, its solution and then its self-check cell(s)."""
    known = solutions()
    extra = []
    for cell in list(nb.cells):
        exercise = tagged(cell, "exercise")
        if not exercise:
            continue
        if exercise not in known:
            raise AssertionError(f"exercise {exercise!r} has no entry in {SOLUTIONS_FILE.name}")
        solution = nbformat.v4.new_code_cell(known[exercise].strip())
        solution.metadata["tags"] = [f"solution:{exercise}"]
        extra.append(solution)
        for check in nb.cells:
            if tagged(check, "check") == exercise:
                again = nbformat.v4.new_code_cell(check.source)
                again.metadata["tags"] = [f"solution-check:{exercise}"]
                extra.append(again)
    nb.cells += extra + [nbformat.v4.new_code_cell(SCAN_CELL)]
    return nb


def execute(name: str, tmp: Path, source: RunningSource, template: Path | None = None) -> Executed:
    """Run a notebook of the workbook (a name in notebooks/, or any path) and its solutions."""
    path = Path(name) if Path(name).is_absolute() else NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    student_cells = len(nb.cells)
    nb = with_solutions(nb)
    for index, cell in enumerate(nb.cells):
        cell.id = f"run-{index:03d}"
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    started = time.perf_counter()
    try:
        client.execute(env=kernel_env(tmp, source, template))
    except CellExecutionError as err:
        raise AssertionError(f"{name}: a cell raised an error\n{err}") from None
    return Executed(name, nb, student_cells, time.perf_counter() - started)


def assert_workbook_behaviour(run: Executed) -> None:
    """The checks every executed notebook must pass (see the module docstring)."""
    unsolved = run.student_checks()
    for exercise, text in unsolved.items():
        assert "❌" in text and "Traceback" not in text, (
            f"{run.name}: the self-check of {exercise} should give a hint before the exercise "
            f"is solved, but printed:\n{text}"
        )
    solved = run.solved_checks()
    assert set(solved) == set(unsolved), f"{run.name}: exercises without a re-run check"
    for exercise, text in solved.items():
        assert "✅" in text, f"{run.name}: with the solution, {exercise} still says:\n{text}"
    output = run.all_output()
    seen = [name for name in DEPRECATION_NAMES if name in output]
    assert not seen, f"{run.name}: Airflow deprecation warnings in the output: {seen}"
    assert "deprecations: none" in output_text(run.nb.cells[-1]), output_text(run.nb.cells[-1])


def record_timing(name: str, seconds: float) -> None:
    """Append how long a notebook took to the file named by WORKBOOK_TIMINGS, if any.

    Timings are reported, never asserted (see docs/workbook.md for measured numbers).
    """
    if target := os.environ.get("WORKBOOK_TIMINGS"):
        with open(target, "a", encoding="utf-8") as out:
            out.write(f"{name}\t{seconds:.1f}\n")
