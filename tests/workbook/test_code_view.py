"""Showing code: marked sections, matching lines and diffs, with paths as students read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook import code_view
from workbook.errors import WorkbookError
from workbook.paths import REPO_ROOT

DAG = """import pendulum


def helper():
    # [START body]
    if True:
        return 1
    # [END body]
"""


@pytest.fixture
def dag_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_dag.py"
    path.write_text(DAG)
    return path


def test_a_section_is_cut_out_and_dedented(dag_file: Path) -> None:
    assert code_view.section_of(DAG, "body", dag_file) == "if True:\n    return 1"
    shown = code_view.show(dag_file, "body")
    assert shown.endswith("```python\nif True:\n    return 1\n```")
    assert "section `body`" in shown


def test_a_missing_section_names_the_file_and_the_marker(dag_file: Path) -> None:
    with pytest.raises(WorkbookError, match=r"my_dag\.py has no '# \[START nope\]'"):
        code_view.show(dag_file, "nope")


def test_paths_inside_the_repository_are_shown_relative_to_it() -> None:
    shown = code_view.show(REPO_ROOT / "dags" / "hello_pipeline.py")
    assert shown.startswith("`dags/hello_pipeline.py`")


def test_grep_gives_line_numbers_or_says_nothing_matched(dag_file: Path) -> None:
    assert code_view.grep(dag_file, r"return \d").endswith("my_dag.py:7: return 1")
    assert "matches 'nothing'" in code_view.grep(dag_file, "nothing")


def test_diff_shows_what_changed(dag_file: Path, tmp_path: Path) -> None:
    after = tmp_path / "after.py"
    after.write_text(DAG.replace("return 1", "return 2"))
    text = code_view.diff(dag_file, after)
    assert "-        return 1" in text and "+        return 2" in text
    assert text.startswith("```diff")
