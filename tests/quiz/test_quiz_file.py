"""The Week 11 quiz itself: seven questions, every topic, valid keys, feedback, points, schema."""

from __future__ import annotations

import json

import jsonschema
import yaml

from quiz.model import TOPICS, Quiz
from quiz.scoring import check_examples
from tests.quiz.paths import QUIZ_PATH, REPO

SCHEMA_PATH = REPO / "assets" / "week_11_quiz.schema.json"


def test_seven_questions_cover_every_topic(quiz: Quiz) -> None:
    assert len(quiz.questions) == 7
    assert {q.topic for q in quiz.questions} == set(TOPICS)
    assert set(TOPICS) == {
        "orchestration",
        "logical_date",
        "idempotency",
        "retries",
        "debugging_flow",
    }


def test_types_are_mixed_as_the_issue_asks(quiz: Quiz) -> None:
    kinds = [q.type for q in quiz.questions]
    assert kinds.count("ordering") >= 1
    assert kinds.count("multiple_choice") >= 1
    assert kinds.count("open_ended") >= 2
    assert "single_choice" in kinds and "short_answer" in kinds


def test_every_choice_question_has_a_valid_key(quiz: Quiz) -> None:
    for q in quiz.questions:
        if q.type == "single_choice":
            assert sum(o.correct for o in q.options) == 1, q.id
        if q.type == "multiple_choice":
            assert 0 < sum(o.correct for o in q.options) < len(q.options), q.id
        if q.type == "ordering":
            assert sorted(q.answer) == sorted(i.id for i in q.items), q.id
            assert q.answer != [i.id for i in q.items], f"{q.id}: items are shown already in order"


def test_every_option_and_item_has_its_own_feedback(quiz: Quiz) -> None:
    for q in quiz.questions:
        entries = q.options if q.type in ("single_choice", "multiple_choice") else []
        entries = q.items if q.type == "ordering" else entries
        texts = [e.feedback.strip() for e in entries]
        assert all(len(t) > 20 for t in texts), q.id
        assert len(set(texts)) == len(texts), f"{q.id}: two options share a feedback text"
        assert len(q.explanation) > 40, q.id


def test_points_add_up_to_the_declared_total(quiz: Quiz) -> None:
    assert sum(q.points for q in quiz.questions) == quiz.total_points == 20
    for q in quiz.questions:
        if q.type == "open_ended":
            assert sum(i.points for i in q.rubric.ideas) == q.points, q.id


def test_the_rubric_scores_its_own_examples_as_declared(quiz: Quiz) -> None:
    assert check_examples(quiz) == []


def test_no_airflow_2_idioms_in_the_quiz_text() -> None:
    text = QUIZ_PATH.read_text().lower()
    for removed in ("execution_date", "schedule_interval", "days_ago", "airflow.operators"):
        assert removed not in text


def test_the_yaml_validates_against_the_published_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(QUIZ_PATH.read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    data["questions"][0]["feedbak"] = "typo"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)), "schema missed a typo"


def test_the_yaml_points_editors_at_the_schema() -> None:
    assert QUIZ_PATH.read_text().startswith(
        "# yaml-language-server: $schema=./week_11_quiz.schema.json"
    )
