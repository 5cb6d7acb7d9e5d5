"""The roster: the one file a teacher edits to say who is in the class.

A CSV file with a header line; `student` is required, `name` and `email` are optional;
blank lines and lines starting with `#` are ignored:

    student,name,email
    ada,Ada Lovelace,ada@example.org
    grace,,

A student id becomes a folder (`dags/<id>/`), a PostgreSQL role and schema (`airflow_<id>`),
a DAG id prefix (`<id>_`) and an Airflow login, so it must be lowercase letters, digits and
underscores, starting with a letter. Every problem is reported as `file:line: field: what is
wrong. Fix: ...`, all at once.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from class_airflow.errors import ClassError
from class_airflow.files import atomic_write_text

STUDENT_ID = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
COLUMNS = ("student", "name", "email")
# Logins and names the stack uses itself.
RESERVED = {"teacher", "admin", "default", "airflow", "postgres", "public", "grader"}
HEADER = "student,name,email\n"


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    line: int = 0

    @property
    def schema(self) -> str:
        return f"airflow_{self.id}"

    @property
    def role(self) -> str:
        """The PostgreSQL role; named like the schema, so `$user` in search_path finds it."""
        return f"airflow_{self.id}"

    @property
    def dag_prefix(self) -> str:
        return f"{self.id}_"

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Roster:
    path: Path
    students: tuple[Student, ...]

    def ids(self) -> list[str]:
        return [student.id for student in self.students]

    def get(self, student_id: str) -> Student | None:
        return next((s for s in self.students if s.id == student_id), None)

    def owner_of_dag_id(self, dag_id: str) -> Student | None:
        """The student whose prefix is the longest one `dag_id` starts with.

        With students `lee` and `lee_ann`, `lee_ann_taxi_pipeline` belongs to lee_ann: `lee`
        may not take it, although it starts with `lee_`.
        """
        owners = [s for s in self.students if dag_id.startswith(s.dag_prefix)]
        return max(owners, key=lambda s: len(s.id), default=None)


def id_problem(student_id: str) -> str | None:
    """What is wrong with a student id, or None."""
    if not student_id:
        return "is empty. Fix: give every row a student id, e.g. ada_lovelace"
    if not STUDENT_ID.match(student_id):
        suggestion = re.sub(r"[^a-z0-9_]", "_", student_id.lower()).strip("_")
        if not suggestion or not suggestion[0].isalpha():
            suggestion = f"s_{suggestion}".rstrip("_")
        return (
            f"{student_id!r} cannot name a folder, a PostgreSQL schema and a DAG id prefix. Fix: "
            f"use 1-30 lowercase letters, digits or underscores, starting with a letter "
            f"(e.g. {suggestion[:30]!r})"
        )
    if student_id in RESERVED:
        return f"{student_id!r} is used by the class stack itself. Fix: pick another id"
    return None


def _problem(path: Path, line: int, field: str, message: str) -> str:
    return f"{path}:{line}: {field}: {message}"


def parse(path: Path, text: str) -> Roster:
    """Read a roster; raise ClassError listing every problem with file:line: field."""
    rows = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise ClassError(
            f"{path}:1: header: the roster is empty. Fix: start it with the line "
            f"'{HEADER.strip()}' and add one student per line"
        )
    header_line, header_text = rows[0]
    header = [cell.strip().lower() for cell in next(csv.reader([header_text]))]
    problems: list[str] = []
    unknown = [column for column in header if column not in COLUMNS]
    if "student" not in header or unknown:
        what = f"unknown column(s) {', '.join(map(repr, unknown))}" if unknown else "no column"
        raise ClassError(
            _problem(
                path,
                header_line,
                "header",
                f"{what} in {header_text.strip()!r}. Fix: the first line must name the columns, "
                f"'student' required, 'name' and 'email' optional: '{HEADER.strip()}'",
            )
        )
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, line in rows[1:]:
        cells = next(csv.reader([line]))
        if len(cells) > len(header):
            problems.append(
                _problem(
                    path,
                    number,
                    "row",
                    f"{len(cells)} values for {len(header)} columns. Fix: one value per column "
                    "(quote a name that contains a comma)",
                )
            )
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        student_id = values.get("student", "")
        if problem := id_problem(student_id):
            problems.append(_problem(path, number, "student", problem))
            continue
        if student_id in seen:
            problems.append(
                _problem(
                    path,
                    number,
                    "student",
                    f"{student_id!r} is already on line {seen[student_id]}. Fix: remove one of "
                    "the two lines",
                )
            )
            continue
        email = values.get("email", "")
        if email and not re.fullmatch(r"[^@\s,]+@[^@\s,]+", email):
            problems.append(
                _problem(
                    path,
                    number,
                    "email",
                    f"{email!r} is not an e-mail address. Fix: write it like ada@example.org, "
                    "or leave it empty",
                )
            )
            continue
        seen[student_id] = number
        students.append(Student(student_id, values.get("name", ""), email, number))
    if problems:
        raise ClassError("\n".join(problems))
    return Roster(path, tuple(students))


def load(path: Path) -> Roster:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ClassError(
            f"{path}: no roster. Fix: copy class/roster.example.csv to {path} and put one "
            "student per line, or pass --roster PATH"
        ) from None
    except UnicodeDecodeError as err:
        raise ClassError(f"{path}: not UTF-8 text ({err.reason}). Fix: save it as UTF-8") from None
    return parse(path, text)


def _csv_line(student: Student) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([student.id, student.name, student.email])
    return buffer.getvalue()


def add(path: Path, student: Student) -> Roster:
    """Append one student; every other line stays as the teacher wrote it."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    roster = parse(path, text)
    if problem := id_problem(student.id):
        raise ClassError(f"student: {problem}")
    if roster.get(student.id):
        raise ClassError(f"{path}: {student.id!r} is already on the roster; nothing to add")
    if text and not text.endswith("\n"):
        text += "\n"
    text += _csv_line(student)
    updated = parse(path, text)  # the new line obeys the same rules as the teacher's
    atomic_write_text(path, text)
    return updated


def remove(path: Path, student_id: str) -> Roster:
    """Delete one student's line; every other line stays as it was."""
    roster = load(path)
    student = roster.get(student_id)
    if student is None:
        raise ClassError(f"{path}: {student_id!r} is not on the roster; nothing to remove")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[student.line - 1]
    text = "".join(lines)
    updated = parse(path, text)
    atomic_write_text(path, text)
    return updated
