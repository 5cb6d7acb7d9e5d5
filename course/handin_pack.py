"""`course hand-in FOLDER --student ID`: the student's side of a hand-in without the exchange.

Writes `<ID>.zip` of the assignment folder with its hand-in record (course/handin_record.py),
after making sure the quiz answers are in it: the quiz saves a copy into the assignment folder
by itself (quiz/responses.py); answers it could not place there (the quiz was taken somewhere
the folder was not found) are copied in from the usual places, the newest save winning.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from course.errors import CourseError
from course.handin_record import pack
from course.layout import DAG_FILE, NOTEBOOK, Course
from course.nbapi import Nbgrader


@dataclass(frozen=True)
class HandinReport:
    zip_file: Path
    handed_in_at: datetime
    quiz: Path | None  # the answers inside the folder, or None if there are none


def _answers_places(folder: Path, student: str) -> list[Path]:
    from quiz.responses import RESPONSES_DIRNAME, responses_path

    bases = [
        folder,
        Path.cwd(),
        Path.cwd() / "notebooks",
        folder.parent,
        folder.parent / "notebooks",
    ]
    places = [responses_path(base / RESPONSES_DIRNAME, student) for base in bases]
    return list(dict.fromkeys(p for p in places if p.is_file()))


def include_quiz(folder: Path, student: str) -> Path | None:
    """Put the student's newest saved quiz answers in `folder`/quiz_responses/; return it."""
    from quiz.errors import QuizError
    from quiz.responses import RESPONSES_DIRNAME, load_responses, responses_path

    target = responses_path(folder / RESPONSES_DIRNAME, student)
    newest: tuple[datetime, Path] | None = None
    for place in _answers_places(folder, student):
        try:
            saved = load_responses(place)
        except QuizError as exc:
            raise CourseError(f"the quiz answers in {place} cannot be read: {exc}") from None
        if saved.student != student:
            continue
        if newest is None or saved.updated_at > newest[0]:
            newest = (saved.updated_at, place)
    if newest is None:
        return None
    if newest[1].resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(newest[1], target)
    return target


def hand_in(folder: Path, student: str, out_dir: Path, now: datetime | None = None) -> HandinReport:
    from quiz.responses import is_valid_student_id

    if not folder.is_dir() or not ((folder / NOTEBOOK).is_file() or (folder / DAG_FILE).is_file()):
        raise CourseError(
            f"{folder} is not an assignment folder (no {NOTEBOOK} or {DAG_FILE} in it). "
            "Pass the taxi_pipeline/ folder you worked in."
        )
    if not is_valid_student_id(student):
        raise CourseError(f"{student!r} cannot be a student id: letters, digits and ._@- only.")
    if out_dir.resolve().is_relative_to(folder.resolve()):
        raise CourseError(f"--out {out_dir} is inside the folder being zipped; pick another.")
    quiz = include_quiz(folder, student)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    ignore = Nbgrader.ignore_patterns(Course.default())
    zip_file = pack(folder, student, out_dir, ignore, now=moment)
    return HandinReport(zip_file, moment, quiz)
