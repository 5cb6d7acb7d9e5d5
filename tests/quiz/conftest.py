"""Fixtures for the quiz tests: the real quiz, parsed once per worker."""

from __future__ import annotations

import pytest

from quiz.loader import load_quiz
from quiz.model import Quiz
from tests.quiz.paths import QUIZ_PATH


@pytest.fixture(scope="session")
def quiz() -> Quiz:
    return load_quiz(QUIZ_PATH)
