"""The manual rubric: the parts of a hand-in a person scores (course.toml `[rubric.<item>]`).

`course rubric` writes `rubric.csv` in the course root, one row per student and one column per
rubric item, plus `comment`; the teacher fills it in (a spreadsheet works), and `course export`
reads it. Running `course rubric` again adds new students and items and keeps every score
already entered. A blank cell means "not scored yet": the export's grade waits for it.

Screenshots are also looked at by the machine: `screenshots_found` counts the image files in
the hand-in, `screenshots_valid` those that open as an image of at least 200x150 pixels (a
screenshot, not an icon or a renamed text file). Whether they show the right thing is the
teacher's `screenshots` score.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from course.atomic import write_text_atomic
from course.errors import CourseError
from course.layout import Course
from course.settings import CourseSettings

RUBRIC_FILE = "rubric.csv"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
MIN_SCREENSHOT = (200, 150)
NOT_HANDED_IN = {"feedback", ".ipynb_checkpoints"}

Scores = dict[str, float | None]  # rubric item -> points, None while not scored


@dataclass(frozen=True)
class Screenshots:
    found: int
    valid: int


def rubric_path(course: Course) -> Path:
    return course.root / RUBRIC_FILE


def _number(text: str) -> float:
    return float(text.strip().replace(",", "."))


def load_rubric(course: Course, settings: CourseSettings) -> dict[str, Scores]:
    """student -> their rubric scores; every problem as `file:line: column: what`."""
    path = rubric_path(course)
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    known = {"student", "comment", *settings.rubric}
    header = list(reader.fieldnames or [])
    if "student" not in header or set(header) - known:
        raise CourseError(
            f"{path}:1: header: columns must be student, {', '.join(settings.rubric)}, comment "
            f"(found {header}). Run `course rubric` to rewrite it, keeping the scores."
        )
    scores: dict[str, Scores] = {}
    problems: list[str] = []
    for row in reader:
        line, student = reader.line_num, (row.get("student") or "").strip()
        if not student:
            continue
        if student in scores:
            problems.append(f"{path}:{line}: student: {student!r} has a second row")
            continue
        entry: Scores = {}
        for item, spec in settings.rubric.items():
            raw = (row.get(item) or "").strip()
            if not raw:
                entry[item] = None
                continue
            try:
                value = _number(raw)
            except ValueError:
                problems.append(f"{path}:{line}: {item}: {raw!r} is not a number")
                continue
            if not 0 <= value <= spec.points:
                problems.append(f"{path}:{line}: {item}: {raw} is outside 0-{spec.points:g}")
                continue
            entry[item] = value
        scores[student] = entry
    if problems:
        raise CourseError("\n".join(problems) + "\nFix these cells (blank = not scored yet).")
    return scores


def write_template(course: Course, settings: CourseSettings, students: Iterable[str]) -> Path:
    """rubric.csv with a row per student (existing scores and comments kept)."""
    path = rubric_path(course)
    existing: dict[str, dict[str, str]] = {}
    if path.exists():
        load_rubric(course, settings)  # refuse to rewrite a file with mistakes in it
        with path.open(newline="", encoding="utf-8-sig") as handle:
            existing = {r["student"].strip(): r for r in csv.DictReader(handle) if r["student"]}
    columns = ["student", *settings.rubric, "comment"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for student in sorted(set(students) | set(existing)):
        row = {c: (existing.get(student, {}).get(c) or "") for c in columns}
        writer.writerow({**row, "student": student})
    write_text_atomic(path, buffer.getvalue())
    return path


def _is_screenshot(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            size = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return size[0] >= MIN_SCREENSHOT[0] and size[1] >= MIN_SCREENSHOT[1]


def screenshots(folder: Path) -> Screenshots:
    """Image files anywhere in a hand-in, and how many of them are real screenshots."""
    if not folder.is_dir():
        return Screenshots(0, 0)
    images = [
        p
        for p in sorted(folder.rglob("*"))
        if p.suffix.lower() in IMAGE_SUFFIXES
        and p.is_file()
        and not NOT_HANDED_IN & set(p.relative_to(folder).parts)
    ]
    return Screenshots(len(images), sum(_is_screenshot(p) for p in images))
