"""Where the quiz tests find the quiz and their fixtures."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUIZ_PATH = REPO / "assets" / "week_11_quiz.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
