"""Called from the assignment notebook's check cells: one autograder check, one nbgrader grade.

Each check cell is a locked nbgrader test cell whose grade_id is the check id:

    from course.bridge import check
    check("behaviour_idempotent_rerun", points=10)

While `nbgrader autograde` runs, the teacher's grade step has already run the autograder (in its
sandbox) and written this student's results to the file named by `$WEEK11_CHECK_RESULTS`. The
cell prints the autograder's verdict (and, for public checks only, its hint) and returns the
points, which nbgrader records as the cell's partial credit. So the feedback shows the call and
the hint, never a test's code or its expected values; hidden checks show only their score.

Standard library only, and nothing on stderr: nbgrader gives zero to a test cell that writes to
stderr.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RESULTS_ENV = "WEEK11_CHECK_RESULTS"
TIER_ORDER = ("minimum", "target", "stretch")
MAX_OUTPUT_LINES = 40


def _grading() -> bool:
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def _results() -> dict[str, Any] | None:
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _clip(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) <= MAX_OUTPUT_LINES:
        return "\n".join(lines)
    more = len(lines) - MAX_OUTPUT_LINES
    return "\n".join([*lines[:MAX_OUTPUT_LINES], f"... ({more} more lines)"])


def _fmt(points: float) -> str:
    return f"{points:g}"


def check(check_id: str, points: float) -> float | None:
    """Show this student's result on `check_id` and return the points scored (0..points)."""
    results = _results()
    if results is None:
        if _grading():
            print(
                f"{check_id}: the autograder left no results for this submission, so this check "
                "scores 0. (Teacher: run `course grade`, which runs the autograder first.)"
            )
            return 0.0
        print(
            f"{check_id} ({_fmt(points)} pts) is graded by the autograder after you hand in. "
            "Check yourself first: `python -m pytest` and `autograder check .` in this folder."
        )
        return None
    result = results.get("checks", {}).get(check_id)
    hidden = check_id in results.get("hidden", [])
    if result is None:
        print(f"{check_id}: the autograder reported no result for this check; it scores 0.")
        return 0.0
    max_score = float(result.get("max_score") or 0)
    score = float(result.get("score") or 0)
    # The cell's points come from the notebook; scale in case the autograder's differ.
    earned = round(points * score / max_score, 2) if max_score > 0 else 0.0
    earned = max(0.0, min(earned, float(points)))
    verdict = "passed" if earned >= points else ("partly passed" if earned > 0 else "failed")
    if hidden:
        print(f"Hidden check: {verdict}, {_fmt(earned)} of {_fmt(points)} points.")
        return earned
    print(f"{check_id}: {verdict}, {_fmt(earned)} of {_fmt(points)} points.")
    if result.get("output"):
        print(_clip(str(result["output"])))
    return earned


def tier() -> None:
    """Print the tier this submission reached, and which checks stand in the way of the next."""
    results = _results()
    if results is None:
        print("Your tier appears here once your teacher has graded your hand-in.")
        return
    report = results.get("tier", {})
    hidden = set(results.get("hidden", []))
    if results.get("problem"):
        print(results["problem"])
    print(f"Tier reached: {str(report.get('reached', 'none')).capitalize()}")
    missing = report.get("missing", {})
    for tier_name in sorted(missing, key=lambda t: TIER_ORDER.index(t) if t in TIER_ORDER else 9):
        failed = missing[tier_name]
        public = [c for c in failed if c not in hidden]
        secret = len(failed) - len(public)
        parts = public + ([f"{secret} hidden check(s)"] if secret else [])
        print(f"  {tier_name.capitalize()} still needs: {', '.join(parts)}")
