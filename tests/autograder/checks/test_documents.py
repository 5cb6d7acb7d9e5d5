"""The document checks: each gap has its own message; starter comments do not count."""

from __future__ import annotations

from tests.autograder.helpers import (
    REFERENCE_DAG,
    context,
    run_check,
)


def test_runbook_gaps_each_have_their_own_message(tmp_path) -> None:
    runbook = "# Runbook\n\nTrigger it in the UI. <!-- TODO: backfill -->\n" + "words " * 100
    outcome = run_check("docs_runbook", context(tmp_path, RUNBOOK_md=runbook))
    assert 0 < outcome.fraction < 1
    assert "backfill" in outcome.message and "likely failures" in outcome.message
    assert "placeholders" not in outcome.message  # TODO inside an HTML comment does not count


def test_missing_documents_fail_with_the_file_name(tmp_path) -> None:
    ctx = context(tmp_path, RUNBOOK_md=None, AI_ASSIST_md=None)
    assert "RUNBOOK.md is missing" in run_check("docs_runbook", ctx).message
    assert "AI_ASSIST.md is missing" in run_check("docs_ai_assist", ctx).message


def test_backfill_is_not_a_fill_in_placeholder(tmp_path) -> None:
    report = tmp_path / "r.md"
    report.write_text("We backfill in order.")
    outcome = run_check(
        "docs_assignment_report",
        context(tmp_path, ASSIGNMENT_REPORT_md=(REFERENCE_DAG and "Backfill in one go. " * 40)),
    )
    assert "placeholders" not in outcome.message
