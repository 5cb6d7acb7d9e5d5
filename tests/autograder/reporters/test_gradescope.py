"""results/<student>.json on disk: written whole, and a torn file means regrade, not a crash."""

from __future__ import annotations

from autograder.reporters.gradescope import read_result, write_result
from tests.autograder.helpers import submission_result


def test_a_written_result_is_read_back(tmp_path) -> None:
    original = submission_result(integrity_imports=4, behaviour_notify_on_failure=1)
    path = write_result(tmp_path, original)
    assert path == tmp_path / "results" / "ada.json"
    assert read_result(tmp_path, "ada") == original


def test_a_corrupt_result_file_means_regrade_not_crash(tmp_path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "ada.json").write_text('{"score": 3, "tests": [')
    assert read_result(tmp_path, "ada") is None
    assert read_result(tmp_path, "nobody") is None
