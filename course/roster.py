"""`course roster import FILE`: the class list, from the CSV a registrar or LMS exports.

Columns: `id` (required; the student id used everywhere: nbgrader, the quiz, hand-in names),
`first_name`, `last_name`, `email`, and `extension_until` (a student's own due date). A
comma-, semicolon- or tab-separated file with or without Excel's byte-order mark works. Every
problem is reported as `file:line: column: what`; nothing is imported until the whole file is
right, so a half-imported class never happens.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from course.deadlines import Extension, load_extensions, parse_moment, save_extensions
from course.errors import CourseError
from course.layout import Course
from course.nbapi import open_gradebook
from course.settings import Deadline, load_settings

STUDENT_ID = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$"
COLUMNS = ("id", "first_name", "last_name", "email", "extension_until")


class RosterRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: str = Field(pattern=STUDENT_ID)
    first_name: str = ""
    last_name: str = ""
    email: str = Field(default="", pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    extension_until: str = ""


@dataclass(frozen=True)
class RosterReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_roster(path: Path, deadline: Deadline) -> list[RosterRow]:
    """Every row of the roster, validated; a CourseError lists every bad row at once."""
    if not path.is_file():
        raise CourseError(f"{path} does not exist. Pass the roster CSV (columns: id, ...).")
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(text.splitlines(), dialect=_dialect(text[:4096]))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if "id" not in header or unknown:
        raise CourseError(
            f"{path}:1: header: "
            + (f"unknown column(s) {unknown}" if unknown else "no `id` column")
            + f". Columns are {', '.join(COLUMNS)} (only `id` is required)."
        )
    rows: list[RosterRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        values = {k.strip(): (v or "") for k, v in record.items() if k is not None}
        if not any(values.values()):
            continue  # a blank line at the end of an export
        if None in record:
            problems.append(f"{path}:{line}: more fields than the header has columns")
            continue
        values = {k: v for k, v in values.items() if v.strip() or k == "id"}
        try:
            row = RosterRow.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column = ".".join(str(p) for p in error["loc"])
                message = error["msg"]
                if column == "id":
                    message = (
                        f"{values.get('id', '')!r} cannot be a student id: letters, digits and "
                        "._@+- only, no spaces (the GitHub username works)"
                    )
                problems.append(f"{path}:{line}: {column}: {message}")
            continue
        if row.id in seen:
            problems.append(f"{path}:{line}: id: {row.id!r} is also on line {seen[row.id]}")
            continue
        seen[row.id] = line
        rows.append(row)
        if row.extension_until:
            try:
                parse_moment(row.extension_until, deadline)
            except ValueError as exc:
                problems.append(f"{path}:{line}: extension_until: {exc}")
    if problems:
        raise CourseError("\n".join(problems) + "\nNothing was imported; fix these rows.")
    return rows


def import_roster(course: Course, path: Path) -> RosterReport:
    """Put every student of the roster in the gradebook; their extensions in extensions.csv."""
    deadline = load_settings(course.root).deadline
    rows = read_roster(path, deadline)
    if deadline.due_utc is None and any(row.extension_until for row in rows):
        raise CourseError(
            f"{path}: extension_until is set, but the course has no due date; set `due` "
            f"under [deadline] in {course.root / 'course.toml'} first. Nothing was imported."
        )
    extensions = load_extensions(course, deadline)
    report = RosterReport()
    with open_gradebook(course) as gb:
        known = {s.id for s in gb.students}
        for row in rows:
            gb.update_or_create_student(
                row.id,
                first_name=row.first_name or None,
                last_name=row.last_name or None,
                email=row.email or None,
            )
            (report.updated if row.id in known else report.added).append(row.id)
            if row.extension_until:
                until = parse_moment(row.extension_until, deadline)
                extensions[row.id] = Extension(row.id, until, f"roster {path.name}")
                report.extensions.append(row.id)
    if report.extensions:
        save_extensions(course, extensions)
    return report
