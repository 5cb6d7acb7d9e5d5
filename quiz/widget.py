"""The quiz as an ipywidgets form for JupyterLab 4 (no JupyterLab extension needed).

    from quiz.widget import quiz_widget
    quiz_widget()   # asks for the student id, then shows the questions

Every change is saved at once (atomically) to `quiz_responses/<student>.json` in the kernel's
working directory, i.e. next to the notebook, where nbgrader's submit picks it up. Running the
cell again reloads the saved answers. After Submit the answers lock and the score and feedback
per question appear.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import ipywidgets as w
from markdown_it import MarkdownIt

from quiz.errors import QuizError
from quiz.loader import DEFAULT_QUIZ, load_quiz
from quiz.model import HOW_TO_ANSWER, TOPIC_LABELS, Quiz, fmt_points
from quiz.responses import (
    RESPONSES_DIRNAME,
    AnswerValue,
    Clock,
    Responses,
    handin_copy_path,
    is_valid_student_id,
    mark_submitted,
    open_or_start,
    record_answer,
    responses_path,
    save_responses,
    utc_now,
)
from quiz.scoring import QuestionResult, StudentResult, score_responses
from quiz.terminal import score_line

_MARKDOWN = MarkdownIt("commonmark")
_STYLE = """<style>
.quiz-widget .widget-radio-box label, .quiz-widget .widget-checkbox label,
.quiz-widget .widget-dropdown select { white-space: normal; height: auto; line-height: 1.4; }
.quiz-widget .widget-radio-box label { margin: 2px 0; display: flex; align-items: baseline; }
.quiz-widget .widget-radio-box input { order: -1; flex: none; }
.quiz-widget .widget-checkbox { width: 100%; height: auto; }
.quiz-widget .widget-html-content { line-height: 1.45; }
.quiz-widget .widget-html-content ul { margin: 4px 0; padding-left: 22px; }
.quiz-question { border-left: 3px solid #ccc; padding-left: 10px; margin: 10px 0; }
.quiz-feedback-correct { border-left: 4px solid #2e7d32; padding: 4px 10px; background: #eef7ee; }
.quiz-feedback-partial { border-left: 4px solid #f9a825; padding: 4px 10px; background: #fff8e1; }
.quiz-feedback-wrong, .quiz-feedback-unanswered {
  border-left: 4px solid #c62828; padding: 4px 10px; background: #fdecea; }
</style>"""
ORDER_PLACEHOLDER = "— choose a step —"


def inline_html(text: str) -> str:
    """Escape text and show `code` spans as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def plain(text: str) -> str:
    """Option labels are plain text in ipywidgets: drop the Markdown code marks."""
    return text.replace("`", "")


def default_student() -> str:
    """On JupyterHub the student id is the hub user; elsewhere the student types it."""
    return os.environ.get("JUPYTERHUB_USER", "")


class QuestionControl:
    """The input widgets of one question, and the answer value they currently hold."""

    def __init__(self, question: Any, number: int, count: int) -> None:
        self.question = question
        self.inputs: list[w.ValueWidget] = self._build_inputs()
        self.note = w.HTML()
        self.feedback = w.HTML()
        header = (
            f"<b>Question {number} of {count}</b> · {TOPIC_LABELS[question.topic]} · "
            f"{fmt_points(question.points)} point{'s' if question.points != 1 else ''} "
            f"<i>({HOW_TO_ANSWER[question.type]})</i>"
        )
        prompt = w.HTML(header + _MARKDOWN.render(question.prompt))
        self.box = w.VBox([prompt, *self.inputs, self.note, self.feedback])
        self.box.add_class("quiz-question")

    def _build_inputs(self) -> list[w.ValueWidget]:
        q, full = self.question, w.Layout(width="100%")
        if q.type == "single_choice":
            return [
                w.RadioButtons(
                    options=[(plain(o.text), o.id) for o in q.options], value=None, layout=full
                )
            ]
        if q.type == "multiple_choice":
            return [
                w.Checkbox(description=plain(o.text), indent=False, layout=full) for o in q.options
            ]
        if q.type == "ordering":
            options = [(ORDER_PLACEHOLDER, ""), *((plain(item.text), item.id) for item in q.items)]
            return [
                w.Dropdown(
                    description=f"Step {k}",
                    options=options,
                    value="",
                    layout=full,
                    style={"description_width": "4em"},
                )
                for k in range(1, len(q.items) + 1)
            ]
        if q.type == "short_answer":
            # Sync every keystroke: an answer typed just before the tab closes is still saved.
            return [w.Text(placeholder="Your answer", continuous_update=True)]
        return [
            w.Textarea(
                placeholder="Your answer, in a few sentences",
                continuous_update=True,
                layout=w.Layout(width="100%", height="8em"),
            )
        ]

    def value(self) -> tuple[AnswerValue | None, str]:
        """(answer, "") or (None, why it is not saved yet)."""
        q = self.question
        if q.type == "single_choice":
            return self.inputs[0].value, ""
        if q.type == "multiple_choice":
            return [o.id for o, box in zip(q.options, self.inputs, strict=True) if box.value], ""
        if q.type == "ordering":
            chosen = [d.value for d in self.inputs]
            if not any(chosen):
                return None, ""
            if "" in chosen or len(set(chosen)) != len(chosen):
                return None, "Choose every step exactly once; this answer is saved when complete."
            return chosen, ""
        text = self.inputs[0].value
        return (text if text.strip() else None), ""

    def show(self, value: AnswerValue | None) -> None:
        q = self.question
        if value is None:
            return
        if q.type in ("single_choice", "short_answer", "open_ended"):
            self.inputs[0].value = value
        elif q.type == "multiple_choice":
            for option, box in zip(q.options, self.inputs, strict=True):
                box.value = option.id in value
        else:
            for dropdown, item_id in zip(self.inputs, value, strict=False):
                dropdown.value = item_id

    def lock(self) -> None:
        for widget in self.inputs:
            widget.disabled = True

    def show_feedback(self, result: QuestionResult, explanation: str) -> None:
        review = " · needs teacher review" if result.needs_review else ""
        lines = "".join(f"<li>{inline_html(line)}</li>" for line in result.feedback)
        self.feedback.value = (
            f'<div class="quiz-feedback-{result.status}"><b>{result.status.capitalize()}: '
            f"{fmt_points(result.points)}/{fmt_points(result.max_points)}</b>{review}"
            f"<ul>{lines}</ul><p><i>{inline_html(explanation)}</i></p></div>"
        )


class QuizWidget(w.VBox):
    """The whole quiz: student id, questions, Submit, score."""

    def __init__(
        self,
        quiz: Quiz,
        responses_dir: Path,
        student: str | None = None,
        now: Clock = utc_now,
    ) -> None:
        self.quiz, self.responses_dir, self.now = quiz, Path(responses_dir), now
        self.responses: Responses | None = None
        self.path: Path | None = None
        self._loading = False
        self._confirming = False
        self.student_box = w.Text(
            value=student or default_student(),
            description="Student id",
            placeholder="e.g. your GitHub username",
        )
        self.start_button = w.Button(description="Start", button_style="primary")
        self.start_button.on_click(lambda _: self.start())
        self.status = w.HTML()
        self.status.add_class("quiz-status")
        self.controls = [
            QuestionControl(q, n, len(quiz.questions)) for n, q in enumerate(quiz.questions, 1)
        ]
        for control in self.controls:
            for widget in control.inputs:
                widget.observe(lambda _, c=control: self._changed(c), names="value")
        self.submit_button = w.Button(description="Submit", button_style="success")
        self.submit_button.on_click(lambda _: self.submit())
        self.score = w.HTML()
        self.score.add_class("quiz-score")
        self.questions_box = w.VBox(
            [c.box for c in self.controls] + [self.submit_button, self.score]
        )
        self.questions_box.layout.display = "none"
        intro = f"<h3>{html.escape(quiz.title)}</h3>" + _MARKDOWN.render(quiz.description or "")
        super().__init__(
            [
                w.HTML(_STYLE + intro),
                w.HBox([self.student_box, self.start_button]),
                self.status,
                self.questions_box,
            ]
        )
        self.add_class("quiz-widget")
        if student:
            self.start()

    # -- state changes ------------------------------------------------------------------------

    def _say(self, message: str, colour: str = "#555") -> None:
        self.status.value = f'<span style="color:{colour}">{message}</span>'

    def start(self) -> None:
        student = self.student_box.value.strip()
        if not is_valid_student_id(student):
            self._say(
                "Type your student id first: letters, digits, '.', '_', '-' or '@', no spaces.",
                "#c62828",
            )
            return
        path = responses_path(self.responses_dir, student)
        try:
            self.responses = open_or_start(path, self.quiz, student, self.now)
        except QuizError as exc:
            self._say("<br>".join(html.escape(str(p)) for p in exc.problems), "#c62828")
            return
        self.path = path
        self.student_box.disabled = self.start_button.disabled = True
        self._loading = True
        for control in self.controls:
            control.show(self.responses.value(control.question.id))
        self._loading = False
        self.questions_box.layout.display = None
        if self.responses.is_submitted:
            self._show_result()
            return
        answered = len(self.responses.answers)
        copy = handin_copy_path(path, student)
        self._say(
            f"Answers are saved as you go to <code>{html.escape(str(path))}</code>"
            + (f" ({answered} loaded)." if answered else ".")
            + (
                f" A copy goes with your hand-in: <code>{html.escape(str(copy))}</code>."
                if copy
                else ""
            )
        )

    def _changed(self, control: QuestionControl) -> None:
        if self._loading or self.responses is None or self.responses.is_submitted:
            return
        value, note = control.value()
        control.note.value = f'<span style="color:#8a6d00">{note}</span>' if note else ""
        self._confirming = False
        self.submit_button.description = "Submit"
        try:
            self.responses = record_answer(self.responses, control.question.id, value, self.now)
            save_responses(self.path, self.responses)
        except (OSError, QuizError) as exc:
            self._say(f"Could not save your answer: {html.escape(str(exc))}", "#c62828")
            return
        self._say(
            f"Saved {self.responses.updated_at:%H:%M:%S} UTC to "
            f"<code>{html.escape(str(self.path))}</code>."
        )

    def submit(self) -> StudentResult | None:
        if self.responses is None or self.responses.is_submitted:
            return None
        missing = [
            c.question.id for c in self.controls if self.responses.value(c.question.id) is None
        ]
        if missing and not self._confirming:
            self._confirming = True
            self.submit_button.description = "Submit anyway"
            numbers = ", ".join(
                str(i) for i, c in enumerate(self.controls, 1) if c.question.id in missing
            )
            self._say(
                f"Question(s) {numbers} are not answered. Answer them, or click "
                "<b>Submit anyway</b>.",
                "#8a6d00",
            )
            return None
        try:
            self.responses = mark_submitted(self.responses, self.now)
            save_responses(self.path, self.responses)
        except OSError as exc:
            self._say(f"Could not save: {html.escape(str(exc))}. Try again.", "#c62828")
            return None
        return self._show_result()

    def _show_result(self) -> StudentResult:
        result = score_responses(self.quiz, self.responses, source=self.path)
        for control, scored in zip(self.controls, result.questions, strict=True):
            control.lock()
            control.note.value = ""
            control.show_feedback(scored, control.question.explanation)
        self.submit_button.disabled = True
        self.submit_button.description = "Submitted"
        self.score.value = f"<h3>{html.escape(score_line(result))}</h3>"
        self._say(
            f"Submitted {self.responses.submitted_at:%Y-%m-%d %H:%M} UTC; your answers are in "
            f"<code>{html.escape(str(self.path))}</code>."
        )
        return result


def quiz_widget(
    student: str | None = None,
    responses_dir: Path | str = RESPONSES_DIRNAME,
    quiz_path: Path | str | None = None,
) -> QuizWidget:
    """The quiz form. `responses_dir` is relative to the notebook's folder."""
    quiz = load_quiz(Path(quiz_path or os.environ.get("WORKBOOK_QUIZ") or DEFAULT_QUIZ))
    return QuizWidget(quiz, Path(responses_dir), student)
