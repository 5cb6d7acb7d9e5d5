"""`nbgrader export` plugin: one CSV row per student, one column per graded cell, plus the tier.

nbgrader's own CSV exporter gives one row per (student, assignment) with totals only, and
writes its fields unquoted. This one (set as `c.ExportApp.plugin_class` in nbgrader_config.py,
so plain `nbgrader export` uses it) writes, per student:

    student_id, first_name, last_name, email, status, timestamp, late_penalty, tier,
    score, max_score, checks_score, notebook_score, manual_score, needs_manual_grade,
    <one column per graded cell, in notebook order: the autograder checks, the notebook's
    tests, the runbook questions>, <the course's columns: lateness, screenshots, the manual
    rubric, the quiz, total, passed, grade (course/final_grade.py)>, problems

Students on the roster with no submission get a row of zeros and status "missing". The tier is
computed from the gradebook's check grades with the autograder's own tier rule
(`autograder.tiers`, through `autograder_results.tier_report`), so a teacher's manual override
counts and the rule is the one the autograder applies.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

from course.assignment_notebook import grade_id, is_check_cell, nbgrader_meta
from course.autograder_results import CheckInfo, CheckScore, tier_report
from course.final_grade import GradeContext, extra_columns, grade_columns
from course.grading_log import GradingReport
from course.layout import ASSIGNMENT, NOTEBOOK, Course

FIXED = [
    "student_id",
    "first_name",
    "last_name",
    "email",
    "status",
    "timestamp",
    "late_penalty",
    "tier",
    "score",
    "max_score",
    "checks_score",
    "notebook_score",
    "manual_score",
    "needs_manual_grade",
]


def _course(plugin: ExportPlugin) -> Course:
    root = plugin.config.get("CourseDirectory", {}).get("root")
    return Course(Path(root)) if root else Course.default()


def cell_order(course: Course) -> list[tuple[str, str, float]]:
    """(grade_id, kind, points) of every graded cell, in notebook order; kind: check|test|manual."""
    import nbformat

    notebook = course.release / NOTEBOOK
    if not notebook.exists():
        notebook = course.source / NOTEBOOK
    if not notebook.exists():
        return []
    order = []
    for cell in nbformat.read(str(notebook), as_version=4).cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        kind = "check" if is_check_cell(cell) else ("manual" if meta.get("solution") else "test")
        order.append((grade_id(cell), kind, float(meta.get("points", 0))))
    return order


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def rows(course: Course, gradebook: Gradebook) -> tuple[list[str], list[dict[str, str]]]:
    """The header and one row per student on the gradebook's roster."""
    report = GradingReport.load(course.grading_log)
    checks = [
        CheckInfo(id=c.id, points=c.points, tier=c.tier, hidden=c.hidden)
        for c in (report.checks if report else [])
    ]
    order = cell_order(course)
    # Hidden checks' cells have opaque names (hidden_check_01); the CSV shows the check ids.
    check_of = {c.cell: c.id for c in report.checks} if report else {}
    column = {gid: check_of.get(gid, gid) for gid, _, _ in order}
    context = GradeContext.load(course)
    header = (
        FIXED
        + [column[gid] for gid, _, _ in order]
        + extra_columns(context.settings)
        + ["problems"]
    )
    out: list[dict[str, str]] = []
    for student in sorted(gradebook.students, key=lambda s: s.id):
        row = {key: "" for key in header}
        row.update(
            student_id=student.id,
            first_name=student.first_name or "",
            last_name=student.last_name or "",
            email=student.email or "",
        )
        seen = report.students.get(student.id) if report else None
        grades: dict[str, tuple[float | None, float, bool]] = {}
        try:
            submission = gradebook.find_submission(ASSIGNMENT, student.id)
        except MissingEntry:
            submission = None
        if submission is not None:
            row["timestamp"] = str(submission.timestamp or "")
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grades[grade.name] = (grade.score, grade.max_score, grade.needs_manual_grade)
        status = seen.status if seen else ("graded" if submission is not None else "missing")
        totals = {"check": 0.0, "test": 0.0, "manual": 0.0}
        maximum = 0.0
        for gid, kind, points in order:
            score, max_score, _ = grades.get(gid, (0.0, points, False))
            maximum += max_score
            row[column[gid]] = _fmt(score if submission is not None else 0.0)
            totals[kind] += score or 0.0
        scores = [
            CheckScore(column[gid], grades[gid][0] or 0.0, grades[gid][1], hidden=False)
            for gid, kind, _ in order
            if kind == "check" and gid in grades
        ]
        row.update(
            status=status,
            tier=tier_report(scores, checks).reached if checks and submission else "none",
            max_score=_fmt(maximum),
            checks_score=_fmt(totals["check"]),
            notebook_score=_fmt(totals["test"]),
            manual_score=_fmt(totals["manual"]),
            needs_manual_grade=str(any(g[2] for g in grades.values())).lower(),
            problems=" | ".join(seen.problems) if seen else "",
        )
        row.update(grade_columns(context, course, student.id, submission, totals, maximum, row))
        out.append(row)
    return header, out


def write_csv(path: Path, header: list[str], data: list[dict[str, str]]) -> None:
    """Write atomically: a teacher's spreadsheet never sees half a file."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(buffer.getvalue())
    os.replace(tmp, path)


class GradesCsvExport(ExportPlugin):
    """One row per student: per-check columns, tier, status (see the module docstring)."""

    def export(self, gradebook: Gradebook) -> None:
        course = _course(self)
        dest = Path(self.to) if self.to else course.grades_csv
        header, data = rows(course, gradebook)
        if self.student:
            data = [r for r in data if r["student_id"] in {str(s) for s in self.student}]
        write_csv(dest, header, data)
        self.log.info("Exported %d students to %s", len(data), dest)
