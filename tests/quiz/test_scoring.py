"""Scoring rules, driven by tables, and the hand-made responses files with hand-computed scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.model import Quiz
from quiz.responses import load_responses
from quiz.scoring import (
    Override,
    kendall_share,
    parse_number,
    score_answer,
    score_responses,
)
from tests.quiz.paths import FIXTURES

KEY = ["grid", "failed_task", "task_log", "try_number", "rendered_template"]

# (question id, answer, points) -- points worked out by hand from the rules in docs/quiz.md.
RULES = [
    # single choice: all or nothing
    ("scheduling_vs_orchestration", "when_vs_how", 2),
    ("scheduling_vs_orchestration", "faster", 0),
    # multiple choice, 3 right of 5: 3 x max(0, (right - wrong) / 3)
    ("logical_date_facts", ["backfill_keeps_date", "retries_same_date", "manual_without_date"], 3),
    ("logical_date_facts", ["backfill_keeps_date", "retries_same_date"], 2),
    ("logical_date_facts", ["backfill_keeps_date"], 1),
    ("logical_date_facts", ["backfill_keeps_date", "retries_same_date", "now_equals_logical"], 1),
    ("logical_date_facts", ["backfill_keeps_date", "now_equals_logical", "worker_start_time"], 0),
    (
        "logical_date_facts",
        [
            "backfill_keeps_date",
            "retries_same_date",
            "manual_without_date",
            "now_equals_logical",
            "worker_start_time",
        ],
        1,
    ),
    # ordering, 5 items = 10 pairs: 3 x max(0, (C - D) / 10)
    ("debugging_order", KEY, 3),
    (
        "debugging_order",
        ["grid", "failed_task", "try_number", "task_log", "rendered_template"],
        2.4,
    ),
    (
        "debugging_order",
        ["failed_task", "grid", "task_log", "rendered_template", "try_number"],
        1.8,
    ),
    (
        "debugging_order",
        ["rendered_template", "grid", "failed_task", "task_log", "try_number"],
        0.6,
    ),
    ("debugging_order", KEY[::-1], 0),
    ("debugging_order", ["grid", "failed_task", "task_log"], 0.9),
    # short answer: a number, or accepted text; case, spaces and small typos forgiven
    ("retry_tries", "3", 1),
    ("retry_tries", " 3 tries ", 1),
    ("retry_tries", "3.0", 1),
    ("retry_tries", "Three", 1),
    ("retry_tries", "thre", 1),
    ("retry_tries", "2", 0),
    ("retry_tries", "2 or 3", 0),
    ("retry_tries", "there", 0),
]


@pytest.mark.parametrize(
    ("question_id", "answer", "points"), RULES, ids=[f"{r[0]}-{i}" for i, r in enumerate(RULES)]
)
def test_rule(quiz: Quiz, question_id: str, answer: object, points: float) -> None:
    result = score_answer(quiz.question(question_id), answer)
    assert result.points == pytest.approx(points)
    assert not result.needs_review


def test_kendall_share_is_the_floored_tau() -> None:
    assert kendall_share(list("abcd"), list("abcd")) == 1.0
    assert kendall_share(list("abcd"), list("bacd")) == pytest.approx(4 / 6)
    assert kendall_share(list("abcd"), list("dcba")) == 0.0
    assert kendall_share(list("abcd"), list("ab")) == pytest.approx(1 / 6)


def test_parse_number_takes_exactly_one_number() -> None:
    assert parse_number("3 tries") == 3
    assert parse_number("2,5") == 2.5
    assert parse_number("2 or 3") is None
    assert parse_number("three") is None


def test_wrong_short_answer_gets_the_feedback_for_that_mistake(quiz: Quiz) -> None:
    result = score_answer(quiz.question("retry_tries"), "2")
    assert "1 first try + 2 retries = 3" in result.feedback[0]
    assert result.feedback[-1] == "Expected: 3."


def test_single_choice_feedback_explains_the_distractor_and_names_the_answer(quiz: Quiz) -> None:
    result = score_answer(quiz.question("scheduling_vs_orchestration"), "faster")
    assert result.feedback[0].startswith("Dependencies force an order")
    assert result.feedback[1].startswith("The right answer: Cron only starts a job on time")


# Open answers: (question id, answer, matched ideas). Wording, case and small typos must not
# matter; the points follow from the ideas (1 + 2 + 1 and 1 + 1 + 1 + 1).
OPEN = [
    (
        "idempotent_month_load",
        "DUPLICATES. DELETE + INSERT by month, one TRANSACTION.",
        {"duplicates", "delete_then_insert", "one_transaction"},
    ),
    (
        "idempotent_month_load",
        "You get every March row twice. Overwrite the month partition atomically.",
        {"duplicates", "delete_then_insert", "one_transaction"},
    ),
    (
        "idempotent_month_load",
        "the data gets dupilcated; you shuold delte the month first",
        {"duplicates", "delete_then_insert"},
    ),
    ("idempotent_month_load", "Use an upsert so reruns do not add rows.", {"delete_then_insert"}),
    ("idempotent_month_load", "It works, Airflow is smart.", set()),
    (
        "month_13_debugging",
        "It's not transient. Check the rendered template. Month 13: December + 1 did not "
        "roll over. Re-run it after the fix.",
        {"deterministic", "rendered_template", "month_overflow", "clear_and_rerun"},
    ),
    (
        "month_13_debugging",
        "retrys only help for transient problems. i would read the logs",
        {"deterministic", "rendered_template"},
    ),
    (
        "month_13_debugging",
        "Clear the failed task instance once the code is fixed.",
        {"clear_and_rerun"},
    ),
    ("month_13_debugging", "Give it more retries.", set()),
]


@pytest.mark.parametrize(
    ("question_id", "answer", "ideas"), OPEN, ids=[f"{o[0]}-{i}" for i, o in enumerate(OPEN)]
)
def test_open_answer_ideas(quiz: Quiz, question_id: str, answer: str, ideas: set[str]) -> None:
    question = quiz.question(question_id)
    result = score_answer(question, answer)
    assert set(result.matched_ideas) == ideas
    assert set(result.missing_ideas) == {i.id for i in question.rubric.ideas} - ideas
    expected = sum(i.points for i in question.rubric.ideas if i.id in ideas)
    assert result.points == pytest.approx(expected) and result.points <= result.max_points
    assert result.needs_review, "every open answer waits for the teacher"


def test_a_negated_idea_still_counts_but_is_flagged(quiz: Quiz) -> None:
    result = score_answer(quiz.question("idempotent_month_load"), "You do not need a transaction.")
    idea = next(i for i in result.ideas if i.idea_id == "one_transaction")
    assert idea.matched and idea.negated
    assert any("your teacher checks this" in line for line in result.feedback)


def test_unanswered_is_zero_and_needs_no_review(quiz: Quiz) -> None:
    for question in quiz.questions:
        result = score_answer(question, None)
        assert (result.points, result.status, result.needs_review) == (0, "unanswered", False)
    assert score_answer(quiz.question("month_13_debugging"), "   ").status == "unanswered"


# The hand-made files in fixtures/responses/, with every question's points worked out by hand.
HAND_MADE = {
    "all_right": [2, 3, 4, 3, 1, 3, 4],
    "all_wrong": [0, 0, 0, 0, 0, 0, 0],
    "partial": [0, 1, 1, 2, 0, 2.4, 2],
    "empty": [0, 0, 0, 0, 0, 0, 0],
    "typos": [2, 0, 4, 0, 1, 0, 4],
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_responses(quiz: Quiz, name: str) -> None:
    path = FIXTURES / "responses" / f"{name}.json"
    result = score_responses(quiz, load_responses(path, quiz), source=path)
    assert [q.points for q in result.questions] == pytest.approx(HAND_MADE[name])
    assert result.total == pytest.approx(sum(HAND_MADE[name]))
    assert result.max_total == 20
    expected_review = 0 if name == "empty" else 2
    assert len(result.pending_review) == expected_review


def test_partial_statuses(quiz: Quiz) -> None:
    path = FIXTURES / "responses" / "partial.json"
    result = score_responses(quiz, load_responses(path, quiz))
    assert [q.status for q in result.questions] == [
        "wrong", "partial", "partial", "partial", "wrong", "partial", "partial",
    ]  # fmt: skip


def test_teacher_override_wins_and_keeps_the_automatic_points(quiz: Quiz) -> None:
    path = FIXTURES / "responses" / "partial.json"
    overrides = {
        ("partial", "idempotent_month_load"): Override(
            "partial", "idempotent_month_load", 3.5, "Good idea, no transaction."
        ),
        ("partial", "scheduling_vs_orchestration"): Override(
            "partial", "scheduling_vs_orchestration", 1
        ),
        ("someone_else", "retry_tries"): Override("someone_else", "retry_tries", 1),
    }
    result = score_responses(quiz, load_responses(path, quiz), overrides)
    open_answer = result.result("idempotent_month_load")
    assert (open_answer.points, open_answer.auto_points) == (3.5, 1)
    assert not open_answer.needs_review and open_answer.status == "partial"
    assert open_answer.feedback[-1] == "Teacher: Good idea, no transaction."
    assert result.result("scheduling_vs_orchestration").points == 1
    assert result.result("retry_tries").points == 0
    assert result.total == pytest.approx(8.4 - 1 + 3.5 + 1)
    assert result.pending_review == ("month_13_debugging",)


def test_scores_never_exceed_the_maximum(quiz: Quiz) -> None:
    for path in sorted((FIXTURES / "responses").glob("*.json")):
        result = score_responses(quiz, load_responses(Path(path), quiz))
        assert all(0 <= q.points <= q.max_points for q in result.questions)
