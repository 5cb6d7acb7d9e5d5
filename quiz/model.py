"""The quiz format as pydantic models. `assets/week_11_quiz.schema.json` is generated from these
(`workbook quiz schema --out ...`); docs/quiz.md is the prose reference.

Structural rules (types, required keys, no unknown keys) come from the annotations. The rules
between fields (one correct option, a permutation as the ordering key, points that add up) are
field validators raising `rule(...)`, whose `sub_loc` lets the loader point at the exact line.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1
Topic = Literal["orchestration", "logical_date", "idempotency", "retries", "debugging_flow"]
TOPICS: tuple[str, ...] = Topic.__args__
TOPIC_LABELS = {
    "orchestration": "Orchestration",
    "logical_date": "Logical date",
    "idempotency": "Idempotency",
    "retries": "Retries",
    "debugging_flow": "Debugging flow",
}
HOW_TO_ANSWER = {
    "single_choice": "choose one",
    "multiple_choice": "select all that apply",
    "ordering": "put in order",
    "short_answer": "short answer",
    "open_ended": "open answer, reviewed by your teacher",
}
QuestionType = Literal["single_choice", "multiple_choice", "ordering", "short_answer", "open_ended"]

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$"),
    Field(description="Lowercase letters, digits and underscores, starting with a letter."),
]
Text = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]
Points = Annotated[float, Field(gt=0, le=100, description="Points, e.g. 2 or 1.5.")]


def rule(reason: str, fix: str, *sub_loc: int | str) -> PydanticCustomError:
    """A broken cross-field rule. `sub_loc` continues the field's location (e.g. index 3, "id")
    so the message names the line of the offending entry, not just the list."""
    return PydanticCustomError(
        "quiz_rule", "{reason}", {"reason": reason, "fix": fix, "sub_loc": sub_loc}
    )


def same_points(a: float, b: float) -> bool:
    return math.isclose(a, b, abs_tol=1e-9)


def fmt_points(value: float) -> str:
    """2.0 -> '2', 1.5 -> '1.5', 1.8333 -> '1.83'."""
    return f"{round(value, 2):g}"


class _Strict(BaseModel):
    # A typo'd key is an error, not silently ignored; parsed quizzes never change.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceOption(_Strict):
    id: Identifier
    text: Text
    correct: bool = False
    feedback: Text = Field(description="Why this option is right, or why it is wrong.")


def _unique_ids(entries: list[Any], what: str) -> None:
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.id in seen:
            raise rule(
                f"{what} id '{entry.id}' is used twice "
                f"(entries {seen[entry.id] + 1} and {index + 1})",
                f"give every {what} its own id",
                index,
                "id",
            )
        seen[entry.id] = index


class _QuestionBase(_Strict):
    id: Identifier
    topic: Topic
    chapter: int | None = Field(default=None, ge=1, le=8, description="Chapter it comes from.")
    prompt: Text = Field(description="The question, Markdown.")
    points: Points
    explanation: Text = Field(description="Shown to every student after submission.")

    @property
    def max_points(self) -> float:
        return self.points


class SingleChoice(_QuestionBase):
    """Exactly one option is correct; all-or-nothing."""

    type: Literal["single_choice"]
    options: list[ChoiceOption] = Field(min_length=2)

    @field_validator("options")
    @classmethod
    def _one_correct(cls, options: list[ChoiceOption]) -> list[ChoiceOption]:
        _unique_ids(options, "option")
        correct = [i for i, o in enumerate(options) if o.correct]
        if not correct:
            raise rule(
                "no option is marked `correct: true` (the answer key is missing)",
                "add `correct: true` to the right option",
            )
        if len(correct) > 1:
            raise rule(
                f"{len(correct)} options are marked `correct: true` in a single_choice question",
                "keep one, or make the question `type: multiple_choice`",
                correct[1],
                "correct",
            )
        return options


class MultipleChoice(_QuestionBase):
    """Select all that apply; partial credit (see scoring.py)."""

    type: Literal["multiple_choice"]
    options: list[ChoiceOption] = Field(min_length=3)

    @field_validator("options")
    @classmethod
    def _some_correct_some_not(cls, options: list[ChoiceOption]) -> list[ChoiceOption]:
        _unique_ids(options, "option")
        if not any(o.correct for o in options):
            raise rule(
                "no option is marked `correct: true` (the answer key is missing)",
                "mark every right option with `correct: true`",
            )
        if all(o.correct for o in options):
            raise rule(
                "every option is correct, so ticking everything scores full points",
                "add at least one wrong option (a distractor) with its feedback",
            )
        return options


class OrderItem(_Strict):
    id: Identifier
    text: Text
    feedback: Text = Field(description="Why this step sits where it does in the right order.")


class Ordering(_QuestionBase):
    """Put items in order; shown in the order of `items`, keyed by `answer`."""

    type: Literal["ordering"]
    items: list[OrderItem] = Field(min_length=3, description="As shown to students (shuffle them).")
    answer: list[Identifier] = Field(description="The item ids in the correct order.")

    @field_validator("items")
    @classmethod
    def _unique_items(cls, items: list[OrderItem]) -> list[OrderItem]:
        _unique_ids(items, "item")
        return items

    @field_validator("answer")
    @classmethod
    def _answer_is_a_permutation(cls, answer: list[str], info: Any) -> list[str]:
        items = info.data.get("items")
        if items is None:
            return answer  # items failed on their own; that error is reported already
        ids = [item.id for item in items]
        for index, item_id in enumerate(answer):
            if item_id not in ids:
                raise rule(
                    f"'{item_id}' is not one of the items ({', '.join(ids)})",
                    "use the ids of the `items` entries",
                    index,
                )
            if answer.index(item_id) != index:
                raise rule(f"'{item_id}' appears twice", "list every item exactly once", index)
        missing = [i for i in ids if i not in answer]
        if missing:
            raise rule(
                f"the answer leaves out {', '.join(missing)}",
                "list every item id exactly once, in the correct order",
            )
        return answer


class NumericKey(_Strict):
    value: float
    tolerance: float = Field(default=0, ge=0, description="Accept value ± tolerance.")


class CommonMistake(_Strict):
    answer: Text = Field(description="A wrong answer students give (matched like accepted text).")
    feedback: Text


class ShortAnswer(_QuestionBase):
    """A number (with tolerance) and/or accepted text variants; all-or-nothing."""

    type: Literal["short_answer"]
    numeric: NumericKey | None = None
    accepted: list[Text] = Field(default_factory=list, description="Accepted text answers.")
    typo_tolerance: int = Field(
        default=85, ge=50, le=100, description="rapidfuzz ratio (0-100) a text answer needs."
    )
    mistakes: list[CommonMistake] = Field(
        default_factory=list, description="Expected wrong answers with feedback."
    )

    @model_validator(mode="after")
    def _key_present(self) -> ShortAnswer:
        if self.numeric is None and not self.accepted:
            raise rule(
                "the answer key is missing: neither `numeric:` nor `accepted:` is given",
                'add `numeric: {value: 3}` or `accepted: ["max_active_runs"]`',
            )
        return self


class RubricIdea(_Strict):
    id: Identifier
    description: Text = Field(description="The idea a good answer contains (shown to teachers).")
    points: Points
    phrasings: list[Text] = Field(
        min_length=1,
        description="Ways students say it. Every word (except small ones like 'the') must "
        "appear in one sentence of the answer; case, word endings and small typos are forgiven.",
    )


class RubricExample(_Strict):
    answer: Text
    points: float = Field(ge=0, description="What a teacher would give this answer.")
    comment: str | None = None


class Rubric(_Strict):
    ideas: list[RubricIdea] = Field(min_length=1)
    examples: list[RubricExample] = Field(min_length=1)
    match_threshold: int = Field(
        default=80, ge=50, le=100, description="rapidfuzz similarity (0-100) a word needs to match."
    )

    @field_validator("ideas")
    @classmethod
    def _unique_ideas(cls, ideas: list[RubricIdea]) -> list[RubricIdea]:
        _unique_ids(ideas, "idea")
        return ideas


class OpenEnded(_QuestionBase):
    """Free text, scored by rubric ideas; always flagged for teacher review."""

    type: Literal["open_ended"]
    rubric: Rubric

    @field_validator("rubric")
    @classmethod
    def _points_add_up(cls, rubric: Rubric, info: Any) -> Rubric:
        points = info.data.get("points")
        if points is None:
            return rubric
        total = sum(idea.points for idea in rubric.ideas)
        if not same_points(total, points):
            raise rule(
                f"the rubric's ideas add up to {fmt_points(total)} points but the question is "
                f"worth {fmt_points(points)}",
                "make the ideas' points add up to the question's `points`",
                "ideas",
            )
        for index, example in enumerate(rubric.examples):
            if example.points > points + 1e-9:
                raise rule(
                    f"example {index + 1} gets {fmt_points(example.points)} points, more than the "
                    f"question's {fmt_points(points)}",
                    "lower the example's points",
                    "examples",
                    index,
                    "points",
                )
        return rubric


Question = Annotated[
    SingleChoice | MultipleChoice | Ordering | ShortAnswer | OpenEnded,
    Field(discriminator="type"),
]
CHOICE_TYPES = ("single_choice", "multiple_choice")


class Quiz(_Strict):
    """A quiz file. `total_points` must equal the questions' points."""

    schema_version: Literal[1] = Field(description="Format version; this is version 1.")
    id: Identifier
    title: Text
    description: str | None = Field(default=None, description="Markdown shown above the quiz.")
    questions: list[Question] = Field(min_length=1)
    total_points: Points = Field(description="Must equal the sum of the questions' points.")

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, questions: list[Any]) -> list[Any]:
        _unique_ids(questions, "question")
        return questions

    @field_validator("total_points")
    @classmethod
    def _total_adds_up(cls, total: float, info: Any) -> float:
        questions = info.data.get("questions")
        if questions is None:
            return total
        added = sum(q.points for q in questions)
        if not same_points(added, total):
            raise rule(
                f"total_points is {fmt_points(total)} but the questions add up to "
                f"{fmt_points(added)}",
                f"set `total_points: {fmt_points(added)}`, or change the questions' points",
            )
        return total

    def question(self, question_id: str) -> Any:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def fingerprint(self) -> str:
        """Short hash of the quiz content, stored in responses to notice a changed quiz."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def quiz_json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to validate the YAML (`# yaml-language-server: $schema=`)."""
    schema = Quiz.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated from quiz/model.py by `workbook quiz schema`; do not edit.",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(quiz_json_schema(), indent=2, ensure_ascii=False) + "\n"
