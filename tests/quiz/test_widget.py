"""The ipywidgets form, driven from Python (the browser test drives it for real): every change
is saved, incomplete orderings are not, Submit confirms gaps, then locks and shows feedback."""

from __future__ import annotations

import json
from pathlib import Path

from quiz.model import Quiz
from quiz.widget import QuizWidget


def saved(path: Path) -> dict:
    return json.loads(path.read_text())


def controls(widget: QuizWidget) -> dict:
    return {c.question.id: c for c in widget.controls}


def test_start_needs_a_valid_student_id(quiz: Quiz, tmp_path: Path) -> None:
    widget = QuizWidget(quiz, tmp_path)
    widget.student_box.value = "ada lovelace"
    widget.start()
    assert "Type your student id first" in widget.status.value
    assert widget.responses is None and list(tmp_path.iterdir()) == []


def test_every_change_is_saved_at_once(quiz: Quiz, tmp_path: Path) -> None:
    widget = QuizWidget(quiz, tmp_path, student="ada")
    path = tmp_path / "ada.json"
    c = controls(widget)
    c["scheduling_vs_orchestration"].inputs[0].value = "when_vs_how"
    assert saved(path)["answers"]["scheduling_vs_orchestration"]["value"] == "when_vs_how"
    c["logical_date_facts"].inputs[1].value = True
    c["logical_date_facts"].inputs[3].value = True
    assert saved(path)["answers"]["logical_date_facts"]["value"] == [
        "backfill_keeps_date",
        "retries_same_date",
    ]
    c["retry_tries"].inputs[0].value = "3"
    assert saved(path)["answers"]["retry_tries"]["value"] == "3"
    assert "Saved" in widget.status.value


def test_an_incomplete_ordering_is_not_saved(quiz: Quiz, tmp_path: Path) -> None:
    widget = QuizWidget(quiz, tmp_path, student="ada")
    order = controls(widget)["debugging_order"]
    order.inputs[0].value = "grid"
    order.inputs[1].value = "grid"
    assert "debugging_order" not in saved(tmp_path / "ada.json")["answers"]
    assert "Choose every step exactly once" in order.note.value
    for dropdown, item in zip(
        order.inputs,
        ["grid", "failed_task", "task_log", "try_number", "rendered_template"],
        strict=True,
    ):
        dropdown.value = item
    assert (
        saved(tmp_path / "ada.json")["answers"]["debugging_order"]["value"][-1]
        == "rendered_template"
    )
    assert order.note.value == ""


def test_submit_asks_about_gaps_then_locks_and_scores(quiz: Quiz, tmp_path: Path) -> None:
    widget = QuizWidget(quiz, tmp_path, student="ada")
    controls(widget)["scheduling_vs_orchestration"].inputs[0].value = "when_vs_how"
    assert widget.submit() is None
    assert widget.submit_button.description == "Submit anyway"
    assert "2, 3, 4, 5, 6, 7 are not answered" in widget.status.value
    result = widget.submit()
    assert result is not None and result.total == 2
    assert saved(tmp_path / "ada.json")["submitted_at"] is not None
    assert "Score: 2/20" in widget.score.value
    first = controls(widget)["scheduling_vs_orchestration"]
    assert first.inputs[0].disabled and "Correct: 2/2" in first.feedback.value
    assert "Unanswered: 0/4" in controls(widget)["month_13_debugging"].feedback.value


def test_reopening_restores_answers_and_a_submitted_quiz_stays_locked(
    quiz: Quiz, tmp_path: Path
) -> None:
    first = QuizWidget(quiz, tmp_path, student="ada")
    controls(first)["idempotent_month_load"].inputs[0].value = "Rows are duplicated."
    again = QuizWidget(quiz, tmp_path, student="ada")
    assert controls(again)["idempotent_month_load"].inputs[0].value == "Rows are duplicated."
    assert "(1 loaded)" in again.status.value
    again.submit()
    again.submit()
    locked = QuizWidget(quiz, tmp_path, student="ada")
    assert locked.submit_button.disabled and "Score: 1/20" in locked.score.value
    assert "needs teacher review" in controls(locked)["idempotent_month_load"].feedback.value
