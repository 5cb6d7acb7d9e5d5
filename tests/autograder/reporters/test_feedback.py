"""A student's feedback, as Markdown and as a page: hidden checks only as a count, public
failures with hint and truncated output, and the student's own text never becomes markup."""

from __future__ import annotations

from dataclasses import replace

from autograder.options import GradingOptions
from autograder.reporters.feedback import hidden_summary, render_html, render_markdown
from autograder.results import SubmissionResult
from tests.autograder.helpers import submission_result


def test_feedback_hides_hidden_checks_completely() -> None:
    graded = submission_result(
        integrity_imports=4, behaviour_retries_transient=0, behaviour_notify_x=4
    )
    options = GradingOptions()
    for page in (render_markdown(graded, options), render_html(graded, options)):
        assert "2 hidden checks: 1 passed, 4/8 pts." in page
        for secret in ("behaviour_retries", "HINT-behaviour", "OUTPUT-behaviour", "MESSAGE-beh"):
            assert secret not in page
        assert "Title of integrity_imports" in page
    assert hidden_summary(submission_result(integrity_imports=4)) == ""


def test_feedback_shows_public_failures_truncated() -> None:
    long = submission_result(docs_runbook=0)
    long = SubmissionResult(
        "ada",
        "abc",
        "v",
        (replace(long.checks[0], output="line\n" * 500),),
    )
    text = render_markdown(long, GradingOptions(output_lines=10))
    assert "HINT-docs_runbook" in text and "lines cut" in text
    assert text.count("line\n") <= 11
    page = render_html(long, GradingOptions(output_lines=10))
    assert "HINT-docs_runbook" in page and "lines cut" in page
    assert page.count("line\n") <= 11


def test_the_page_escapes_what_the_student_wrote() -> None:
    graded = submission_result(docs_runbook=0)
    hostile = replace(
        graded.checks[0],
        message="<script>alert('message')</script>",
        output="Traceback: <img src=x onerror=alert(1)>",
    )
    graded = replace(graded, checks=(hostile,), warnings=("<b>note</b>",), error="<i>why</i>")
    page = render_html(graded, GradingOptions())
    assert "<script>" not in page and "<img" not in page and "<b>note" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x" in page and "&lt;i&gt;why" in page


def test_both_views_show_the_same_things() -> None:
    graded = submission_result(integrity_imports=4, docs_runbook=1, behaviour_retries_x=0)
    options = GradingOptions()
    markdown, page = render_markdown(graded, options), render_html(graded, options)
    for shown in (
        "feedback for ada",
        "Score: 5 / 12",
        "Tier reached:",
        "Minimum",
        "Note: a note",
        "PASS",
        "PART",
        "What to fix",
        "Title of docs_runbook (1 / 4)",
        "MESSAGE-docs_runbook",
        "HINT-docs_runbook",
        "OUTPUT-docs_runbook",
        "1 hidden check: 0 passed, 0/4 pts.",
    ):
        assert shown in markdown and shown in page, shown


def test_a_failed_check_links_its_workbook_section_and_names_what_to_fix_first() -> None:
    graded = submission_result(integrity_imports=0, integrity_task_order=0)
    blocked = replace(
        graded.checks[1],
        teaches="04_sequential_pipeline_steps.ipynb#When-a-step-fails:-trigger-rules",
        blocked_by="integrity_imports",
    )
    graded = replace(graded, checks=(graded.checks[0], blocked))
    options = GradingOptions()
    href = "notebooks/04_sequential_pipeline_steps.ipynb#When-a-step-fails:-trigger-rules"
    label = "04_sequential_pipeline_steps.ipynb, section “When a step fails: trigger rules”"
    markdown, page = render_markdown(graded, options), render_html(graded, options)
    assert f"**Learn it:** [{label}]({href})" in markdown
    assert f'<a href="{href}">{label}</a>' in page
    for view in (markdown, page):
        assert "Fix first:</b> Title of integrity_imports" in view.replace("**", "</b>")
        assert view.count("Learn it") == 1  # the unlinked check shows none
