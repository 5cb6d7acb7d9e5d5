"""The results schema: a result survives its file exactly, and a bad file is named with the fix."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from autograder.errors import AutograderError
from autograder.reporters.gradebook import summary
from autograder.results import ClassResult, from_results_file, read_results_file, to_results_file
from tests.autograder.helpers import submission_result


def test_gradescope_round_trip_keeps_everything() -> None:
    original = submission_result(integrity_imports=4, behaviour_retries_transient=0, docs_runbook=2)
    data = json.loads(json.dumps(to_results_file(original)))
    assert from_results_file(data) == original
    assert data["score"] == 6
    assert [t["visibility"] for t in data["tests"]] == ["visible", "hidden", "visible"]
    assert data["tests"][1]["status"] == "failed"
    assert data["tests"][1]["output"].startswith("MESSAGE-behaviour_retries_transient\n\nHint: ")


def test_a_results_file_is_read_back_or_refused_naming_file_field_and_fix(tmp_path) -> None:
    path = tmp_path / "ada.json"
    original = submission_result(integrity_imports=4, docs_runbook=0)
    path.write_text(json.dumps(to_results_file(original)))
    assert read_results_file(path) == original
    path.write_text('{"score": 1, "tests": [{"score": 1}]}')
    with pytest.raises(AutograderError, match=r"ada.json: not in the autograder's results format"):
        read_results_file(path)
    with pytest.raises(AutograderError, match=r"tests\.0\.name: Field required.*grade this"):
        read_results_file(path)
    path.write_text("{not json")
    with pytest.raises(AutograderError, match="ada.json: not readable JSON"):
        read_results_file(path)
    with pytest.raises(AutograderError, match="no autograder results"):
        read_results_file(tmp_path / "nobody.json")


def test_the_isolation_is_written_into_the_result_and_older_files_read_as_unknown() -> None:
    result = replace(submission_result(integrity_imports=4), isolation="user-namespaces")
    data = json.loads(json.dumps(to_results_file(result)))
    assert data["extra_data"]["isolation"] == "user-namespaces"
    assert from_results_file(data).isolation == "user-namespaces"
    del data["extra_data"]["isolation"]  # written before the grader recorded it
    assert from_results_file(data).isolation == "unknown"


def test_the_summary_says_which_sandbox_graded_the_class() -> None:
    ada = replace(submission_result(integrity_imports=4), isolation="user-namespaces")
    bob = replace(ada, student="bob", isolation="none")
    data = summary(ClassResult((ada, bob), isolation="user-namespaces"))
    assert data["isolation"] == "user-namespaces"
    assert data["isolation_of_results"] == {"user-namespaces": 1, "none": 1}


def test_the_workbook_section_and_the_check_to_fix_first_survive_the_file() -> None:
    original = submission_result(integrity_imports=0, integrity_task_order=0)
    teaches = "04_sequential_pipeline_steps.ipynb#Wiring-tasks"
    blocked = replace(original.checks[1], teaches=teaches, blocked_by="integrity_imports")
    original = replace(original, checks=(original.checks[0], blocked))
    data = json.loads(json.dumps(to_results_file(original)))
    assert from_results_file(data) == original
    # What nbgrader's feedback page shows for the check (course/bridge.py prints it).
    assert (
        "Learn it: 04_sequential_pipeline_steps.ipynb, section “Wiring tasks”"
        in (data["tests"][1]["output"])
    )
    assert "notebooks/04_sequential_pipeline_steps.ipynb#Wiring-tasks" in data["tests"][1]["output"]
