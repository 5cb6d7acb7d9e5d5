"""results/<student>.json: each student's result in the Gradescope autograder results format.

The format itself (and its conversion to and from `SubmissionResult`) is part of the results
schema, `autograder.results`; this reporter writes the files and reads them back to resume a
grading session.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.errors import AutograderError
from autograder.files import atomic_write_text
from autograder.results import SubmissionResult, read_results_file, to_results_file


def result_path(out_dir: Path, student: str) -> Path:
    return out_dir / "results" / f"{student}.json"


def write_result(out_dir: Path, result: SubmissionResult) -> Path:
    path = result_path(out_dir, result.student)
    atomic_write_text(path, json.dumps(to_results_file(result), indent=1, sort_keys=False) + "\n")
    return path


def read_result(out_dir: Path, student: str) -> SubmissionResult | None:
    """A previous result for `student`, or None if missing or unreadable (then: regrade)."""
    try:
        return read_results_file(result_path(out_dir, student))
    except AutograderError:
        return None
