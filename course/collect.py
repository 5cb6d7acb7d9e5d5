"""`course collect`: every student's submission from the exchange, chosen by their due date.

nbgrader's own collect takes the latest submission, or with `--before-duedate` the latest one
before the assignment's single due date. This is the same exchange step (nbgrader's
`ExchangeCollect`, whose copying and ignore rules are kept) with the choice made per student:

- the last submission before the student's due date (the course's, or their extension);
- if there is none: under `late_policy = "penalty"` the latest late one (graded, and the export
  takes the penalty off); under `"exclude"` nothing, and a late submission collected earlier is
  moved out of `submitted/` to `late/` (kept, never graded).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from course.deadlines import DueDates, Lateness, sync_gradebook
from course.errors import CourseError
from course.layout import ASSIGNMENT, Course
from course.nbapi import Nbgrader, StepResult


@dataclass(frozen=True)
class Collected:
    """What collect decided for one student."""

    student: str
    lateness: Lateness
    status: str  # "on time", "late", "excluded"
    submissions: int  # how many the student made


@dataclass(frozen=True)
class CollectReport:
    step: StepResult
    students: list[Collected] = field(default_factory=list)
    moved_to_late: list[Path] = field(default_factory=list)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def choose(records: list[dict], dates: DueDates, student: str) -> tuple[dict | None, str]:
    """The record to collect for one student, and why (records: nbgrader's, with `timestamp`)."""
    newest_first = sorted(records, key=lambda r: r["timestamp"], reverse=True)
    due = dates.due(student)
    if due is None:
        return newest_first[0], "on time"
    on_time = [r for r in newest_first if _aware(r["timestamp"]) <= due]
    if on_time:
        return on_time[0], "on time"
    if dates.deadline.late_policy == "penalty":
        return newest_first[0], "late"
    return None, "excluded"


def _deadline_collect(nb: Nbgrader, dates: DueDates, decided: list[Collected]):
    from nbgrader.exchange.default.collect import ExchangeCollect, groupby

    class DeadlineCollect(ExchangeCollect):
        def init_src(self) -> None:
            # nbgrader's init_src, minus its single due date: the choice is per student.
            import glob
            import os

            if not self.coursedir.course_id:
                self.fail("No course id specified.")
            self.inbound_path = os.path.join(self.root, self.coursedir.course_id, "inbound")
            if not os.path.isdir(self.inbound_path):
                self.fail(f"Course not found: {self.inbound_path}")
            pattern = os.path.join(self.inbound_path, f"*+{self.coursedir.assignment_id}+*")
            records = [self._path_to_record(f) for f in glob.glob(pattern)]
            self.src_records = []
            for student, own in sorted(groupby(records, lambda r: r["username"]).items()):
                record, status = choose(own, dates, student)
                handed_in = _aware((record or max(own, key=lambda r: r["timestamp"]))["timestamp"])
                decided.append(
                    Collected(student, dates.lateness(student, handed_in), status, len(own))
                )
                if record is not None:
                    self.src_records.append(record)

    app = DeadlineCollect(coursedir=nb.coursedir, authenticator=nb.api.authenticator, parent=nb.api)
    # Replace a collected submission whenever the chosen one differs from it (nbgrader's rule
    # for `before_duedate`), also by an older one: a late resubmission never wins.
    app.update = False
    app.before_duedate = True
    return app


def _move_excluded(course: Course, excluded: list[str]) -> list[Path]:
    moved = []
    for student in excluded:
        folder = course.submission(student)
        if not folder.is_dir():
            continue
        target = course.root / "late" / student / ASSIGNMENT
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(target)
        moved.append(target)
    return moved


def collect(course: Course) -> CollectReport:
    """Collect from the exchange by the due dates; see the module docstring."""
    from nbgrader.utils import capture_log, temp_attrs

    dates = DueDates.load(course)
    nb = Nbgrader(course)
    decided: list[Collected] = []
    with temp_attrs(nb.coursedir, assignment_id=ASSIGNMENT):
        raw = capture_log(_deadline_collect(nb, dates, decided))
    step = StepResult(bool(raw.get("success")), raw.get("log", ""), raw.get("error", ""))
    if not step.success:
        return CollectReport(step)
    moved = _move_excluded(course, [c.student for c in decided if c.status == "excluded"])
    try:
        sync_gradebook(course)
    except Exception as exc:  # noqa: BLE001 - nbgrader's gradebook errors have many types
        raise CourseError(f"could not record the due date in {course.gradebook}: {exc}") from None
    return CollectReport(step, sorted(decided, key=lambda c: c.student), moved)
