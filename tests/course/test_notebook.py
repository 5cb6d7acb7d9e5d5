"""The assignment notebook: its structure, its generated check cells, and repairs of broken
submissions."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from course.assignment_notebook import (
    check_points,
    grade_id,
    inspect_submitted,
    is_check_cell,
    nbgrader_meta,
    repaired,
    sync_check_cells,
)
from course.autograder_results import CheckInfo
from course.errors import CourseError
from tests.conftest import REPO

SOURCE_NB = REPO / "assignment" / "source" / "taxi_pipeline" / "taxi_pipeline.ipynb"
CHECKS = [
    CheckInfo("integrity_imports", 10, "minimum", hidden=False, title="The DAG file imports."),
    CheckInfo("behaviour_faults", 5, "stretch", hidden=True, title="secret title"),
]


@pytest.fixture(scope="module")
def source() -> nbformat.NotebookNode:
    return nbformat.read(str(SOURCE_NB), as_version=4)


def test_the_source_notebook_is_valid_and_committed_without_outputs(source) -> None:
    nbformat.validate(source)
    for cell in source.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id


def test_every_graded_code_cell_opens_with_a_one_line_docstring(source) -> None:
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("grade"):
            first = cell.source.splitlines()[0]
            assert first.startswith('"""') and first.endswith('"""'), grade_id(cell)


def test_no_student_code_runs_before_the_check_cells(source) -> None:
    """Check cells run first, on a fresh kernel: nothing a student wrote can patch them."""
    last_check = max(i for i, c in enumerate(source.cells) if is_check_cell(c))
    for cell in source.cells[:last_check]:
        if cell.cell_type == "code":
            assert is_check_cell(cell), f"cell {cell.id} runs before a check cell"


def test_code_cells_students_cannot_change_are_locked(source) -> None:
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta and not meta.get("solution"):
            assert meta.get("locked"), f"cell {cell.id} has nbgrader metadata but is not locked"


def test_the_notebook_says_fill_in_never_todo(source) -> None:
    text = json.dumps([c.source for c in source.cells])
    assert "TODO" not in text


def test_check_cells_are_generated_per_tier_one_per_check_plus_the_tier() -> None:
    nb = nbformat.read(str(SOURCE_NB), as_version=4)
    synced = sync_check_cells(nb, CHECKS)
    assert check_points(synced) == {"integrity_imports": 10.0, "hidden_check_01": 5.0}
    generated = [c for c in synced.cells if is_check_cell(c)]
    assert [grade_id(c) or c.id for c in generated] == [
        "checks_setup",
        "checks-minimum",
        "integrity_imports",
        "checks-stretch",
        "hidden_check_01",
        "tier_reached",
    ]
    cells = {grade_id(c): c for c in generated if grade_id(c)}
    assert cells["integrity_imports"].source == (
        '"""The DAG file imports."""\ncheck("integrity_imports", points=10)'
    )
    hidden = cells["hidden_check_01"].source
    assert hidden == '"""A hidden check."""\ncheck("hidden_check_01", points=5)'
    assert "secret title" not in hidden and "behaviour_faults" not in hidden
    assert all(nbgrader_meta(c)["locked"] for c in cells.values())
    # Running it again changes nothing.
    assert sync_check_cells(synced, CHECKS).cells == synced.cells


def test_the_notebook_has_one_cell_per_autograder_check(source) -> None:
    """If this fails, the autograder's checks changed: run `course sync-checks`."""
    from course.autograder_link import registry
    from course.autograder_results import with_cell_ids

    checks = registry()
    cells = with_cell_ids(checks)
    assert check_points(source) == {cells[c.id]: c.points for c in checks}


def test_sync_needs_the_anchor_cell() -> None:
    nb = nbformat.v4.new_notebook()
    with pytest.raises(CourseError, match="how-you-are-graded"):
        sync_check_cells(nb, CHECKS)


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is an empty file"),
        ('{"cells": [', "is not valid JSON (line 1, column 12"),
        (b"\xff\xfe\x00garbage", "is not valid JSON"),
        ('{"cells": 3}', "is JSON but not a valid notebook"),
        (nbformat.writes(nbformat.v4.new_notebook()), "has no cells"),
    ],
    ids=["empty-file", "truncated-json", "binary", "not-a-notebook", "no-cells"],
)
def test_unreadable_notebooks_are_named_with_the_reason(
    tmp_path: Path, source, content, problem
) -> None:
    state = inspect_submitted(_write(tmp_path / "taxi_pipeline.ipynb", content), source)
    assert state.problem and problem in state.problem


def test_a_missing_notebook_is_reported(tmp_path: Path, source) -> None:
    state = inspect_submitted(tmp_path / "taxi_pipeline.ipynb", source)
    assert state.problem == "taxi_pipeline.ipynb is missing from the submission"


def test_deleted_graded_cells_are_named(tmp_path: Path, source) -> None:
    nb = nbformat.read(str(SOURCE_NB), as_version=4)
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_month_for_run"]
    state = inspect_submitted(_write(tmp_path / "t.ipynb", nbformat.writes(nb)), source)
    assert state.problem == "t.ipynb lost 1 graded cell(s): test_month_for_run"


def test_an_intact_notebook_needs_no_repair(tmp_path: Path, source) -> None:
    state = inspect_submitted(_write(tmp_path / "t.ipynb", SOURCE_NB.read_text()), source)
    assert state.problem is None


def test_a_repair_keeps_the_students_answers(source) -> None:
    student = nbformat.read(str(SOURCE_NB), as_version=4)
    for cell in student.cells:
        if grade_id(cell) == "runbook_wrong_schema":
            cell.source = "AIRFLOW_STUDENT was not set on the VM."
    student.cells = [c for c in student.cells if not is_check_cell(c)]  # the damage
    fixed = repaired(source, student)
    answers = {grade_id(c): c.source for c in fixed.cells}
    assert answers["runbook_wrong_schema"] == "AIRFLOW_STUDENT was not set on the VM."
    assert [grade_id(c) for c in fixed.cells] == [grade_id(c) for c in source.cells]
