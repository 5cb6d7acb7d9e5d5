"""Due dates per student: the course's due date (course.toml), moved by a student's extension.

Extensions live in `extensions.csv` in the course root (`student,until,note`), written by
`course extend` and by `course roster import` (an `extension_until` column). The same rules are
handed to nbgrader, so its own machinery agrees: the gradebook's assignment gets the due date
and each graded student's submission the extension (nbgrader's `grant_extension`); then
`total_seconds_late` and the late penalty (`LatePenaltyPlugin`, set in nbgrader_config.py) are
nbgrader's, computed from the same numbers.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin

from course.atomic import write_text_atomic
from course.errors import CourseError
from course.layout import ASSIGNMENT, Course
from course.nbapi import open_gradebook
from course.settings import Deadline, load_settings

EXTENSIONS_FILE = "extensions.csv"
EXTENSION_COLUMNS = ["student", "until", "note"]
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class Extension:
    student: str
    until: datetime  # aware
    note: str = ""


@dataclass(frozen=True)
class Lateness:
    """One hand-in measured against its student's due date."""

    handed_in: datetime | None  # aware, UTC
    due: datetime | None  # aware, UTC, the extension included
    fraction: float  # share of the score lost (Deadline.late_fraction)

    @property
    def seconds_late(self) -> float:
        if self.handed_in is None or self.due is None:
            return 0.0
        return max(0.0, (self.handed_in - self.due).total_seconds())

    @property
    def is_late(self) -> bool:
        return self.seconds_late > 0

    @property
    def days_late(self) -> int:
        """Started days late (a minute late is one day), as the penalty counts them."""
        return math.ceil(self.seconds_late / 86400)


def parse_moment(text: str, deadline: Deadline) -> datetime:
    """A date and time as a teacher writes it: ISO 8601, with or without an offset (then it is in
    the course's time zone), or a bare date (then the end of that day)."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
        for pattern in DATE_FORMATS:
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(
                f"{text!r} is not a date and time; write e.g. 2026-03-16 23:59 "
                f"(in {deadline.timezone}) or 2026-03-16T23:59+01:00"
            ) from None
    if len(value) == 10:  # a bare date: the whole day counts
        moment = moment.replace(hour=23, minute=59, second=59)
    return deadline.aware(moment).astimezone(UTC)


def extensions_path(course: Course) -> Path:
    return course.root / EXTENSIONS_FILE


def load_extensions(course: Course, deadline: Deadline | None = None) -> dict[str, Extension]:
    """student -> Extension. Problems name the file, line and column, and stop the command."""
    path = extensions_path(course)
    if not path.exists():
        return {}
    deadline = deadline or load_settings(course.root).deadline
    found: dict[str, Extension] = {}
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"student", "until"} <= set(reader.fieldnames):
            raise CourseError(f"{path}:1: the header must be {','.join(EXTENSION_COLUMNS)}")
        for row in reader:
            line = reader.line_num
            student = (row.get("student") or "").strip()
            if not student:
                problems.append(f"{path}:{line}: student: empty")
                continue
            try:
                until = parse_moment(row.get("until") or "", deadline)
            except ValueError as exc:
                problems.append(f"{path}:{line}: until: {exc}")
                continue
            if student in found:
                problems.append(f"{path}:{line}: student: {student!r} has a second extension")
            found[student] = Extension(student, until, (row.get("note") or "").strip())
    if problems:
        raise CourseError("\n".join(problems) + "\nFix these lines, or use `course extend`.")
    return found


def save_extensions(course: Course, extensions: Mapping[str, Extension]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXTENSION_COLUMNS)
    for student in sorted(extensions):
        ext = extensions[student]
        writer.writerow([student, ext.until.isoformat(timespec="minutes"), ext.note])
    path = extensions_path(course)
    write_text_atomic(path, buffer.getvalue())
    return path


def grant(course: Course, student: str, until: str, note: str = "") -> Extension:
    """`course extend STUDENT --until DATE`: set (or replace) one student's extension."""
    deadline = load_settings(course.root).deadline
    if deadline.due_utc is None:
        raise CourseError(
            f"no due date to extend: set `due` under [deadline] in {course.root / 'course.toml'}."
        )
    try:
        moment = parse_moment(until, deadline)
    except ValueError as exc:
        raise CourseError(f"--until: {exc}") from None
    if moment <= deadline.due_utc:
        raise CourseError(
            f"--until {until} is not after the due date ({deadline.describe()}); an extension "
            "moves the due date later."
        )
    extensions = load_extensions(course, deadline)
    extensions[student] = Extension(student, moment, note)
    save_extensions(course, extensions)
    return extensions[student]


