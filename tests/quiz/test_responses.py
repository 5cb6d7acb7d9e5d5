"""Saved answers: atomic writes, round trips, resuming; an unreadable file is never overwritten."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quiz.errors import QuizError
from quiz.model import Quiz
from quiz.responses import (
    find_responses_files,
    load_responses,
    mark_submitted,
    new_responses,
    open_or_start,
    record_answer,
    save_responses,
)


def fixed_clock() -> datetime:
    return datetime(2025, 3, 7, 9, 30, tzinfo=UTC)


def test_round_trip_keeps_every_field(quiz: Quiz, tmp_path: Path) -> None:
    path = tmp_path / "ada.json"
    responses = new_responses(quiz, "ada", fixed_clock)
    responses = record_answer(responses, "retry_tries", "3", fixed_clock)
    responses = record_answer(responses, "debugging_order", ["grid", "failed_task"], fixed_clock)
    save_responses(path, responses)
    loaded = load_responses(path, quiz)
    assert loaded == responses
    assert loaded.quiz_fingerprint == quiz.fingerprint()
    assert '"schema_version": 1' in path.read_text()


def test_clearing_an_answer_removes_it(quiz: Quiz) -> None:
    responses = record_answer(new_responses(quiz, "ada"), "retry_tries", "3")
    assert record_answer(responses, "retry_tries", "").value("retry_tries") is None


def test_saving_leaves_no_temporary_files(quiz: Quiz, tmp_path: Path) -> None:
    responses = new_responses(quiz, "ada")
    for n in range(5):
        responses = record_answer(responses, "retry_tries", str(n))
        save_responses(tmp_path / "ada.json", responses)
    assert [p.name for p in tmp_path.iterdir()] == ["ada.json"]


@pytest.mark.parametrize(
    "failure", [OSError("disk full"), KeyboardInterrupt()], ids=["oserror", "ctrl-c"]
)
def test_a_failed_save_keeps_the_previous_file(
    quiz: Quiz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    path = tmp_path / "ada.json"
    first = record_answer(new_responses(quiz, "ada"), "retry_tries", "3")
    save_responses(path, first)
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(type(failure)):
        save_responses(path, record_answer(first, "retry_tries", "4"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ada.json"]


def test_resuming_returns_the_saved_answers(quiz: Quiz, tmp_path: Path) -> None:
    path = tmp_path / "ada.json"
    save_responses(path, record_answer(new_responses(quiz, "ada"), "retry_tries", "3"))
    assert open_or_start(path, quiz, "ada").value("retry_tries") == "3"
    assert open_or_start(tmp_path / "new.json", quiz, "bob").answers == {}


def test_an_unreadable_file_is_never_overwritten(quiz: Quiz, tmp_path: Path) -> None:
    path = tmp_path / "ada.json"
    path.write_text('{"format": "week11-quiz-responses", "answers": {')
    before = path.read_bytes()
    with pytest.raises(QuizError) as caught:
        open_or_start(path, quiz, "ada")
    assert "left untouched" in str(caught.value) and "ada.broken.json" in str(caught.value)
    assert path.read_bytes() == before


def test_someone_elses_file_is_refused(quiz: Quiz, tmp_path: Path) -> None:
    path = tmp_path / "ada.json"
    save_responses(path, new_responses(quiz, "ada"))
    with pytest.raises(QuizError, match="holds the answers of 'ada', not 'bob'"):
        open_or_start(path, quiz, "bob")


def test_submitted_answers_are_locked(quiz: Quiz) -> None:
    submitted = mark_submitted(new_responses(quiz, "ada"))
    with pytest.raises(QuizError, match="already submitted"):
        record_answer(submitted, "retry_tries", "3")


def test_a_bad_student_id_is_refused(quiz: Quiz) -> None:
    with pytest.raises(QuizError, match="cannot be used as a student id"):
        new_responses(quiz, "../../etc/passwd")


def test_finding_files_skips_checkpoints_and_hidden_folders(quiz: Quiz, tmp_path: Path) -> None:
    for relative in (
        "submitted/ada/week11_quiz/quiz_responses/ada.json",
        "submitted/bob/week11_quiz/quiz_responses/bob.json",
        "submitted/bob/week11_quiz/.ipynb_checkpoints/bob.json",
        ".hidden/carol.json",
    ):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("{}")
    (tmp_path / "submitted/ada/week11_quiz/quiz_responses/.ada.json.x1.tmp").write_text("{")
    found = [p.relative_to(tmp_path).as_posix() for p in find_responses_files(tmp_path)]
    assert found == [
        "submitted/ada/week11_quiz/quiz_responses/ada.json",
        "submitted/bob/week11_quiz/quiz_responses/bob.json",
    ]
