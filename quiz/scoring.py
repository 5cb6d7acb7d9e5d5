"""Scoring rules (docs/quiz.md, "Scoring"). Every rule is a small function of (question, answer).

- single_choice: all or nothing.
- multiple_choice: points x max(0, (right options ticked - wrong options ticked) / right options).
- ordering: points x max(0, Kendall's tau) = points x max(0, (C - D) / P), where of the P item
  pairs, C are in the right relative order and D reversed; pairs with an unplaced item count
  as neither.
- short_answer: all or nothing; one number within `tolerance`, or text equal to an accepted
  variant after normalising (case, spaces, punctuation) or within `typo_tolerance`.
- open_ended: the points of every rubric idea found (textmatch.best_phrase), never above the
  question's points; always `needs_review`, until a teacher override replaces the score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from quiz.model import (
    MultipleChoice,
    OpenEnded,
    Ordering,
    Quiz,
    ShortAnswer,
    SingleChoice,
    fmt_points,
)
from quiz.responses import AnswerValue, Responses
from quiz.textmatch import best_phrase, text_equivalent

Status = Literal["correct", "partial", "wrong", "unanswered"]
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class IdeaMatch:
    idea_id: str
    description: str
    points: float
    matched: bool
    similarity: float
    evidence: str = ""
    negated: bool = False


@dataclass(frozen=True)
class Override:
    student: str
    question_id: str
    points: float
    comment: str = ""
    where: str = ""  # file:line, for messages


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    question_type: str
    points: float
    max_points: float
    status: Status
    feedback: tuple[str, ...] = ()
    needs_review: bool = False
    ideas: tuple[IdeaMatch, ...] = ()
    auto_points: float | None = None  # what the rules gave, when a teacher override replaced it
    teacher_comment: str | None = None

    @property
    def share(self) -> float:
        return self.points / self.max_points

    @property
    def is_overridden(self) -> bool:
        return self.auto_points is not None

    @property
    def matched_ideas(self) -> tuple[str, ...]:
        return tuple(i.idea_id for i in self.ideas if i.matched)

    @property
    def missing_ideas(self) -> tuple[str, ...]:
        return tuple(i.idea_id for i in self.ideas if not i.matched)


@dataclass(frozen=True)
class StudentResult:
    student: str
    questions: tuple[QuestionResult, ...]
    source: Path | None = None
    submitted_at: datetime | None = None
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    started_at: datetime | None = None

    @property
    def minutes(self) -> float | None:
        """Time from opening the quiz to submitting it."""
        if self.started_at is None or self.submitted_at is None:
            return None
        return (self.submitted_at - self.started_at).total_seconds() / 60

    @property
    def total(self) -> float:
        return round(sum(q.points for q in self.questions), 2)

    @property
    def max_total(self) -> float:
        return round(sum(q.max_points for q in self.questions), 2)

    @property
    def pending_review(self) -> tuple[str, ...]:
        return tuple(q.question_id for q in self.questions if q.needs_review)

    def result(self, question_id: str) -> QuestionResult:
        return next(q for q in self.questions if q.question_id == question_id)


def _status(points: float, max_points: float) -> Status:
    if points >= max_points - 1e-9:
        return "correct"
    return "partial" if points > 0 else "wrong"


def _result(question: Any, share: float, feedback: list[str], **extra: Any) -> QuestionResult:
    points = round(question.points * min(1.0, max(0.0, share)), 2)
    return QuestionResult(
        question.id,
        question.type,
        points,
        question.points,
        _status(points, question.points),
        tuple(feedback),
        **extra,
    )


def score_single(question: SingleChoice, value: AnswerValue) -> QuestionResult:
    chosen = next(o for o in question.options if o.id == value)
    right = next(o for o in question.options if o.correct)
    feedback = [chosen.feedback]
    if chosen is not right:
        feedback.append(f"The right answer: {right.text} {right.feedback}")
    return _result(question, 1.0 if chosen is right else 0.0, feedback)


def score_multiple(question: MultipleChoice, value: AnswerValue) -> QuestionResult:
    ticked = set(value)
    right = [o for o in question.options if o.correct]
    right_ticked = sum(1 for o in right if o.id in ticked)
    wrong_ticked = sum(1 for o in question.options if not o.correct and o.id in ticked)
    feedback = []
    for option in question.options:
        if option.id in ticked:
            mark = "Right to tick" if option.correct else "Should not be ticked"
            feedback.append(f"{mark}: {option.text} {option.feedback}")
        elif option.correct:
            feedback.append(f"Missed: {option.text} {option.feedback}")
    return _result(question, (right_ticked - wrong_ticked) / len(right), feedback)


def kendall_share(key: list[str], order: list[str]) -> float:
    """max(0, Kendall's tau) of `order` against `key`; unplaced items count as neither."""
    position = {item: i for i, item in enumerate(order)}
    concordant = discordant = 0
    for first, second in combinations(key, 2):
        if first in position and second in position:
            if position[first] < position[second]:
                concordant += 1
            else:
                discordant += 1
    pairs = len(key) * (len(key) - 1) // 2
    return max(0.0, (concordant - discordant) / pairs)


def score_ordering(question: Ordering, value: AnswerValue) -> QuestionResult:
    order = list(value)
    texts = {item.id: item for item in question.items}
    feedback = []
    if order != question.answer:
        feedback.append(
            "The right order: "
            + " → ".join(f"{i + 1}. {texts[item].text}" for i, item in enumerate(question.answer))
        )
    for index, item_id in enumerate(question.answer):
        if index >= len(order) or order[index] != item_id:
            feedback.append(f"{texts[item_id].text} {texts[item_id].feedback}")
    return _result(question, kendall_share(question.answer, order), feedback)


def parse_number(text: str) -> float | None:
    """The single number in `text` ('3', ' 3 tries', '2,5'); None if there is none or several."""
    numbers = _NUMBER.findall(text)
    if len(numbers) != 1:
        return None
    return float(numbers[0].replace(",", "."))


def _matches_mistake(question: ShortAnswer, answer: str, mistake: str) -> bool:
    """A mistake written as a number ("2") matches numerically ("2 tries"); text as text."""
    if _NUMBER.fullmatch(mistake.strip()):
        given = parse_number(answer)
        return given is not None and abs(given - float(mistake.strip().replace(",", "."))) < 1e-9
    return text_equivalent(answer, mistake, question.typo_tolerance)


def score_short(question: ShortAnswer, value: AnswerValue) -> QuestionResult:
    answer = str(value)
    correct = False
    if question.numeric is not None:
        number = parse_number(answer)
        correct = number is not None and abs(number - question.numeric.value) <= (
            question.numeric.tolerance + 1e-9
        )
    correct = correct or any(
        text_equivalent(answer, accepted, question.typo_tolerance) for accepted in question.accepted
    )
    if correct:
        return _result(question, 1.0, ["Correct."])
    mistake = next(
        (m for m in question.mistakes if _matches_mistake(question, answer, m.answer)), None
    )
    expected = (
        fmt_points(question.numeric.value) if question.numeric is not None else question.accepted[0]
    )
    feedback = [mistake.feedback] if mistake else []
    feedback.append(f"Expected: {expected}.")
    return _result(question, 0.0, feedback)


def match_ideas(question: OpenEnded, text: str) -> tuple[IdeaMatch, ...]:
    threshold = question.rubric.match_threshold
    matches = []
    for idea in question.rubric.ideas:
        _, found = best_phrase(idea.phrasings, text, threshold)
        matches.append(
            IdeaMatch(
                idea.id,
                idea.description,
                idea.points,
                matched=found.score > 0,
                similarity=round(found.score, 1),
                evidence=found.evidence,
                negated=found.negated,
            )
        )
    return tuple(matches)


def score_open(question: OpenEnded, value: AnswerValue) -> QuestionResult:
    ideas = match_ideas(question, str(value))
    earned = sum(i.points for i in ideas if i.matched)
    feedback = []
    for idea in ideas:
        if idea.matched:
            doubt = " (after a 'not': your teacher checks this)" if idea.negated else ""
            feedback.append(f"Found: {idea.description}{doubt}")
        else:
            feedback.append(f"Missing: {idea.description}")
    feedback.append("Provisional score: your teacher reviews every open answer.")
    return _result(question, earned / question.points, feedback, needs_review=True, ideas=ideas)


SCORERS: dict[str, Callable[[Any, AnswerValue], QuestionResult]] = {
    "single_choice": score_single,
    "multiple_choice": score_multiple,
    "ordering": score_ordering,
    "short_answer": score_short,
    "open_ended": score_open,
}


def is_blank(value: AnswerValue | None) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return len(value) == 0


def score_answer(question: Any, value: AnswerValue | None) -> QuestionResult:
    if is_blank(value):
        return QuestionResult(
            question.id,
            question.type,
            0.0,
            question.points,
            "unanswered",
            ("Not answered.",),
            # An empty open answer scores 0 with nothing to review.
        )
    return SCORERS[question.type](question, value)


def apply_override(result: QuestionResult, override: Override) -> QuestionResult:
    """The teacher's points win; the automatic points are kept for the record."""
    comment = f"Teacher: {override.comment}" if override.comment else "Reviewed by your teacher."
    return replace(
        result,
        points=round(override.points, 2),
        status=_status(override.points, result.max_points),
        needs_review=False,
        auto_points=result.points,
        teacher_comment=override.comment or None,
        feedback=(*[f for f in result.feedback if not f.startswith("Provisional")], comment),
    )


def score_responses(
    quiz: Quiz,
    responses: Responses,
    overrides: Mapping[tuple[str, str], Override] | None = None,
    source: Path | None = None,
) -> StudentResult:
    overrides = overrides or {}
    results = []
    for question in quiz.questions:
        result = score_answer(question, responses.value(question.id))
        override = overrides.get((responses.student, question.id))
        results.append(apply_override(result, override) if override else result)
    return StudentResult(
        responses.student,
        tuple(results),
        source=source,
        submitted_at=responses.submitted_at,
        answers={qid: saved.value for qid, saved in responses.answers.items()},
        started_at=responses.started_at,
    )


def check_examples(quiz: Quiz) -> list[str]:
    """Rubric examples whose automatic score differs from the points the author gave them:
    a sign that an idea needs another phrasing."""
    warnings = []
    for question in quiz.questions:
        if not isinstance(question, OpenEnded):
            continue
        for index, example in enumerate(question.rubric.examples, start=1):
            auto = score_open(question, example.answer).points
            if abs(auto - example.points) > 1e-9:
                warnings.append(
                    f"question '{question.id}', example {index}: the rubric gives "
                    f"{fmt_points(auto)} points, the example says {fmt_points(example.points)}. "
                    "Add a phrasing for the idea it misses (or remove the one it wrongly finds)."
                )
    return warnings
