"""The tree shows the architecture: every top-level folder is in the README's "What is where",
every module of the product is small, and no package imports itself in a circle."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.imports import REPO, find_cycles, import_graph, modules

# The product's packages: what runs for students, teachers and the grader.
PACKAGES = (
    "workbook",
    "quiz",
    "taxi_source",
    "airflow_env",
    "course",
    "autograder",
    "class_airflow",
    "tools",
)
MAX_LINES = 500
ROW = re.compile(r"^\| `([^`]+)/` \|", re.M)


def _readme_rows() -> set[str]:
    text = (REPO / "README.md").read_text()
    table = text.split("## What is where", 1)[1].split("\n## ", 1)[0]
    return set(ROW.findall(table))


def _top_level_folders() -> set[str]:
    """Tracked top-level folders (hidden ones only where users meet them: CI workflows)."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    folders = {path.split("/")[0] for path in tracked if "/" in path}
    shown = {f for f in folders if not f.startswith(".")}
    if any(path.startswith(".github/workflows/") for path in tracked):
        shown.add(".github/workflows")
    return shown


def test_the_readme_names_every_top_level_folder_and_nothing_else() -> None:
    rows = _readme_rows()
    named = {row if row.startswith(".") else row.split("/")[0] for row in rows}
    missing = _top_level_folders() - named
    assert missing == set(), f"add to README's 'What is where': {sorted(missing)}"
    gone = {row for row in rows if not (REPO / row).is_dir()}
    assert gone == set(), f"README's 'What is where' names folders that do not exist: {gone}"


@pytest.mark.parametrize("name", sorted(modules(PACKAGES)))
def test_no_module_is_over_500_lines(name: str) -> None:
    lines = len(modules(PACKAGES)[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it along a seam"


def test_no_import_cycles() -> None:
    assert find_cycles(import_graph(modules(PACKAGES))) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
