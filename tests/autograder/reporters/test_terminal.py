"""`autograder check`'s report in the terminal: every check run, what to fix with its hint, the
tier; the student's text printed as written, never read as markup."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console

from autograder.checks import all_checks
from autograder.options import GradingOptions
from autograder.reporters.terminal import print_check_report, print_checks
from tests.autograder.helpers import submission_result


def _consoles() -> tuple[Console, io.StringIO, Console, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Console(file=out, width=120), out, Console(file=err, width=120), err


def test_the_check_report_lists_checks_fixes_and_the_tier() -> None:
    graded = submission_result(integrity_imports=4, docs_runbook=0)
    graded = replace(
        graded, checks=(graded.checks[0], replace(graded.checks[1], message="[red]RUNBOOK[/]"))
    )
    out, printed, err, noted = _consoles()
    print_check_report(graded, GradingOptions(), out, err)
    text = printed.getvalue()
    assert "ada: 4 / 8 (public)" in text and "PASS" in text and "FAIL" in text
    assert "Title of docs_runbook (docs_runbook)" in text and "Hint: HINT-docs_runbook" in text
    assert "[red]RUNBOOK[/]" in text  # escaped: shown, not applied
    assert "OUTPUT-docs_runbook" in text and "OUTPUT-integrity_imports" not in text
    assert "Tier reached on the public checks: minimum" in text
    assert noted.getvalue().strip() == "note: a note"


def test_the_checks_table_has_every_id_and_tier() -> None:
    out, printed, _, _ = _consoles()
    print_checks(all_checks().values(), out)
    for item in all_checks().values():
        row = next(line for line in printed.getvalue().splitlines() if f" {item.id} " in line)
        assert item.tier in row and item.visibility in row


def test_the_check_report_links_the_workbook_and_names_what_to_fix_first() -> None:
    graded = submission_result(integrity_imports=0, integrity_task_order=0)
    blocked = replace(
        graded.checks[1],
        teaches="04_sequential_pipeline_steps.ipynb#Wiring-tasks",
        blocked_by="integrity_imports",
    )
    graded = replace(graded, checks=(graded.checks[0], blocked))
    out, printed, err, _ = _consoles()
    print_check_report(graded, GradingOptions(), out, err)
    text = " ".join(printed.getvalue().split())
    assert "Fix first: integrity_imports" in text
    assert (
        "Learn it: 04_sequential_pipeline_steps.ipynb, section “Wiring tasks”: "
        "notebooks/04_sequential_pipeline_steps.ipynb#Wiring-tasks" in text
    )
