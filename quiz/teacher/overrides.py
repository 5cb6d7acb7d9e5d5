"""Teacher overrides: points a teacher gives by hand, which win over the automatic score.

CSV (comma, semicolon or tab separated; a spreadsheet export works)::

    student,question,points,comment
    ada_lovelace,idempotent_month_load,3.5,"Good, but no transaction"

or YAML, a list of mappings with the same keys. `report` writes `overrides_template.csv` with
one row per open answer, pre-filled with the automatic points, to edit and pass back.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quiz.errors import Problem, QuizError
from quiz.loader import parse_yaml, read_text
from quiz.model import Quiz, fmt_points
from quiz.responses import STUDENT_PATTERN
from quiz.scoring import Override

REQUIRED_COLUMNS = ("student", "question", "points")
# Columns `report` writes into the template for context; they are read and ignored.
INFO_COLUMNS = ("comment", "max_points", "auto_points", "matched", "missing", "answer")


class OverrideEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    student: str = Field(pattern=STUDENT_PATTERN)
    question: str
    points: float = Field(ge=0)
    comment: str = ""


def load_overrides(path: Path, quiz: Quiz) -> dict[tuple[str, str], Override]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        entries = _csv_entries(path)
    elif suffix in (".yaml", ".yml"):
        entries = _yaml_entries(path)
    else:
        raise QuizError.single(
            path, "overrides must be a .csv or .yaml file", "rename or convert it"
        )
    return _checked(path, entries, quiz)


def _csv_entries(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text = read_text(path).lstrip("\ufeff")  # Excel's UTF-8 byte order mark
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        raise QuizError.single(
            path, "is empty", "start with the header line student,question,points,comment", line=1
        )
    columns = [c.strip().lower() for c in rows[0]]
    problems = []
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.append(
                Problem(path, 1, column, f"the header has no `{column}` column", _header_fix())
            )
    for column in columns:
        if column not in REQUIRED_COLUMNS + INFO_COLUMNS:
            problems.append(Problem(path, 1, column, f"unknown column `{column}`", _header_fix()))
    if problems:
        raise QuizError(problems)
    entries = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns)}
        points = record["points"]
        if delimiter != "," and re.fullmatch(r"\d+,\d+", points):
            points = points.replace(",", ".")  # a Dutch spreadsheet writes 3,5
        entry = {
            "student": record["student"],
            "question": record["question"],
            "points": points if points else None,
            "comment": record.get("comment", ""),
        }
        entries.append((line, entry))
    return entries


def _header_fix() -> str:
    return "the first line must be: student,question,points,comment (comment is optional)"


def _yaml_entries(path: Path) -> list[tuple[int, dict[str, Any]]]:
    document = parse_yaml(path, read_text(path))
    if document.data is None:
        return []
    if not isinstance(document.data, list):
        raise QuizError.single(
            path,
            "must be a list of overrides (lines starting with `- student: ...`)",
            "see docs/quiz.md, 'Teacher overrides'",
            line=1,
        )
    entries = []
    for index, entry in enumerate(document.data):
        line, _ = document.locate((index,))
        entries.append((line or 1, entry))
    return entries


def _checked(
    path: Path, entries: list[tuple[int, Any]], quiz: Quiz
) -> dict[tuple[str, str], Override]:
    problems: list[Problem] = []
    found: dict[tuple[str, str], Override] = {}
    for line, raw in entries:
        if not isinstance(raw, dict):
            problems.append(
                Problem(path, line, "", "expected student, question, points", _header_fix())
            )
            continue
        try:
            entry = OverrideEntry.model_validate(raw)
        except ValidationError as exc:
            for detail in exc.errors(include_url=False):
                problems.append(_entry_problem(path, line, detail))
            continue
        try:
            question = quiz.question(entry.question)
        except KeyError:
            problems.append(
                Problem(
                    path,
                    line,
                    "question",
                    f"there is no question '{entry.question}' in quiz '{quiz.id}'",
                    "questions are: " + ", ".join(q.id for q in quiz.questions),
                )
            )
            continue
        if entry.points > question.points + 1e-9:
            problems.append(
                Problem(
                    path,
                    line,
                    "points",
                    f"{fmt_points(entry.points)} points is more than question "
                    f"'{question.id}' is worth ({fmt_points(question.points)})",
                    f"give between 0 and {fmt_points(question.points)}",
                )
            )
            continue
        key = (entry.student, entry.question)
        if key in found:
            problems.append(
                Problem(
                    path,
                    line,
                    "",
                    f"a second override for {entry.student} / {entry.question} "
                    f"(the first is at {found[key].where})",
                    "keep one line per student and question",
                )
            )
            continue
        found[key] = Override(
            entry.student, entry.question, entry.points, entry.comment, f"{path}:{line}"
        )
    if problems:
        raise QuizError(problems)
    return found


def _entry_problem(path: Path, line: int, detail: dict[str, Any]) -> Problem:
    field = str(detail["loc"][0]) if detail["loc"] else ""
    value = detail.get("input")
    if detail["type"] == "missing" or (field == "points" and value is None):
        return Problem(path, line, field, f"`{field}` is empty", f"fill in {field}")
    if field == "points" and detail["type"].startswith("greater_than"):
        return Problem(path, line, field, f"{value} points is negative", "give 0 or more")
    if field == "points":
        return Problem(
            path, line, field, f"{value!r} is not a number of points", "write e.g. 3 or 2.5"
        )
    if field == "student":
        return Problem(
            path,
            line,
            field,
            f"{value!r} is not a student id",
            "copy the id from scores.csv (letters, digits, . _ - @, no spaces)",
        )
    if detail["type"] == "extra_forbidden":
        return Problem(
            path, line, field, f"unknown key `{field}`", "use student, question, points, comment"
        )
    return Problem(path, line, field, detail["msg"], "")
