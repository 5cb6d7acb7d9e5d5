"""What a regrade changed: per student the total old -> new and each check whose points or
status moved. The same lines go to the terminal (`autograder grade`, `course grade`) and to
`regrades/<stamp>.md`, the file the teacher keeps with the regrade request."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograder.files import atomic_write_text
from autograder.results import CheckChange, Regrade


def _score(score: float | None, points: float, status: str) -> str:
    return status if score is None else f"{score:g}/{points:g} {status}"


def change_line(change: CheckChange) -> str:
    old = _score(change.old_score, change.points, change.old_status)
    new = _score(change.new_score, change.points, change.new_status)
    return f"{change.check_id}: {old} -> {new}"


def total_line(regrade: Regrade) -> str:
    old, new = regrade.old, regrade.new
    line = f"{regrade.student}: total {old.score:g} -> {new.score:g} / {new.max_score:g}"
    if old.tier != new.tier:
        line += f", tier {old.tier} -> {new.tier}"
    if not regrade.changes:
        line += " (no check changed)"
    return line


def render_markdown(
    regrades: Sequence[Regrade], stamp: str, isolation: str, out_dir: Path | None = None
) -> str:
    """The report; paths are relative to `out_dir` (the grading output folder) when given."""
    lines = [
        f"# Regrade {stamp}",
        "",
        f"Sandbox: {isolation}. Each replaced result is kept as it was (below); the new one is "
        "in `results/<student>.json`.",
    ]
    for regrade in regrades:
        kept = regrade.kept_at
        if out_dir is not None and kept.is_relative_to(out_dir):
            kept = kept.relative_to(out_dir)
        lines += ["", f"## {total_line(regrade)}", "", f"Replaced result: `{kept}`"]
        if regrade.old.error or regrade.new.error:
            lines += ["", f"Not graded before: {regrade.old.error or '-'}"]
            lines += [f"Not graded now: {regrade.new.error or '-'}"]
        if regrade.changes:
            lines += ["", "| check | before | after |", "|---|---|---|"]
            for change in regrade.changes:
                before, after = change_line(change).split(": ", 1)[1].split(" -> ")
                lines.append(f"| `{change.check_id}` | {before} | {after} |")
    return "\n".join(lines) + "\n"


def regrade_report_path(out_dir: Path, stamp: str) -> Path:
    return out_dir / "regrades" / f"{stamp}.md"


def write_regrade_report(
    out_dir: Path, regrades: Sequence[Regrade], stamp: str, isolation: str
) -> Path:
    path = regrade_report_path(out_dir, stamp)
    atomic_write_text(path, render_markdown(regrades, stamp, isolation, out_dir))
    return path
