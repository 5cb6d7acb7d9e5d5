"""The quiz's hand-in copy (quiz/responses.py): where it goes, and what the report reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quiz.loader import DEFAULT_QUIZ, load_quiz
from quiz.responses import (
    find_responses_files,
    handin_copy_path,
    new_responses,
    record_answer,
    save_responses,
)


@pytest.fixture
def answers():
    return record_answer(new_responses(load_quiz(DEFAULT_QUIZ), "ada"), "retry_tries", "3")


def checkout(base: Path) -> Path:
    """A course checkout with the release unzipped in it: notebooks/ beside taxi_pipeline/."""
    (base / "notebooks").mkdir(parents=True)
    (base / "taxi_pipeline").mkdir()
    (base / "taxi_pipeline" / "taxi_pipeline.ipynb").write_text("{}")
    return base


def test_every_save_also_lands_in_the_assignment_folder(tmp_path: Path, answers) -> None:
    base = checkout(tmp_path / "week11")
    path = base / "notebooks" / "quiz_responses" / "ada.json"
    copy = save_responses(path, answers)
    assert copy == base / "taxi_pipeline" / "quiz_responses" / "ada.json"
    assert json.loads(copy.read_text()) == json.loads(path.read_text())


def test_answers_kept_inside_the_assignment_folder_need_no_copy(tmp_path: Path, answers) -> None:
    base = checkout(tmp_path / "week11")
    inside = base / "taxi_pipeline" / "quiz_responses" / "ada.json"
    assert save_responses(inside, answers) is None and inside.is_file()


def test_no_assignment_folder_means_no_copy(tmp_path: Path, answers) -> None:
    assert handin_copy_path(tmp_path / "quiz_responses" / "ada.json", "ada") is None


def test_the_environment_names_the_folder(tmp_path, answers, monkeypatch) -> None:
    target = tmp_path / "hub" / "taxi_pipeline"
    monkeypatch.setenv("WEEK11_ASSIGNMENT_DIR", str(target))
    assert handin_copy_path(tmp_path / "quiz_responses" / "ada.json", "ada") is None  # missing
    target.mkdir(parents=True)
    copy = save_responses(tmp_path / "quiz_responses" / "ada.json", answers)
    assert copy == target / "quiz_responses" / "ada.json" and copy.is_file()


def test_only_quiz_answers_are_read_from_a_collected_hand_in(tmp_path: Path) -> None:
    folder = tmp_path / "submitted" / "ada" / "taxi_pipeline"
    (folder / "quiz_responses").mkdir(parents=True)
    (folder / "taxi_pipeline.ipynb").write_text("{}")
    for name in ("HANDIN.json", "quiz_responses/ada.json", "include/config.json"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("{}")
    (tmp_path / "loose.json").write_text("{}")
    found = [p.relative_to(tmp_path).as_posix() for p in find_responses_files(tmp_path)]
    assert found == ["loose.json", "submitted/ada/taxi_pipeline/quiz_responses/ada.json"]