@dataclass(frozen=True)
class DueDates:
    """Everyone's due date: the course's, or the student's extension."""

    deadline: Deadline
    extensions: dict[str, Extension]

    @classmethod
    def load(cls, course: Course) -> DueDates:
        deadline = load_settings(course.root).deadline
        return cls(deadline, load_extensions(course, deadline))

    def due(self, student: str) -> datetime | None:
        if student in self.extensions:
            return self.extensions[student].until
        return self.deadline.due_utc

    def lateness(self, student: str, handed_in: datetime | None) -> Lateness:
        if handed_in is not None and handed_in.tzinfo is None:  # nbgrader keeps naive UTC
            handed_in = handed_in.replace(tzinfo=UTC)
        due = self.due(student)
        probe = Lateness(handed_in, due, 0.0)
        return Lateness(handed_in, due, self.deadline.late_fraction(probe.seconds_late))

    def local(self, moment: datetime | None) -> str:
        """A moment as the teacher reads it: in the course's time zone."""
        if moment is None:
            return "-"
        return f"{moment.astimezone(self.deadline.zone):%Y-%m-%d %H:%M}"


def _naive_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def sync_gradebook(course: Course, students: Iterable[str] = ()) -> None:
    """Hand the due date to nbgrader's gradebook, and each of `students` their extension, so
    nbgrader's `total_seconds_late` (and its late penalty, and Formgrader) agree with ours."""
    dates = DueDates.load(course)
    with open_gradebook(course) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=_naive_utc(dates.deadline.due_utc))
        for student in students:
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(ASSIGNMENT, student)
            due, extension = dates.deadline.due_utc, dates.extensions.get(student)
            if due is None or extension is None:
                submission.extension = None
                gb.db.commit()
                continue
            minutes = (extension.until - due).total_seconds() / 60
            gb.grant_extension(ASSIGNMENT, student, minutes=minutes)


class LatePenaltyPlugin(LateSubmissionPlugin):
    """nbgrader's late penalty by the course's policy (course.toml [deadline]); nbgrader_config.py
    sets it as `AssignLatePenalties.plugin_class`, so plain `nbgrader autograde` applies it too."""

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float | None:
        root = self.config.get("CourseDirectory", {}).get("root")
        course = Course(Path(root)) if root else Course.default()
        fraction = load_settings(course.root).deadline.late_fraction(total_seconds_late)
        return round(score * fraction, 2) if fraction else None


def record_late_penalty(course: Course, student: str) -> Lateness:
    """After the gradebook's scores are final for now (autograde, then the reconcile step), set
    nbgrader's stored late penalty to the policy's share of them, so Formgrader shows what the
    export takes off; return the student's lateness."""
    from nbgrader.api import MissingEntry

    dates = DueDates.load(course)
    with open_gradebook(course) as gb:
        try:
            submission = gb.find_submission(ASSIGNMENT, student)
        except MissingEntry:
            return dates.lateness(student, None)
        lateness = dates.lateness(student, submission.timestamp)
        for notebook in submission.notebooks:
            penalty = round(notebook.score * lateness.fraction, 2)
            notebook.late_submission_penalty = penalty or None
        gb.db.commit()
    return lateness
