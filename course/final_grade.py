"""From points to a grade: the late penalty, the manual rubric, the quiz, the pass mark and the
grade per tier, all as set in course.toml. The export (course/export.py) adds these columns to
each student's row; nothing else decides a grade.

    total      = (gradebook points + rubric points [+ quiz points]) x (1 - late share)
    percent    = total / (the maximum of the same parts)
    passed     = percent >= pass_mark and the tier is at least pass_tier
    grade      = tier_grades[tier] if passed, else fail_grade; "pending" while anything still
                 waits for a person (a Formgrader question, a rubric cell, a quiz open answer
                 when the quiz counts)
"""

from __future__ import annotations

from dataclasses import dataclass

from course.deadlines import DueDates, Lateness
from course.layout import Course
from course.quiz_link import QuizScore, quiz_max_points, quiz_scores
from course.rubric import Scores, Screenshots, load_rubric, screenshots
from course.settings import TIER_ORDER, CourseSettings, load_settings

PENDING = "pending"


@dataclass(frozen=True)
class GradeContext:
    """Everything besides the gradebook that goes into a grade, read once per export."""

    settings: CourseSettings
    dates: DueDates
    rubric: dict[str, Scores]
    quiz: dict[str, QuizScore]
    quiz_max: float

    @classmethod
    def load(cls, course: Course) -> GradeContext:
        settings = load_settings(course.root)
        return cls(
            settings,
            DueDates.load(course),
            load_rubric(course, settings),
            quiz_scores(course),
            quiz_max_points(),
        )


def extra_columns(settings: CourseSettings) -> list[str]:
    """The export's columns for deadlines, the manual rubric, the quiz and the grade."""
    return [
        "days_late",
        "screenshots_found",
        "screenshots_valid",
        *(f"rubric_{item}" for item in settings.rubric),
        "rubric_score",
        "rubric_max",
        "quiz_score",
        "quiz_max",
        "quiz_to_review",
        "total",
        "total_max",
        "percent",
        "passed",
        "grade",
    ]


@dataclass(frozen=True)
class StudentPoints:
    """What the gradebook says about one student, before any of the above."""

    score: float  # every graded cell, before the late penalty
    max_score: float
    tier: str
    handed_in: bool
    needs_manual_grade: bool
    lateness: Lateness


def late_penalty_points(points: StudentPoints) -> float:
    """The points the late penalty takes off the gradebook's score (the `late_penalty` column)."""
    return round(points.score * points.lateness.fraction, 2)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{round(value, 2):g}"


def reaches(tier: str, wanted: str) -> bool:
    return TIER_ORDER.index(tier if tier in TIER_ORDER else "none") >= TIER_ORDER.index(wanted)


def final_columns(
    settings: CourseSettings,
    points: StudentPoints,
    rubric: Scores | None,
    shots: Screenshots | None,
    quiz: QuizScore | None,
    quiz_max: float,
) -> dict[str, str]:
    """One student's values for `extra_columns(settings)`."""
    grades = settings.grades
    items = {item: (rubric or {}).get(item) for item in settings.rubric}
    rubric_score = sum(v for v in items.values() if v is not None)
    rubric_max = sum(spec.points for spec in settings.rubric.values())
    counted = points.score + rubric_score
    counted_max = points.max_score + rubric_max
    if grades.count_quiz:
        counted += quiz.score if quiz else 0.0
        counted_max += quiz_max
    total = counted * (1 - points.lateness.fraction)
    percent = 100 * total / counted_max if counted_max else 0.0
    waiting = points.needs_manual_grade or any(v is None for v in items.values())
    if grades.count_quiz and quiz is not None:
        waiting = waiting or quiz.to_review > 0
    if not points.handed_in:
        passed, grade = "false", grades.fail_grade
    elif waiting:
        passed, grade = "", PENDING
    else:
        ok = percent >= grades.pass_mark and reaches(points.tier, grades.pass_tier)
        passed = str(ok).lower()
        grade = grades.tier_grades[points.tier] if ok else grades.fail_grade
    row = {
        "days_late": _fmt(points.lateness.days_late) if points.handed_in else "",
        "screenshots_found": str(shots.found) if shots else "",
        "screenshots_valid": str(shots.valid) if shots else "",
        **{f"rubric_{item}": _fmt(value) for item, value in items.items()},
        "rubric_score": _fmt(rubric_score),
        "rubric_max": _fmt(rubric_max),
        "quiz_score": _fmt(quiz.score) if quiz else "",
        "quiz_max": _fmt(quiz_max),
        "quiz_to_review": str(quiz.to_review) if quiz else "",
        "total": _fmt(total),
        "total_max": _fmt(counted_max),
        "percent": _fmt(percent),
        "passed": passed,
        "grade": grade,
    }
    return row


def grade_columns(
    context: GradeContext,
    course: Course,
    student: str,
    submission: object | None,
    totals: dict[str, float],
    maximum: float,
    row: dict[str, str],
) -> dict[str, str]:
    """The export row's late penalty, score after it, and `extra_columns` for one student
    (`submission`: nbgrader's SubmittedAssignment, or None when nothing was handed in)."""
    timestamp = getattr(submission, "timestamp", None)
    points = StudentPoints(
        score=sum(totals.values()),
        max_score=maximum,
        tier=row["tier"],
        handed_in=submission is not None,
        needs_manual_grade=row["needs_manual_grade"] == "true",
        lateness=context.dates.lateness(student, timestamp),
    )
    penalty = late_penalty_points(points)
    shots = screenshots(course.submission(student)) if submission is not None else None
    return {
        "late_penalty": _fmt(penalty),
        # As nbgrader's own export: the late penalty comes off the total, never below 0.
        "score": _fmt(max(0.0, points.score - penalty)),
        **final_columns(
            context.settings,
            points,
            context.rubric.get(student),
            shots,
            context.quiz.get(student),
            context.quiz_max,
        ),
    }
