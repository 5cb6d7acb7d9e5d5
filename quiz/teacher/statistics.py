"""Class statistics of the quiz: who scored what, how hard each question was, how well it
separated strong from weak students, and which wrong answers were popular.

Definitions (docs/quiz.md, "Class report"):
- difficulty p = mean share of the question's points (0 = nobody, 1 = everybody; higher is easier);
- discrimination D = p(upper 27%) - p(lower 27%), students ranked by total score, ties broken
  by student id; the item-rest correlation r (Pearson between the question's share and the
  total of the other questions) is in questions.csv too.

`report.py` turns a `ClassReport` into the files a teacher reads.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quiz.errors import Problem, QuizError
from quiz.model import CHOICE_TYPES, Quiz
from quiz.responses import find_responses_files, load_responses
from quiz.scoring import Override, StudentResult, score_responses, score_short
from quiz.textmatch import normalise

GROUP_SHARE = 0.27


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    question_type: str
    topic: str
    max_points: float
    answered: int
    mean_points: float
    difficulty: float
    discrimination: float | None  # upper-lower 27% index
    item_rest_r: float | None
    to_review: int


@dataclass(frozen=True)
class AnswerCount:
    question_id: str
    answer: str  # option id, normalised short answer, or an order "a > b > c"
    text: str
    is_correct: bool
    count: int
    share: float
    upper_share: float
    lower_share: float


@dataclass(frozen=True)
class ClassReport:
    quiz: Quiz
    students: tuple[StudentResult, ...]
    items: tuple[ItemStats, ...]
    answers: tuple[AnswerCount, ...]
    upper: tuple[str, ...]
    lower: tuple[str, ...]
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    written: dict[str, Path] = field(default_factory=dict)

    @property
    def totals(self) -> list[float]:
        return [s.total for s in self.students]

    def item(self, question_id: str) -> ItemStats:
        return next(i for i in self.items if i.question_id == question_id)


# ---- collecting the class ------------------------------------------------------------------


def load_class(
    quiz: Quiz, directory: Path, overrides: Mapping[tuple[str, str], Override] | None = None
) -> tuple[list[StudentResult], list[Problem], list[str]]:
    """Score every responses file below `directory`. A broken file is reported and skipped;
    the rest of the class is still scored (like nbgrader's batch)."""
    overrides = overrides or {}
    files = find_responses_files(directory)
    if not files:
        raise QuizError.single(
            directory,
            "holds no responses files (*.json)",
            "point it at the folder with the students' quiz_responses/*.json (an nbgrader "
            "submitted/ folder works)",
        )
    problems: list[Problem] = []
    latest: dict[str, tuple[Any, Path]] = {}
    warnings: list[str] = []
    other_version: list[str] = []
    for path in files:
        try:
            responses = load_responses(path, quiz)
        except QuizError as exc:
            problems.extend(exc.problems)
            continue
        if responses.quiz_fingerprint not in ("", quiz.fingerprint()):
            other_version.append(responses.student)
        collected_for = nbgrader_student(path)
        if collected_for not in (None, responses.student):
            warnings.append(
                f"{path}: nbgrader collected this for student '{collected_for}', but the file "
                f"says '{responses.student}' (scores.csv uses the id in the file)"
            )
        previous = latest.get(responses.student)
        if previous is not None:
            keep, drop = sorted(
                [(responses, path), previous], key=lambda rp: rp[0].updated_at, reverse=True
            )
            warnings.append(
                f"two files for student '{responses.student}': using {keep[1]} (saved "
                f"{keep[0].updated_at:%Y-%m-%d %H:%M}), ignoring {drop[1]}"
            )
            latest[responses.student] = keep
        else:
            latest[responses.student] = (responses, path)
    students = [
        score_responses(quiz, responses, overrides, source=path)
        for responses, path in (latest[s] for s in sorted(latest))
    ]
    unsubmitted = [s.student for s in students if s.submitted_at is None]
    if unsubmitted:
        warnings.append(
            f"{len(unsubmitted)} student(s) never pressed Submit; their saved answers are scored "
            f"as they are: {', '.join(unsubmitted)}"
        )
    if other_version:
        warnings.append(
            f"{len(other_version)} file(s) were answered on another version of the quiz (it "
            f"changed since); they are scored against this one: {', '.join(sorted(other_version))}"
        )
    known = {s.student for s in students}
    for (student, _), override in sorted(overrides.items()):
        if student not in known:
            warnings.append(f"{override.where}: no responses file for student '{student}'")
    return students, problems, warnings


def nbgrader_student(path: Path) -> str | None:
    """The student folder of an nbgrader course tree (submitted/<student>/<assignment>/...)."""
    parts = Path(path).parts
    for index, part in enumerate(parts[:-2]):
        if part in ("submitted", "autograded"):
            return parts[index + 1]
    return None


# ---- statistics ----------------------------------------------------------------------------


def upper_lower(students: Iterable[StudentResult]) -> tuple[list[str], list[str]]:
    """The top and bottom 27% by total score (ties broken by student id, so it is stable)."""
    ranked = sorted(students, key=lambda s: (-s.total, s.student))
    size = max(1, round(GROUP_SHARE * len(ranked)))
    if len(ranked) < 2:
        return [s.student for s in ranked], []
    return [s.student for s in ranked[:size]], [s.student for s in ranked[-size:]]


def pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None  # everybody got the same: the question cannot discriminate
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def item_statistics(
    quiz: Quiz, students: list[StudentResult], upper: list[str], lower: list[str]
) -> list[ItemStats]:
    by_id = {s.student: s for s in students}
    items = []
    for question in quiz.questions:
        results = [s.result(question.id) for s in students]
        shares = [r.share for r in results]
        rest = [s.total - r.points for s, r in zip(students, results, strict=True)]

        def group_mean(group: list[str], qid: str = question.id) -> float | None:
            values = [by_id[name].result(qid).share for name in group]
            return statistics.fmean(values) if values else None

        high, low = group_mean(upper), group_mean(lower)
        items.append(
            ItemStats(
                question_id=question.id,
                question_type=question.type,
                topic=question.topic,
                max_points=question.points,
                answered=sum(1 for r in results if r.status != "unanswered"),
                mean_points=statistics.fmean(r.points for r in results) if results else 0.0,
                difficulty=statistics.fmean(shares) if shares else 0.0,
                discrimination=None if high is None or low is None else high - low,
                item_rest_r=pearson(shares, rest),
                to_review=sum(1 for r in results if r.needs_review),
            )
        )
    return items


def _answer_keys(question: Any, value: Any) -> list[tuple[str, str, bool]]:
    """(key, text, is_correct) entries one answer adds to the distractor counts."""
    if value is None:
        return [("(no answer)", "", False)]
    if question.type in CHOICE_TYPES:
        picked = [value] if isinstance(value, str) else value
        return [(o.id, o.text, o.correct) for o in question.options if o.id in picked]
    if question.type == "ordering":
        return [(" > ".join(value), "", list(value) == question.answer)]
    if question.type == "short_answer":
        return [
            (normalise(str(value)), str(value).strip(), score_short(question, value).points > 0)
        ]
    return []  # open answers are read in review.md, not counted


def answer_counts(
    quiz: Quiz, students: list[StudentResult], upper: list[str], lower: list[str]
) -> list[AnswerCount]:
    """Choice questions: every option in quiz order (an unused distractor shows as 0), then
    "(no answer)". Ordering and short answers: each distinct answer, most frequent first."""
    rows = []
    for question in quiz.questions:
        if question.type == "open_ended":
            continue
        counts: Counter[str] = Counter()
        in_group = {"upper": Counter(), "lower": Counter()}
        info: dict[str, tuple[str, bool]] = {}
        if question.type in CHOICE_TYPES:
            info = {o.id: (o.text, o.correct) for o in question.options}
        for student in students:
            for key, text, is_correct in _answer_keys(question, student.answers.get(question.id)):
                counts[key] += 1
                info.setdefault(key, (text, is_correct))
                in_group["upper"][key] += student.student in upper
                in_group["lower"][key] += student.student in lower
        if question.type in CHOICE_TYPES:
            keys = [o.id for o in question.options] + (
                ["(no answer)"] if counts["(no answer)"] else []
            )
        else:
            keys = sorted(counts, key=lambda k: (-counts[k], k))
        for key in keys:
            text, is_correct = info.get(key, ("", False))
            rows.append(
                AnswerCount(
                    question.id,
                    key,
                    text,
                    is_correct,
                    counts[key],
                    counts[key] / (len(students) or 1),
                    in_group["upper"][key] / (len(upper) or 1),
                    in_group["lower"][key] / (len(lower) or 1),
                )
            )
    return rows


def topic_shares(quiz: Quiz, students: list[StudentResult]) -> dict[str, float]:
    """Share of the points available per topic, over the class (weighted by points)."""
    got: Counter[str] = Counter()
    available: Counter[str] = Counter()
    for question in quiz.questions:
        for s in students:
            got[question.topic] += s.result(question.id).points
            available[question.topic] += question.points
    return {topic: got[topic] / available[topic] for topic in available if available[topic]}


def class_report(
    quiz: Quiz,
    students: list[StudentResult],
    problems: Iterable[Problem] = (),
    warnings: Iterable[str] = (),
) -> ClassReport:
    upper, lower = upper_lower(students)
    return ClassReport(
        quiz,
        tuple(students),
        tuple(item_statistics(quiz, students, upper, lower)),
        tuple(answer_counts(quiz, students, upper, lower)),
        tuple(upper),
        tuple(lower),
        tuple(problems),
        tuple(warnings),
    )


# ---- files ---------------------------------------------------------------------------------
