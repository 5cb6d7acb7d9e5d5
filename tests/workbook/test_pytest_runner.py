"""pytest in the notebook's process: outcomes per test, the report without Airflow's lines, and
the environment given for one run only."""

from __future__ import annotations

import os
from pathlib import Path

from workbook.pytest_runner import run_pytest

# pytest-playwright's plugin cannot run inside this test session's own pytest; a notebook has
# no outer pytest, so it keeps the plugin.
NESTED = ("-p", "no:playwright")

TESTS = """
import os

import pytest


def test_passes():
    assert os.environ["UNIT_MARKER"] == "set"


def test_fails():
    assert 1 == 2, "one is not two"


def test_skips():
    pytest.skip("not yet")
"""


def test_each_test_has_its_outcome_and_the_env_is_put_back(tmp_path: Path) -> None:
    path = tmp_path / "test_sample.py"
    path.write_text(TESTS)
    assert "UNIT_MARKER" not in os.environ
    result = run_pytest(path, *NESTED, env={"UNIT_MARKER": "set"})
    assert "UNIT_MARKER" not in os.environ
    assert (result.passed, result.failed, result.skipped) == (
        ["test_passes"],
        ["test_fails"],
        ["test_skips"],
    )
    assert not result.ok and result.exit_code == 1
    assert "one is not two" in result.output


def test_a_rerun_sees_the_file_as_it_is_now(tmp_path: Path) -> None:
    path = tmp_path / "test_edit.py"
    path.write_text("def test_it():\n    assert False\n")
    assert run_pytest(path, *NESTED).failed == ["test_it"]
    path.write_text("def test_it():\n    assert True\n")
    again = run_pytest(path, *NESTED, "-k", "test_it")
    assert again.passed == ["test_it"] and again.ok
