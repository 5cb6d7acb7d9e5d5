"""A regrade's record: which checks changed and how, the totals, and the replaced file kept."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from autograder.history import keep_previous, session_stamp
from autograder.reporters.gradescope import read_result, write_result
from autograder.reporters.regrade import change_line, total_line, write_regrade_report
from autograder.results import Regrade
from tests.autograder.helpers import submission_result


def _regrade(tmp_path: Path) -> Regrade:
    old = submission_result(integrity_imports=4, behaviour_backfill=0, docs_runbook=2)
    new = replace(
        submission_result(integrity_imports=4, behaviour_backfill=4, docs_runbook=2),
        tier="target",
    )
    return Regrade(old, new, tmp_path / "history" / "ada" / "x.json")


def test_only_the_checks_that_moved_are_listed_with_old_and_new(tmp_path: Path) -> None:
    regrade = _regrade(tmp_path)
    assert [change_line(c) for c in regrade.changes] == [
        "behaviour_backfill: 0/4 failed -> 4/4 passed"
    ]
    assert total_line(regrade) == "ada: total 6 -> 10 / 12, tier minimum -> target"
    same = Regrade(regrade.old, regrade.old, regrade.kept_at)
    assert same.changes == () and total_line(same).endswith("(no check changed)")


def test_an_errored_or_missing_check_is_a_change_too(tmp_path: Path) -> None:
    old = submission_result(integrity_imports=4, docs_runbook=2)
    crashed = replace(old.checks[0], score=0, errored=True)
    new = replace(old, checks=(crashed,))  # docs_runbook did not run this time
    lines = [change_line(c) for c in Regrade(old, new, tmp_path).changes]
    assert lines == [
        "integrity_imports: 4/4 passed -> 0/4 errored",
        "docs_runbook: 2/4 failed -> not run",
    ]


def test_the_report_file_keeps_every_change_for_the_teacher(tmp_path: Path) -> None:
    path = write_regrade_report(tmp_path, [_regrade(tmp_path)], "20270301T120000Z", "none")
    text = path.read_text()
    assert path == tmp_path / "regrades" / "20270301T120000Z.md"
    assert "## ada: total 6 -> 10 / 12, tier minimum -> target" in text
    assert "| `behaviour_backfill` | 0/4 failed | 4/4 passed |" in text
    assert "`integrity_imports`" not in text  # unchanged checks are left out
    assert "Sandbox: none" in text
    assert "Replaced result: `history/ada/x.json`" in text


def test_the_replaced_result_is_kept_byte_for_byte_and_never_overwritten(tmp_path: Path) -> None:
    first = submission_result(docs_runbook=0)
    write_result(tmp_path, first)
    stamp = session_stamp(tmp_path)
    kept = keep_previous(tmp_path, "ada", stamp)
    write_result(tmp_path, replace(first, tier="target"))
    again = keep_previous(tmp_path, "ada", stamp)  # a second regrade within the same second
    assert kept != again and again.name == f"{stamp}-2.json"
    assert json.loads(kept.read_text())["extra_data"]["tier"] == "minimum"
    assert json.loads(again.read_text())["extra_data"]["tier"] == "target"
    assert read_result(tmp_path, "ada") == replace(first, tier="target")
