"""The Week 11 quiz: a YAML file with its schema, rendered in JupyterLab and the terminal, scored
with partial credit and teacher overrides, and summarised for a class.

Data moves one way: `loader.load_quiz` -> `Quiz` -> answers in a `Responses` file
(`responses.py`, written atomically) -> `scoring.score_responses` -> `StudentResult` ->
`report.build_report`. Nothing after scoring reads the YAML again.
"""

from quiz.errors import Problem, QuizError
from quiz.loader import load_quiz
from quiz.model import Quiz

__all__ = ["Problem", "Quiz", "QuizError", "load_quiz"]
