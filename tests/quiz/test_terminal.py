"""`workbook quiz take`'s session, driven by scripted input: save per answer, Ctrl-C, resume."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from quiz.model import Quiz
from quiz.terminal import TerminalSession, parse_answer

# Letters as the terminal shows them (options in the YAML's order).
ALL_RIGHT = [
    "C",  # scheduling_vs_orchestration: when_vs_how
    "B D E",  # logical_date_facts
    "March is inserted twice.",  # idempotent_month_load, open: two lines, then an empty one
    "Delete the month first and insert, in one transaction.",
    "",
    "b,d,f",  # what_retries_fix
    "3",  # retry_tries
    "C E A D B",  # debugging_order
    "It is deterministic. The rendered template shows month 13. Clear the task after the fix.",
    "",
    "s",
]


class Script:
    """Answers prompts from a list; raises KeyboardInterrupt where the list says "^C"."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.replies:
            raise EOFError
        reply = self.replies.pop(0)
        if reply == "^C":
            raise KeyboardInterrupt
        return reply


def session(quiz: Quiz, path: Path, script: Script) -> tuple[TerminalSession, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, color_system=None)
    return TerminalSession(quiz, path, "ada", console, ask=script), buffer


def saved(path: Path) -> dict:
    return json.loads(path.read_text())


def test_a_full_run_saves_submits_and_scores(quiz: Quiz, tmp_path: Path) -> None:
    path = tmp_path / "ada.json"
    run, output = session(quiz, path, Script(ALL_RIGHT))
    result = run.run()
    assert result is not None and result.total == 20
    data = saved(path)
    assert data["submitted_at"] is not None and len(data["answers"]) == 7
    assert data["answers"]["debugging_order"]["value"] == [
        "grid", "failed_task", "task_log", "try_number", "rendered_template",
    ]  # fmt: skip
    assert data["answers"]["idempotent_month_load"]["value"].count("\n") == 1
    assert "Score: 20/20" in output.getvalue()


def test_invalid_input_is_asked_again(quiz: Quiz, tmp_path: Path) -> None:
    script = Script(["Z", "A B", "C", "^C"])
    run, output = session(quiz, tmp_path / "ada.json", script)
    with pytest.raises(KeyboardInterrupt):
        run.run()
    text = output.getvalue()
    assert "Not saved: type letters from A to D" in text
    assert "Not saved: choose exactly one letter" in text
    assert saved(tmp_path / "ada.json")["answers"]["scheduling_vs_orchestration"]["value"] == (
        "when_vs_how"
    )


def test_ctrl_c_loses_nothing_and_the_next_run_resumes(quiz: Quiz, tmp_path: Path) -> None:
    path = tmp_path / "ada.json"
    first, _ = session(quiz, path, Script([*ALL_RIGHT[:5], "^C"]))
    with pytest.raises(KeyboardInterrupt):
        first.run()
    assert set(saved(path)["answers"]) == {
        "scheduling_vs_orchestration", "logical_date_facts", "idempotent_month_load",
    }  # fmt: skip
    script = Script(ALL_RIGHT[5:])
    second, output = session(quiz, path, script)
    assert second.run().total == 20
    assert "You answered 3 before; continuing." in " ".join(output.getvalue().split())
    assert "Question 4 of 7" in output.getvalue() and "Question 3 of 7" not in output.getvalue()
    assert script.prompts[0].startswith("Your answer (all letters that apply")


def test_skipped_questions_can_be_answered_from_the_review(quiz: Quiz, tmp_path: Path) -> None:
    replies = [*ALL_RIGHT[:6], "", *ALL_RIGHT[7:10], "5", "three", "s"]
    run, _ = session(quiz, tmp_path / "ada.json", Script(replies))
    result = run.run()
    assert result.result("retry_tries").points == 1 and result.total == 20


def test_submitting_with_gaps_asks_first_and_quitting_keeps_the_answers(
    quiz: Quiz, tmp_path: Path
) -> None:
    replies = ["C", "", "", "", "", "", "", "", "s", "n", "q"]
    path = tmp_path / "ada.json"
    run, output = session(quiz, path, Script(replies))
    assert run.run() is None
    assert "6 question(s) not answered" in "".join(run.ask.prompts)
    assert saved(path)["submitted_at"] is None
    assert saved(path)["answers"]["scheduling_vs_orchestration"]["value"] == "when_vs_how"


def test_a_submitted_quiz_shows_the_result_without_asking(quiz: Quiz, tmp_path: Path) -> None:
    path = tmp_path / "ada.json"
    session(quiz, path, Script(ALL_RIGHT))[0].run()
    script = Script([])
    run, output = session(quiz, path, script)
    assert run.run().total == 20
    assert script.prompts == [] and "You submitted this quiz" in output.getvalue()


@pytest.mark.parametrize(
    ("question_id", "text", "value"),
    [
        (
            "logical_date_facts",
            "b, d;e",
            ["backfill_keeps_date", "retries_same_date", "manual_without_date"],
        ),
        ("logical_date_facts", "bb", None),
        ("debugging_order", "C E A D", None),
        (
            "debugging_order",
            "c e a d b",
            ["grid", "failed_task", "task_log", "try_number", "rendered_template"],
        ),
        ("retry_tries", "   ", None),
    ],
)
def test_parse_answer(quiz: Quiz, question_id: str, text: str, value: object) -> None:
    assert parse_answer(quiz.question(question_id), text)[0] == value
