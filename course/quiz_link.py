"""The quiz, as part of the hand-in: each student's answers travel in their assignment folder
(`taxi_pipeline/quiz_responses/<id>.json`, written by the quiz itself), so after `course collect`
or `course import-handins` they sit in `submitted/`. This scores them with the teacher's copy of
the quiz (and `quiz_overrides.csv` in the course root, if there is one), as
`workbook quiz report <root>/submitted` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course.errors import CourseError
from course.layout import Course

OVERRIDES_FILE = "quiz_overrides.csv"


@dataclass(frozen=True)
class QuizScore:
    score: float
    max_score: float
    to_review: int  # open answers waiting for the teacher
    submitted: bool  # the student pressed Submit


def quiz_scores(course: Course) -> dict[str, QuizScore]:
    """Collected student (their submitted/ folder's name) -> their quiz score. A broken or missing
    answers file gives no entry; `workbook quiz report` says why."""
    from quiz.errors import QuizError
    from quiz.loader import DEFAULT_QUIZ, load_quiz
    from quiz.responses import find_responses_files
    from quiz.teacher.overrides import load_overrides
    from quiz.teacher.statistics import load_class, nbgrader_student

    if not course.submitted.is_dir() or not find_responses_files(course.submitted):
        return {}
    try:
        quiz = load_quiz(DEFAULT_QUIZ)
        overrides_file = course.root / OVERRIDES_FILE
        overrides = load_overrides(overrides_file, quiz) if overrides_file.exists() else {}
        students, _problems, _warnings = load_class(quiz, course.submitted, overrides)
    except QuizError as exc:
        raise CourseError(
            "the quiz answers cannot be scored:\n"
            + "\n".join(str(p) for p in exc.problems)
            + f"\nRun `workbook quiz report {course.submitted} --out quiz_report` for details."
        ) from None
    scores: dict[str, QuizScore] = {}
    for result in students:
        folder = nbgrader_student(Path(result.source)) if result.source else None
        scores[folder or result.student] = QuizScore(
            result.total,
            result.max_total,
            len(result.pending_review),
            result.submitted_at is not None,
        )
    return scores


def quiz_max_points() -> float:
    """The quiz's total points (the teacher's copy of the quiz)."""
    from quiz.errors import QuizError
    from quiz.loader import DEFAULT_QUIZ, load_quiz

    try:
        return float(load_quiz(DEFAULT_QUIZ).total_points)
    except QuizError as exc:
        raise CourseError(f"the quiz cannot be read: {exc}") from None
