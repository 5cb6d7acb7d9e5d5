"""The class report page: links to each student's feedback, the set-up notes, escaped text."""

from __future__ import annotations

from dataclasses import replace

from autograder.reporters.class_report import render_html
from autograder.results import ClassResult
from tests.autograder.helpers import submission_result


def test_the_class_report_links_feedback_and_escapes_reasons() -> None:
    ada = submission_result(integrity_imports=4, docs_runbook=2)
    bob = replace(ada, student="bob", error="<script>x</script>")
    page = render_html(ClassResult((ada, bob), notes=("not run as root & no uid",)))
    assert 'href="feedback/ada.html"' in page and 'href="feedback/bob.html"' in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page
    assert "not run as root &amp; no uid" in page
    assert "2 students" in page and "6 / 8" in page
