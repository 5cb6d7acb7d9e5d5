"""`workbook quiz take`: the quiz in a terminal, with rich.

Input comes from an `ask(prompt) -> str` function (the console by default) so tests can feed
answers. The file is saved after every answer; Ctrl-C or a closed terminal loses nothing, and
running the command again continues where the student stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quiz.model import HOW_TO_ANSWER, TOPIC_LABELS, Quiz, fmt_points
from quiz.responses import (
    AnswerValue,
    Clock,
    Responses,
    mark_submitted,
    open_or_start,
    record_answer,
    save_responses,
    utc_now,
)
from quiz.scoring import StudentResult, score_responses

Ask = Callable[[str], str]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STATUS_STYLE = {"correct": "green", "partial": "yellow", "wrong": "red", "unanswered": "dim"}


def choices_of(question: Any) -> list[Any]:
    """Options (choice questions) or items (ordering), in the order students see them."""
    return list(question.items) if question.type == "ordering" else list(question.options)


def parse_letters(text: str, count: int) -> list[int] | None:
    """'b, d' / 'B D' / 'bd' -> [1, 3]; None if anything is not one of the first `count` letters."""
    cleaned = re.sub(r"[\s,;)]+", "", text.upper())
    if not cleaned or any(c not in LETTERS[:count] for c in cleaned):
        return None
    return [LETTERS.index(c) for c in cleaned]


def parse_answer(question: Any, text: str) -> tuple[AnswerValue | None, str]:
    """(value, "") for a valid answer, (None, why-not) otherwise."""
    if question.type in ("short_answer", "open_ended"):
        return (text.strip(), "") if text.strip() else (None, "the answer is empty")
    choices = choices_of(question)
    picked = parse_letters(text, len(choices))
    last = LETTERS[len(choices) - 1]
    if picked is None:
        return None, f"type letters from A to {last}"
    if len(set(picked)) != len(picked):
        return None, "each letter only once"
    ids = [choices[i].id for i in picked]
    if question.type == "single_choice":
        return (ids[0], "") if len(ids) == 1 else (None, "choose exactly one letter")
    if question.type == "ordering" and len(ids) != len(choices):
        return (
            None,
            f"put all {len(choices)} letters in order, e.g. {' '.join(LETTERS[: len(choices)])}",
        )
    return ids, ""


def describe_answer(question: Any, value: AnswerValue | None, width: int = 48) -> str:
    """A short rendering of an answer for tables: letters for choices, text cut to `width`."""
    if value is None:
        return "—"
    if question.type in ("short_answer", "open_ended"):
        text = " ".join(str(value).split())
        return text if len(text) <= width else text[: width - 1] + "…"
    ids = [value] if isinstance(value, str) else list(value)
    order = [c.id for c in choices_of(question)]
    return " ".join(LETTERS[order.index(i)] for i in ids if i in order)


def question_panel(question: Any, number: int, count: int) -> Panel:
    title = (
        f"Question {number} of {count} · {TOPIC_LABELS[question.topic]} · "
        f"{fmt_points(question.points)} point{'s' if question.points != 1 else ''}"
    )
    parts: list[Any] = [Markdown(question.prompt)]
    if question.type != "short_answer" and question.type != "open_ended":
        listing = Text()
        for letter, choice in zip(LETTERS, choices_of(question), strict=False):
            listing.append(f"\n {letter}) ", style="bold")
            listing.append(choice.text)
        parts.append(listing)
    return Panel(Group(*parts), title=title, subtitle=HOW_TO_ANSWER[question.type], expand=True)


def _instruction(question: Any) -> str:
    if question.type == "single_choice":
        return "Your answer (one letter; Enter to skip) > "
    if question.type == "multiple_choice":
        return "Your answer (all letters that apply, e.g. A C; Enter to skip) > "
    if question.type == "ordering":
        return "Your order (all letters, first step first, e.g. C A E B D; Enter to skip) > "
    if question.type == "short_answer":
        return "Your answer (Enter to skip) > "
    return "Your answer; end with an empty line (an empty first line skips) >\n"


def read_answer(question: Any, ask: Ask, console: Console) -> AnswerValue | None:
    """Ask until the answer is valid; None when the student skips."""
    while True:
        if question.type == "open_ended":
            lines = []
            while line := ask(_instruction(question) if not lines else "").rstrip():
                lines.append(line)
            text = "\n".join(lines)
        else:
            text = ask(_instruction(question))
        if not text.strip():
            return None
        value, problem = parse_answer(question, text)
        if value is not None:
            return value
        console.print(f"[red]Not saved:[/] {problem}.")


class TerminalSession:
    """One student taking the quiz; every method that changes an answer saves the file."""

    def __init__(
        self,
        quiz: Quiz,
        path: Path,
        student: str,
        console: Console,
        ask: Ask | None = None,
        now: Clock = utc_now,
    ) -> None:
        self.quiz, self.path, self.console, self.now = quiz, Path(path), console, now
        self.ask = ask or (lambda prompt: console.input(prompt, markup=False))
        self.responses: Responses = open_or_start(self.path, quiz, student, now)

    def run(self) -> StudentResult | None:
        """The whole flow; returns the result once submitted, None if the student stops."""
        if self.responses.is_submitted:
            self.console.print(
                f"You submitted this quiz on {self.responses.submitted_at:%Y-%m-%d %H:%M} UTC."
            )
            return self.show_result()
        self.intro()
        count = len(self.quiz.questions)
        for number, question in enumerate(self.quiz.questions, start=1):
            if self.responses.value(question.id) is None:
                self.answer(question, number, count)
        return self.review_loop()

    def intro(self) -> None:
        answered = len(self.responses.answers)
        resume = f" You answered {answered} before; continuing." if answered else ""
        self.console.print(
            Panel(
                Group(
                    Markdown(self.quiz.description or ""),
                    Text(
                        f"\n{len(self.quiz.questions)} questions, "
                        f"{fmt_points(self.quiz.total_points)} points. Answers are saved to "
                        f"{self.path} after each one; Ctrl-C stops, the same command "
                        f"continues.{resume}"
                    ),
                ),
                title=self.quiz.title,
            )
        )

    def answer(self, question: Any, number: int, count: int) -> None:
        self.console.print(question_panel(question, number, count))
        value = read_answer(question, self.ask, self.console)
        if value is None:
            self.console.print("[dim]Skipped; you can come back to it before submitting.[/]")
            return
        self.responses = record_answer(self.responses, question.id, value, self.now)
        copy = save_responses(self.path, self.responses)
        also = f" and {copy} (for your hand-in)" if copy else ""
        self.console.print(f"[green]Saved[/] to {self.path}{also}.")

    def summary_table(self) -> Table:
        table = Table(title="Your answers", title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("Topic")
        table.add_column("Answer")
        for number, question in enumerate(self.quiz.questions, start=1):
            value = self.responses.value(question.id)
            shown = describe_answer(question, value)
            table.add_row(
                str(number),
                TOPIC_LABELS[question.topic],
                shown if value is not None else "[red]not answered[/]",
            )
        return table

    def review_loop(self) -> StudentResult | None:
        count = len(self.quiz.questions)
        while True:
            self.console.print(self.summary_table())
            choice = self.ask(
                f"Type 1-{count} to change an answer, S to submit, Q to stop for now > "
            )
            choice = choice.strip().lower()
            if choice == "q":
                self.console.print(
                    f"Your answers are saved in {self.path}. Run the same command to continue."
                )
                return None
            if choice == "s":
                if self.confirm_submit():
                    return self.submit()
                continue
            if choice.isdigit() and 1 <= int(choice) <= count:
                self.answer(self.quiz.questions[int(choice) - 1], int(choice), count)
                continue
            self.console.print(f"[red]Type a number from 1 to {count}, S or Q.[/]")

    def confirm_submit(self) -> bool:
        missing = [q for q in self.quiz.questions if self.responses.value(q.id) is None]
        if not missing:
            return True
        reply = self.ask(f"{len(missing)} question(s) not answered. Submit anyway? [y/N] > ")
        return reply.strip().lower() in ("y", "yes")

    def submit(self) -> StudentResult:
        self.responses = mark_submitted(self.responses, self.now)
        save_responses(self.path, self.responses)
        self.console.print(f"[green]Submitted.[/] Your answers are in {self.path}.")
        return self.show_result()

    def show_result(self) -> StudentResult:
        result = score_responses(self.quiz, self.responses, source=self.path)
        render_result(self.console, self.quiz, result)
        return result


def score_line(result: StudentResult) -> str:
    """'Score: 14.5/20', and how much of it waits for the teacher's review."""
    line = f"Score: {fmt_points(result.total)}/{fmt_points(result.max_total)}"
    pending = [q for q in result.questions if q.needs_review]
    if pending:
        got = sum(q.points for q in pending)
        of = sum(q.max_points for q in pending)
        line += (
            f" · open answers {fmt_points(got)}/{fmt_points(of)}, provisional until your "
            "teacher reviews them"
        )
    return line


def render_result(console: Console, quiz: Quiz, result: StudentResult) -> None:
    console.print(f"\n[bold]{score_line(result)}[/]\n")
    for number, (question, scored) in enumerate(
        zip(quiz.questions, result.questions, strict=True), start=1
    ):
        style = STATUS_STYLE[scored.status]
        title = (
            f"{number}. {TOPIC_LABELS[question.topic]}: [{style}]{scored.status}[/] "
            f"{fmt_points(scored.points)}/{fmt_points(scored.max_points)}"
            + (" · needs teacher review" if scored.needs_review else "")
        )
        body = Text()
        for line in scored.feedback:
            body.append(f"• {line}\n")
        body.append(question.explanation, style="italic")
        console.print(Panel(body, title=title, title_align="left", border_style=style))
