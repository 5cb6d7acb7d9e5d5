"""The assignment notebook's generated part (one check cell per autograder check), and repairs of
submitted notebooks that nbgrader cannot grade as they are.

The check cells are written from the autograder's registry by `course sync-checks`, so their
grade_ids and points always match the checks. Everything else in the notebook is hand-written.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from course.autograder_results import (
    CHECK_PREFIXES,
    HIDDEN_CELL_PREFIX,
    TIERS,
    CheckInfo,
    with_cell_ids,
)
from course.errors import CourseError

TIER_CELL_ID = "tier_reached"
SETUP_CELL_ID = "checks_setup"  # imports the bridge once, so each check cell is two lines
AFTER_CELL_ID = "how-you-are-graded"  # the markdown cell the check cells follow
HEADING_ID_PREFIX = "checks-"  # the generated markdown heading of each tier's checks
TIER_INTRO = {
    "minimum": "Everyone ships this tier: the DAG imports, runs one month, and has a runbook.",
    "target": "The DAG settings the course asks for, the idempotent backfill, the report.",
    "stretch": "A pipeline that behaves under trouble: retries, failure gates, notifications.",
}


def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_check_cell(cell: NotebookNode) -> bool:
    """A generated cell: a check, the tier, or a tier's heading."""
    gid = grade_id(cell) or ""
    return (
        gid.startswith((*CHECK_PREFIXES, HIDDEN_CELL_PREFIX))
        or gid in (TIER_CELL_ID, SETUP_CELL_ID)
        or str(cell.get("id", "")).startswith(HEADING_ID_PREFIX)
    )


def _locked_code(cell_id: str, source: str, points: float | None) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id.replace("_", "-")
    cell.metadata["editable"] = False
    cell.metadata["deletable"] = False
    meta = {
        "grade": points is not None,
        "grade_id": cell_id,
        "locked": True,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def setup_cell() -> NotebookNode:
    source = (
        "# Each cell below shows one autograder check: what it checks and its points; after\n"
        "# grading, your result. The checks run on your teacher's side, not in this notebook.\n"
        "from course.bridge import check, tier"
    )
    return _locked_code(SETUP_CELL_ID, source, None)


def check_cell(info: CheckInfo, cell_id: str) -> NotebookNode:
    what = "A hidden check." if info.hidden else (info.title or info.id).rstrip(".") + "."
    source = f'"""{what}"""\ncheck("{cell_id}", points={info.points:g})'
    return _locked_code(cell_id, source, info.points)


def heading_cell(tier: str, checks: Sequence[CheckInfo]) -> NotebookNode:
    points = sum(c.points for c in checks)
    hidden = sum(c.hidden for c in checks)
    secret = f", {hidden} of them hidden" if hidden else ""
    cell = nbformat.v4.new_markdown_cell(
        f"### {tier.capitalize()} tier: {len(checks)} checks, {points:g} points{secret}\n\n"
        + TIER_INTRO.get(tier, "")
    )
    cell.id = f"{HEADING_ID_PREFIX}{tier}"
    return cell


def tier_cell() -> NotebookNode:
    source = '"""The tier your hand-in reached (filled in when your teacher grades)."""\ntier()'
    return _locked_code(TIER_CELL_ID, source, None)


def sync_check_cells(nb: NotebookNode, checks: Sequence[CheckInfo]) -> NotebookNode:
    """Replace the notebook's check cells with one per check (in the given order) + the tier."""
    kept = [c for c in nb.cells if not is_check_cell(c)]
    anchor = next((i for i, c in enumerate(kept) if c.get("id") == AFTER_CELL_ID), None)
    if anchor is None:
        raise CourseError(
            f"the notebook has no markdown cell with id '{AFTER_CELL_ID}' to put the check cells "
            "after. Give the 'How you are graded' cell that id (Edit > Cell metadata)."
        )
    cells = with_cell_ids(checks)
    generated: list[NotebookNode] = [setup_cell()]
    for tier in TIERS:
        of_tier = [c for c in checks if c.tier == tier]
        if of_tier:
            generated.append(heading_cell(tier, of_tier))
            generated.extend(check_cell(info, cells[info.id]) for info in of_tier)
    generated.append(tier_cell())
    out = copy.deepcopy(nb)
    out.cells = kept[: anchor + 1] + generated + kept[anchor + 1 :]
    return out


def check_points(nb: NotebookNode) -> dict[str, float]:
    """grade_id -> points of the notebook's check cells (the tier cell has none)."""
    return {
        grade_id(c): float(nbgrader_meta(c)["points"])
        for c in nb.cells
        if is_check_cell(c) and nbgrader_meta(c).get("grade")
    }


@dataclass(frozen=True)
class NotebookState:
    """Whether nbgrader can grade a submitted notebook as it is, and if not, why."""

    notebook: NotebookNode | None
    problem: str | None  # None: gradable as submitted


def inspect_submitted(path: Path, release: NotebookNode) -> NotebookState:
    """Read a submitted notebook and decide whether nbgrader can grade it unchanged."""
    name = path.name
    if not path.exists():
        return NotebookState(None, f"{name} is missing from the submission")
    raw = path.read_bytes()
    if not raw.strip():
        return NotebookState(None, f"{name} is an empty file (0 notebook cells)")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        return NotebookState(None, f"{name} is not valid JSON ({where})")
    except UnicodeDecodeError:
        return NotebookState(None, f"{name} is not valid JSON (not UTF-8 text)")
    try:
        nb = nbformat.from_dict(data)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types for a malformed notebook
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return NotebookState(None, f"{name} is JSON but not a valid notebook ({first})")
    if not nb.cells:
        return NotebookState(nb, f"{name} has no cells")
    wanted = {grade_id(c) for c in release.cells if nbgrader_meta(c).get("grade")}
    present = {grade_id(c) for c in nb.cells}
    lost = sorted(wanted - present)
    if lost:
        return NotebookState(nb, f"{name} lost {len(lost)} graded cell(s): {', '.join(lost)}")
    return NotebookState(nb, None)


def repaired(release: NotebookNode, submitted: NotebookNode | None) -> NotebookNode:
    """The released notebook with the student's answers (solution cells, by grade_id) put in.

    Used when the submitted notebook cannot be graded as it is: deleted graded cells make
    nbgrader's own repair crash, and an unreadable notebook cannot be graded at all. The check
    cells then still run, so the DAG's checks are graded; missing answers score 0.
    """
    out = copy.deepcopy(release)
    if submitted is None:
        return out
    answers = {
        grade_id(c): c for c in submitted.cells if nbgrader_meta(c).get("solution") and grade_id(c)
    }
    for i, cell in enumerate(out.cells):
        gid = grade_id(cell)
        if gid in answers and answers[gid].cell_type == cell.cell_type:
            out.cells[i] = copy.deepcopy(cell)
            out.cells[i].source = answers[gid].source
    return out
