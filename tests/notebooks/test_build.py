"""The committed notebooks are exactly what the build script makes, and follow the workbook's
rules: no outputs, setup first, prose before code, every exercise checkable and solved."""

from __future__ import annotations

import importlib.util
import re
import sys

import nbformat
import pytest

from tests.conftest import REPO
from tests.notebooks.harness import NOTEBOOKS, solutions, tagged

BUILD = NOTEBOOKS / "_build"
CHAPTERS = [
    "00_start_here.ipynb",
    "01_introduction_to_orchestration.ipynb",
    "02_airflow_fundamentals.ipynb",
    "03_scheduling_and_triggers.ipynb",
    "04_sequential_pipeline_steps.ipynb",
    "05_parameterized_runs_and_backfills.ipynb",
    "06_testing_dags.ipynb",
    "07_monitoring_and_debugging.ipynb",
    "08_deploying_to_shared_airflow.ipynb",
    "09_practice.ipynb",
    "10_gotchas_and_pitfalls.ipynb",
]
OURS = [*CHAPTERS, "glossary.ipynb"]
SETUP = re.compile(r'^from workbook\.session import setup\n\nwb = setup\("\d\d"\)')
MAX_CODE_LINES = 22  # short cells; a whole DAG or test file (%%dag, %%writefile) may be longer
MAX_FILE_CELL_LINES = 50


def build_module():
    spec = importlib.util.spec_from_file_location("build_notebooks", BUILD / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_every_chapter_has_its_notebook_and_nothing_else_is_ours() -> None:
    present = {p.name for p in NOTEBOOKS.glob("*.ipynb")} - {"11_quiz.ipynb"}
    assert present == set(OURS)


@pytest.mark.parametrize("name", OURS, ids=lambda n: n.removesuffix(".ipynb"))
def test_notebook_is_valid_python3_and_has_no_outputs(name: str) -> None:
    nb = read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs"


@pytest.mark.parametrize("name", CHAPTERS, ids=lambda n: n.removesuffix(".ipynb"))
def test_chapter_reads_top_to_bottom(name: str) -> None:
    nb = read(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert SETUP.match(code[0].source), f"{name}: the first code cell must be the set-up"
    assert nb.cells[0].cell_type == "markdown", f"{name}: start with prose"
    for before, cell in zip(nb.cells, nb.cells[1:], strict=False):
        if cell.cell_type != "code" or tagged(cell, "check"):
            continue
        assert before.cell_type == "markdown" or tagged(before, "check"), (
            f"{name}: code cell without prose before it:\n{cell.source[:200]}"
        )
        limit = MAX_FILE_CELL_LINES if cell.source.startswith("%%") else MAX_CODE_LINES
        lines = len(cell.source.splitlines())
        assert lines <= limit, f"{name}: a {lines}-line cell:\n{cell.source[:200]}"


@pytest.mark.parametrize("name", CHAPTERS[1:], ids=lambda n: n.removesuffix(".ipynb"))
def test_chapter_has_objectives_exercises_and_a_knowledge_check(name: str) -> None:
    text = "\n".join(c.source for c in read(name).cells if c.cell_type == "markdown")
    if name != "09_practice.ipynb":  # the practice notebook is all exercises
        assert "**After this chapter you can**" in text, f"{name}: no learning objectives"
    if name not in ("09_practice.ipynb", "10_gotchas_and_pitfalls.ipynb"):
        assert "## Knowledge check" in text, f"{name}: no knowledge check"
        assert text.count("<details>") >= 3, f"{name}: knowledge-check answers hidden by a click"
    assert any(tagged(c, "exercise") for c in read(name).cells), f"{name}: no exercise"


def test_every_exercise_has_one_check_a_solution_and_a_registered_self_check() -> None:
    from workbook import selfchecks

    exercises, checks = [], []
    for name in OURS:
        for cell in read(name).cells:
            if exercise := tagged(cell, "exercise"):
                exercises.append(exercise)
            if check := tagged(cell, "check"):
                checks.append(check)
                assert f'wb.check("{check}"' in cell.source, f"{check}: the check cell checks it"
    assert len(exercises) == len(set(exercises)), "exercise ids must be unique"
    assert sorted(exercises) == sorted(checks), "each exercise has exactly one check cell"
    assert set(exercises) == set(solutions()), "solutions.py must cover exactly the exercises"
    assert set(exercises) == set(selfchecks.EXERCISES), "selfchecks registers exactly these"


@pytest.mark.parametrize("name", OURS, ids=lambda n: n.removesuffix(".ipynb"))
def test_links_between_notebooks_resolve(name: str) -> None:
    text = "\n".join(c.source for c in read(name).cells if c.cell_type == "markdown")
    for target in re.findall(r"\]\(([\w.]+\.ipynb)\)", text):
        assert (NOTEBOOKS / target).exists(), f"{name} links to missing {target}"


def test_scratch_folder_is_ignored_by_git() -> None:
    ignore = (NOTEBOOKS / "work" / ".gitignore").read_text().split()
    assert ignore == ["*", "!.gitignore"]


def test_build_reports_an_unclosed_code_fence_with_file_and_line(tmp_path) -> None:
    build = build_module()
    source = tmp_path / "99_broken.md"
    source.write_text("# Title\n\n```python\nprint('never closed')\n")
    with pytest.raises(build.BuildError, match=r"99_broken\.md:3: the ```python fence"):
        build.parse_source(source)


def test_option_lines_become_cell_tags(tmp_path) -> None:
    build = build_module()
    source = tmp_path / "98_tags.md"
    source.write_text("Prose.\n\n```python\n#| exercise: demo_id\nx = ...\n```\n")
    cells = build.parse_source(source)
    assert [(c.kind, c.source, c.tags) for c in cells] == [
        ("markdown", "Prose.", ()),
        ("code", "x = ...", ("exercise:demo_id",)),
    ]


def test_sources_live_where_the_readme_says() -> None:
    assert (REPO / "notebooks" / "_build" / "src").is_dir()


@pytest.mark.parametrize("name", OURS, ids=lambda n: n.removesuffix(".ipynb"))
def test_jupyter_server_opens_the_notebook_without_complaint(name: str) -> None:
    # JupyterLab asks jupyter_server's contents manager for the file; a validation problem
    # would come back as a message (and a warning dialog in the browser).
    from jupyter_server.services.contents.filemanager import FileContentsManager

    model = FileContentsManager(root_dir=str(NOTEBOOKS)).get(name)
    assert model["type"] == "notebook"
    assert not model.get("message"), model.get("message")
    assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"
