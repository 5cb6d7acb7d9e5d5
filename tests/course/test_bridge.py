"""The notebook's check cells: what they print and the points they hand to nbgrader."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.checks import not_graded
from autograder.results import CheckResult, SubmissionResult, to_results_file
from course import bridge
from course.autograder_results import (
    CheckInfo,
    CheckScore,
    bridge_payload,
    load_results,
    tier_report,
)
from course.errors import CourseError

CHECKS = [
    CheckInfo("integrity_imports", 10, "minimum", hidden=False, title="The DAG imports"),
    CheckInfo("docs_runbook", 5, "minimum", hidden=False),
    CheckInfo("behaviour_backfill", 10, "target", hidden=False),
    CheckInfo("behaviour_faults", 5, "stretch", hidden=True),
]
SECRET = "expected fct_trips checksum 9f1c2e7a55d0"


def _payload(**scores: float) -> dict:
    results = [
        CheckScore(c.id, scores.get(c.id, c.points), c.points, c.hidden, output=f"hint for {c.id}")
        for c in CHECKS
    ]
    results[-1] = CheckScore("behaviour_faults", scores.get("behaviour_faults", 0), 5, True, SECRET)
    return bridge_payload("ada", results, CHECKS)


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def write(payload: dict | None, grading: bool = True) -> None:
        if grading:
            monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
        else:
            monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
        if payload is None:
            monkeypatch.delenv(bridge.RESULTS_ENV, raising=False)
            return
        path = tmp_path / "ada.json"
        path.write_text(json.dumps(payload))
        monkeypatch.setenv(bridge.RESULTS_ENV, str(path))

    return write


def test_a_passed_public_check_gives_its_points(results, capsys) -> None:
    results(_payload())
    assert bridge.check("integrity_imports", points=10) == 10
    assert "integrity_imports: passed, 10 of 10 points." in capsys.readouterr().out


def test_a_failed_public_check_shows_the_autograders_hint(results, capsys) -> None:
    results(_payload(docs_runbook=0))
    assert bridge.check("docs_runbook", points=5) == 0
    printed = capsys.readouterr().out
    assert "docs_runbook: failed, 0 of 5 points." in printed and "hint for docs_runbook" in printed


def test_partial_credit_is_scaled_to_the_cells_points(results) -> None:
    results(_payload(behaviour_backfill=5))
    assert bridge.check("behaviour_backfill", points=4) == 2


def test_a_hidden_check_shows_its_score_and_nothing_else(results, capsys) -> None:
    results(_payload(behaviour_faults=5))
    assert bridge.check("hidden_check_01", points=5) == 5
    printed = capsys.readouterr().out
    assert printed.strip() == "Hidden check: passed, 5 of 5 points."


def test_neither_the_id_nor_the_output_of_a_hidden_check_reaches_the_bridge_file() -> None:
    text = json.dumps(_payload())
    assert SECRET not in text and "behaviour_faults" not in text
    assert "hidden_check_01" in text


def test_grading_without_results_scores_zero_with_a_reason(results, capsys) -> None:
    results(None, grading=True)
    assert bridge.check("docs_runbook", points=5) == 0.0
    assert "left no results" in capsys.readouterr().out


def test_a_student_running_the_cell_gets_no_score_and_a_pointer(results, capsys) -> None:
    results(None, grading=False)
    assert bridge.check("docs_runbook", points=5) is None
    assert "python -m pytest" in capsys.readouterr().out


def test_a_check_the_autograder_did_not_report_scores_zero(results, capsys) -> None:
    results(_payload())
    assert bridge.check("integrity_renamed_later", points=3) == 0.0
    assert "no result" in capsys.readouterr().out


def test_tier_lists_public_blockers_and_counts_hidden_ones(results, capsys) -> None:
    results(_payload(behaviour_backfill=0))
    bridge.tier()
    printed = capsys.readouterr().out
    assert "Tier reached: Minimum" in printed
    assert "Target still needs: behaviour_backfill" in printed
    assert "Stretch still needs: 1 hidden check(s)" in printed and "behaviour_faults" not in printed


@pytest.mark.parametrize(
    ("scores", "tier"),
    [
        ({}, "target"),  # the hidden stretch check is failed in _payload by default
        ({"behaviour_faults": 5}, "stretch"),
        ({"docs_runbook": 0}, "none"),
        ({"docs_runbook": 0, "behaviour_faults": 5}, "none"),  # tiers are cumulative
        ({"behaviour_backfill": 9.5}, "minimum"),
    ],
)
def test_tiers_are_cumulative_and_need_full_points(scores: dict, tier: str) -> None:
    results = [
        CheckScore(c.id, scores.get(c.id, 0 if c.hidden else c.points), c.points, c.hidden)
        for c in CHECKS
    ]
    assert tier_report(results, CHECKS).reached == tier


@pytest.mark.parametrize(
    ("failing", "tier"),
    [
        (set(), "stretch"),
        ({"docs_runbook"}, "none"),
        ({"docs_ai_assist"}, "minimum"),
        ({"behaviour_manual_trigger"}, "target"),
        ({"behaviour_backfill"}, "minimum"),
    ],
)
def test_the_course_reads_the_tier_the_autograder_gave(
    tmp_path: Path, failing: set[str], tier: str
) -> None:
    """Through the results file and back: the course's tier is the autograder's, one rule."""
    from autograder.tiers import tier_of_results
    from course.autograder_link import registry

    checks = tuple(
        replace(c, score=0.0 if c.check_id in failing else c.points, message="")
        for c in not_graded("-")
    )
    graded = SubmissionResult("ada", "hash", "version", checks)
    graded = graded.with_tier(tier_of_results(checks).reached)
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(to_results_file(graded)))
    assert graded.tier == tier
    assert tier_report(load_results(path), registry()).reached == tier


def test_results_files_are_validated_with_a_message_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "ada.json"
    bad.write_text('{"tests": [{"score": 1}]}')
    with pytest.raises(CourseError, match=r"ada.json: not in the autograder's results format"):
        load_results(bad)
    bad.write_text("{not json")
    with pytest.raises(CourseError, match="not readable JSON"):
        load_results(bad)
    with pytest.raises(CourseError, match="no autograder results"):
        load_results(tmp_path / "nobody.json")


def test_gradescope_results_become_check_scores(tmp_path: Path) -> None:
    def result(check_id: str, score: float, points: float, visibility: str) -> CheckResult:
        return CheckResult(
            check_id, "title", "docs", visibility, "minimum", points, score, "the hint", "found"
        )

    graded = SubmissionResult(
        "ada",
        "hash",
        "version",
        (
            result("docs_runbook", 5, 5, "public"),
            result("behaviour_faults", 7, 5, "hidden"),  # a hand-edited file: more than max
        ),
    )
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(to_results_file(graded)))
    got = {s.id: s for s in load_results(path)}
    assert got["docs_runbook"].passed and not got["docs_runbook"].hidden
    assert got["docs_runbook"].output == "found"
    assert got["behaviour_faults"].hidden and got["behaviour_faults"].score == 5  # clamped


def test_why_a_submission_could_not_be_graded_is_said_once_in_the_tier_cell(
    results, capsys
) -> None:
    payload = _payload(**{c.id: 0 for c in CHECKS})
    payload["problem"] = "The autograder could not grade this hand-in: the DAG run timed out"
    results(payload)
    bridge.check("integrity_imports", points=10)
    assert "timed out" not in capsys.readouterr().out
    bridge.tier()
    assert "could not grade this hand-in: the DAG run timed out" in capsys.readouterr().out


def test_the_autograders_error_is_read_from_its_results(tmp_path: Path) -> None:
    from course.autograder_results import results_error

    path = tmp_path / "ada.json"
    crashed = SubmissionResult("ada", "hash", "version", not_graded("-"), error="sandbox crashed")
    path.write_text(json.dumps(to_results_file(crashed)))
    assert results_error(path) == "sandbox crashed"
    path.write_text(json.dumps(to_results_file(replace(crashed, error=None))))
    assert results_error(path) is None
    path.write_text("{not json")
    assert results_error(path) is None


def test_the_feedback_page_links_a_failed_check_to_its_workbook_section(
    tmp_path: Path, results, capsys
) -> None:
    failed = CheckResult(
        "docs_runbook",
        "title",
        "docs",
        "public",
        "minimum",
        5,
        0,
        "the hint",
        "found",
        teaches="09_practice.ipynb#Exercise-7-·-Hand-it-over",
    )
    path = tmp_path / "results.json"
    path.write_text(json.dumps(to_results_file(SubmissionResult("ada", "h", "v", (failed,)))))
    results(bridge_payload("ada", load_results(path), CHECKS))
    assert bridge.check("docs_runbook", points=5) == 0
    printed = capsys.readouterr().out
    assert "Hint: the hint" in printed
    assert "Learn it: 09_practice.ipynb, section “Exercise 7 · Hand it over”: " in printed
    assert "notebooks/09_practice.ipynb#Exercise-7-·-Hand-it-over" in printed
