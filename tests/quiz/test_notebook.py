"""The students' quiz notebook runs top to bottom on a fresh kernel and shows the widget."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tests.quiz.paths import REPO

NOTEBOOK = REPO / "notebooks" / "11_quiz.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_notebook_has_no_committed_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert len(code) == 1, "one cell renders the quiz"
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_executes_headless(tmp_path: Path) -> None:
    copy = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    notebook = nbformat.read(copy, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    [cell] = [c for c in notebook.cells if c.cell_type == "code"]
    assert not [o for o in cell.outputs if o.output_type == "error"]
    assert any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs), cell.outputs
    assert not (tmp_path / "quiz_responses").exists(), "nothing is saved before a student starts"
