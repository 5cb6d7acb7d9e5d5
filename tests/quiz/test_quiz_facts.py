"""The quiz's claims about Airflow, checked against a real run.

A quiz that contradicts the workbook teaches the wrong thing twice, so where an option's feedback
states how Airflow behaves, the behaviour is run here and the feedback must say what happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.loader import load_quiz
from taxi_source.server import RunningSource

REPO = Path(__file__).resolve().parents[2]


def _option_feedback(question_id: str, option_id: str) -> str:
    quiz = load_quiz(REPO / "assets" / "week_11_quiz.yaml")
    question = next(q for q in quiz.questions if q.id == question_id)
    option = next(o for o in question.options if o.id == option_id)
    return " ".join(option.feedback.split())


@pytest.mark.slow
def test_a_manual_run_without_a_logical_date_cannot_render_ds(
    tmp_path: Path, taxi_source: RunningSource
) -> None:
    # Its own process and Airflow home: the chapter DAGs are a different dags folder, and
    # Airflow reads its folder once, at import. The session's source: without one, the
    # workbook would start its background source and leave it running after the test.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | {
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "notebooks" / "dags"),
        "TAXI_SOURCE_URL": taxi_source.base_url,
    }
    manual_run = subprocess.run(
        [sys.executable, "-m", "workbook", "run", "ch05_dates_in_tasks", "--log", "templated"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = manual_run.stdout + manual_run.stderr
    assert "templated" in output and "failed" in output, output[-3000:]
    assert "'ds' is undefined" in output, output[-3000:]

    feedback = _option_feedback("logical_date_facts", "manual_without_date")
    assert "'ds' is undefined" in feedback and "fails to render" in feedback, feedback
    assert "empty" not in feedback, "the template fails; it does not render an empty string"
