"""Fixtures for the quiz tests: the real quiz, parsed once per worker."""

from __future__ import annotations

import pytest

from tests.quiz.paths import QUIZ_PATH
from workbook.quiz.loader import load_quiz
from workbook.quiz.model import Quiz


@pytest.fixture(scope="session")
def quiz() -> Quiz:
    return load_quiz(QUIZ_PATH)
