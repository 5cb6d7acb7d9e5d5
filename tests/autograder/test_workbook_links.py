"""Every check names the workbook section that teaches its subject, and that section exists:
the notebook is in notebooks/ and has a heading with that JupyterLab anchor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import workbook_links
from autograder.checks import all_checks, check
from autograder.checks import needs as need

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize("check_id", sorted(all_checks()))
def test_every_check_teaches_a_section_that_exists(check_id: str) -> None:
    target = all_checks()[check_id].teaches
    assert target, f"{check_id}: add teaches='NN_topic.ipynb#Heading-anchor' to its @check"
    assert workbook_links.problem(target, NOTEBOOKS) is None


def test_a_section_resolves_to_its_heading_and_a_wrong_one_says_why() -> None:
    section = workbook_links.parse(
        "05_parameterized_runs_and_backfills.ipynb#The-proof:-run-the-backfill-again"
    )
    assert section.title == "The proof: run the backfill again"
    assert section.href.startswith("notebooks/05_parameterized_runs_and_backfills.ipynb#The-proof")
    moved = "05_parameterized_runs_and_backfills.ipynb#The-proof"
    assert "no heading" in workbook_links.problem(moved, NOTEBOOKS)
    assert "there is no" in workbook_links.problem("05_backfills.ipynb#Backfilling", NOTEBOOKS)


def test_anchors_are_jupyterlabs_rendered_heading_text(tmp_path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# 05 · Title\n", "text\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": "## The trap: no `ds` **here**"},
        {"cell_type": "code", "metadata": {}, "source": "## a comment, not a heading"},
    ]
    notebook = tmp_path / "05_x.ipynb"
    notebook.write_text(json.dumps({"cells": cells}))
    assert workbook_links.headings(notebook) == {
        "05-·-Title": "05 · Title",
        "The-trap:-no-ds-here": "The trap: no ds here",
    }


def test_quoted_headings_survive_the_link() -> None:
    target = all_checks()["integrity_start_date"].teaches
    href = workbook_links.parse(target).href
    notebook, anchor = href.removeprefix("notebooks/").split("#")
    assert " " not in href and anchor == '5.-"A-start-date-without-a-time-zone-means-UTC"'
    assert anchor in workbook_links.headings(NOTEBOOKS / notebook)


@pytest.mark.parametrize(
    "teaches", ["backfills", "05_backfills.ipynb", "notebooks/05_x.ipynb#A", "05_x.ipynb#Two words"]
)
def test_a_malformed_target_is_refused_at_import(teaches: str) -> None:
    with pytest.raises(ValueError, match="is not a workbook section"):
        check(
            id="docs_new_check",
            points=1,
            visibility="public",
            tier="target",
            needs=[need.document("RUNBOOK.md")],
            hint="a hint",
            teaches=teaches,
        )
    assert "docs_new_check" not in all_checks()
