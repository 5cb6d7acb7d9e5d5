"""The autograder's checks as the course sees them: what exists, what a student scored, which tier.

The results schema and the tier rule are the autograder's own: a student's results file
(`results/<student>.json`, Gradescope format) is read with `autograder.results`, and tiers come
from `autograder.tiers.tier_report`, so the course and the autograder can never disagree about
either. This module adapts them to the notebook: opaque cell ids for hidden checks, and the small
per-student "bridge" file that the notebook's check cells read while nbgrader autogrades
(course/bridge.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.errors import AutograderError
from autograder.results import CATEGORIES, CheckResult, gradescope_output, read_results_file
from autograder.tiers import TIERS as TIERS  # re-exported: the notebook's cells go by tier
from autograder.tiers import TierReport
from autograder.tiers import tier_report as autograder_tier_report
from course.errors import CourseError

CHECK_PREFIXES = tuple(f"{category}_" for category in CATEGORIES)
HIDDEN_CELL_PREFIX = "hidden_check_"


@dataclass(frozen=True)
class CheckInfo:
    """One registered autograder check: stable id, points, tier, and whether students see it."""

    id: str
    points: float
    tier: str
    hidden: bool
    title: str = ""


def with_cell_ids(checks: Sequence[CheckInfo]) -> dict[str, str]:
    """check id -> the grade_id of its notebook cell.

    A public check's cell is named after the check. A hidden check's cell gets an opaque name
    (hidden_check_01, ... in registry order): nbgrader's feedback prints every cell's grade_id,
    and a name like "backfill_any_order" would tell students what the hidden check tests. The
    mapping lives here, on the teacher's side; the exported CSV uses the real check ids.
    """
    ids: dict[str, str] = {}
    hidden = 0
    for info in checks:
        if info.hidden:
            hidden += 1
            ids[info.id] = f"{HIDDEN_CELL_PREFIX}{hidden:02d}"
        else:
            ids[info.id] = info.id
    return ids


@dataclass(frozen=True)
class CheckScore:
    """One student's result on one check (from the autograder, or a gradebook cell)."""

    id: str
    score: float
    max_score: float
    hidden: bool
    output: str = ""

    @property
    def passed(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score

    @classmethod
    def of(cls, check: CheckResult) -> CheckScore:
        """The course's view of an autograder result; `output` is what the results file shows
        for the check (what was found, the hint if it failed, the log)."""
        return cls(
            id=check.check_id,
            score=max(0.0, min(check.score, check.points)),
            max_score=check.points,
            hidden=check.is_hidden,
            output=gradescope_output(check),
        )


def load_results(path: Path) -> list[CheckScore]:
    """Read one student's autograder results file. Raises CourseError naming the file and field."""
    try:
        result = read_results_file(path)
    except AutograderError as exc:
        raise CourseError(str(exc)) from None
    return [CheckScore.of(check) for check in result.checks]


def results_error(path: Path) -> str | None:
    """Why the autograder could not grade a submission at all (its `extra_data.error`)."""
    try:
        return read_results_file(path).error
    except AutograderError:
        return None


def tier_report(scores: Sequence[CheckScore], checks: Sequence[CheckInfo]) -> TierReport:
    """The autograder's tier rule over `checks`: tiers are cumulative, Target needs every
    Minimum and Target check passed, and so on. A check with no score counts as failed."""
    passed = {s.id for s in scores if s.passed}
    return autograder_tier_report({c.id: c.tier for c in checks}, passed)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader never sees half a file (temp file + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def bridge_payload(
    student: str,
    scores: Sequence[CheckScore] | None,
    checks: Sequence[CheckInfo],
    problem: str | None = None,
) -> dict[str, Any]:
    """What the notebook's check cells read for one student (see course/bridge.py)."""
    scores = [s for s in scores or [] if s.id in {c.id for c in checks}]
    cells = with_cell_ids(checks)
    tiers = tier_report(scores, checks)
    hidden = {c.id for c in checks if c.hidden}

    def public(score: CheckScore) -> dict[str, Any]:
        # A hidden check's id and output never reach the notebook, so never the feedback.
        if score.id in hidden:
            return {"score": score.score, "max_score": score.max_score, "output": ""}
        return {"score": score.score, "max_score": score.max_score, "output": score.output}

    return {
        "student": student,
        "problem": problem,
        "checks": {cells[s.id]: public(s) for s in scores},
        "hidden": sorted(cells[c] for c in hidden),
        "tier": {
            "reached": tiers.reached,
            "missing": {t: [cells[c] for c in ids] for t, ids in tiers.missing.items()},
        },
    }
