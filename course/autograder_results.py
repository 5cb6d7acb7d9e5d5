"""The autograder's checks as the course sees them: what exists, what a student scored, which tier.

The autograder (a separate package) writes one results file per student in the Gradescope format
(`score`, `tests: [{name, score, max_score, visibility, output}]`). This module validates that
file and turns it into `CheckScore`s, and writes the small per-student "bridge" file that the
notebook's check cells read while nbgrader autogrades (course/bridge.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from course.errors import CourseError

TIERS = ("minimum", "target", "stretch")
CHECK_PREFIXES = ("integrity_", "airflow3_", "docs_", "behaviour_")
HIDDEN_CELL_PREFIX = "hidden_check_"
# Gradescope's visibility values; everything but "visible" is withheld from students.
VISIBLE = "visible"


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
    """One student's result on one check."""

    id: str
    score: float
    max_score: float
    hidden: bool
    output: str = ""

    @property
    def passed(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score


@dataclass(frozen=True)
class TierReport:
    """The highest tier whose checks (and all lower tiers' checks) were all passed."""

    reached: str  # "none" or one of TIERS
    missing: dict[str, list[str]] = field(default_factory=dict)  # tier -> failed check ids


class _TestExtra(BaseModel):
    model_config = ConfigDict(extra="allow")
    check_id: str | None = None


class _Test(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    extra_data: _TestExtra | None = None
    score: float = 0.0
    max_score: float = Field(default=0.0, ge=0)
    visibility: str = VISIBLE
    output: str = ""


class _Results(BaseModel):
    model_config = ConfigDict(extra="allow")
    score: float | None = None
    tests: list[_Test] = Field(default_factory=list)


def check_id_of(test_name: str, known: Iterable[str] = ()) -> str:
    """The check id in a Gradescope test name: the name itself, or its first word."""
    known = set(known)
    name = test_name.strip()
    if name in known:
        return name
    first = name.split()[0].rstrip(":") if name else name
    return first


def load_results(path: Path, known_ids: Iterable[str] = ()) -> list[CheckScore]:
    """Read one student's autograder results file. Raises CourseError naming the file and field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: no autograder results for this student") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise CourseError(f"{path}: not readable JSON ({exc}); re-run the grade step") from None
    try:
        results = _Results.model_validate(raw)
    except ValidationError as exc:
        lines = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CourseError(f"{path}: not in the autograder's results format ({lines})") from None
    known = list(known_ids)
    return [
        CheckScore(
            id=(test.extra_data and test.extra_data.check_id) or check_id_of(test.name, known),
            score=max(0.0, min(test.score, test.max_score)),
            max_score=test.max_score,
            hidden=test.visibility != VISIBLE,
            output=test.output,
        )
        for test in results.tests
    ]


def results_error(path: Path) -> str | None:
    """Why the autograder could not grade a submission at all (its `extra_data.error`)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    extra = raw.get("extra_data") if isinstance(raw, dict) else None
    error = extra.get("error") if isinstance(extra, dict) else None
    return str(error) if error else None


def tier_report(scores: Sequence[CheckScore], checks: Sequence[CheckInfo]) -> TierReport:
    """Tiers are cumulative: Target needs every Minimum and Target check passed, and so on.

    A check with no score counts as failed.
    """
    by_id = {s.id: s for s in scores}
    reached = "none"
    missing: dict[str, list[str]] = {}
    still_climbing = True
    for tier in TIERS:
        failed = [
            c.id for c in checks if c.tier == tier and not (c.id in by_id and by_id[c.id].passed)
        ]
        if failed:
            missing[tier] = failed
            still_climbing = False
        elif still_climbing and any(c.tier == tier for c in checks):
            reached = tier
    return TierReport(reached=reached, missing=missing)


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
