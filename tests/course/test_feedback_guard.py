"""The last guard before feedback is released: hidden content in a page stops the release."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from autograder.options import GradingOptions
from autograder.scenarios import PUBLIC
from autograder.secret import draw
from course import autograder_link
from course.errors import CourseError
from course.feedback_release import find_leaks, hidden_outputs


def _results(folder: Path, student: str, tests: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{student}.json").write_text(json.dumps({"tests": tests}))


def test_hidden_output_is_secret_unless_a_public_check_prints_it_too(tmp_path: Path) -> None:
    _results(
        tmp_path,
        "ada",
        [
            {
                "name": "a",
                "visibility": "hidden",
                "output": "expected 2426 rows for 2024-01\nshared",
            },
            {"name": "b", "visibility": "visible", "output": "shared"},
        ],
    )
    assert hidden_outputs(tmp_path) == {"expected 2426 rows for 2024-01"}


def test_a_secret_is_found_raw_or_html_escaped(tmp_path: Path) -> None:
    secret = 'faults {"2024-03": {"transient": 2}}'
    page = tmp_path / "ada.html"
    page.write_text(f"<pre>{html.escape(secret)}</pre>")
    assert find_leaks([page], [secret]) == [f"{page}: {secret!r}"]


def test_clean_pages_and_short_common_lines_pass(tmp_path: Path) -> None:
    page = tmp_path / "ada.html"
    page.write_text("<pre>Hidden check: failed, 0 of 4 points.\nfailed</pre>")
    assert find_leaks([page], ["failed", "0aa23a990042fe8e"]) == []


def test_nbgraders_hidden_test_marker_is_always_a_leak(tmp_path: Path) -> None:
    page = tmp_path / "ada.html"
    page.write_text("<pre>### BEGIN HIDDEN TESTS\nassert x == 3</pre>")
    assert len(find_leaks([page], [])) == 1


def _faults(month: str, fault: str, value: object) -> str:
    return json.dumps({month: {fault: value}})


def test_with_a_teachers_secret_the_drawn_fault_plans_are_the_secrets(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a-teachers-secret-of-some-length\n")
    secret.chmod(0o600)
    drawn = draw("a-teachers-secret-of-some-length", GradingOptions().latest_month)
    found = set(autograder_link.secrets(secret))
    assert _faults(drawn.transient_month, "transient", drawn.transient_failures) in found
    assert _faults(drawn.broken_month, "broken_rows", drawn.broken_rows) in found
    assert _faults(drawn.permanent_month, "permanent", True) in found
    assert _faults(PUBLIC.broken_month, "broken_rows", PUBLIC.broken_rows) not in found


def test_an_exposed_secret_file_stops_the_course_command(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a-teachers-secret-of-some-length\n")
    secret.chmod(0o644)
    with pytest.raises(CourseError, match="chmod 600"):
        autograder_link.secrets(secret)
