"""The self-check registry: `@exercise` registers a check function under an exercise id, and
`check()` runs it and turns the outcome into a `Result` (✅, or ❌ with a hint).

A check function receives the notebook's Workbook first, then whatever the check cell passes
(the student's answer). It says nothing when the answer is right; when it is not, it raises
`Hint`, whose message is what the student reads. Anything else a check raises is reported as
"checking your answer raised X" with the same framing, never as a traceback.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from workbook.runner import RunReport
    from workbook.session import Workbook

CheckFunction = Callable[..., None]
F = TypeVar("F", bound=CheckFunction)


class Hint(Exception):
    """A self-check did not pass; the message tells the student what to try next."""


@dataclass(frozen=True)
class Result:
    exercise: str
    passed: bool
    message: str

    def __str__(self) -> str:
        return f"{'✅' if self.passed else '❌'} {self.exercise}: {self.message}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        colour, mark = ("#e8f5e9", "✅") if self.passed else ("#fff3e0", "❌")
        return (
            f"<div style='background:{colour};padding:6px 10px;border-radius:4px'>"
            f"{mark} <b>{html.escape(self.exercise)}</b>: {html.escape(self.message)}</div>"
        )


@dataclass(frozen=True)
class Exercise:
    id: str
    func: CheckFunction
    success: str


EXERCISES: dict[str, Exercise] = {}
RESULTS: dict[str, bool] = {}


def exercise(exercise_id: str, success: str) -> Callable[[F], F]:
    """Register a check function for an exercise id; `success` is what a pass says."""

    def register(func: F) -> F:
        known = EXERCISES.get(exercise_id)
        if known is not None and _name(known.func) != _name(func):  # a reload is no clash
            raise ValueError(
                f"two self-checks are registered as {exercise_id!r}: "
                f"{_name(known.func)} and {_name(func)}"
            )
        EXERCISES[exercise_id] = Exercise(exercise_id, func, success)
        return func

    return register


def _name(func: CheckFunction) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def check(exercise_id: str, wb: Any, *args: Any, **kwargs: Any) -> Result:
    """Run one exercise's check and return a Result (shown as ✅/❌ in the notebook)."""
    found = EXERCISES.get(exercise_id)
    if found is None:
        result = Result(exercise_id, False, f"there is no exercise called {exercise_id!r}")
    else:
        try:
            said = found.func(wb, *args, **kwargs)
            # A check may add a line to the pass (how a prediction compared with the run).
            added = f". {said}" if isinstance(said, str) and said else ""
            result = Result(exercise_id, True, found.success + added)
        except Hint as hint:
            result = Result(exercise_id, False, str(hint))
        except Exception as exc:  # noqa: BLE001 - students see a message, never a traceback
            result = Result(
                exercise_id,
                False,
                f"checking your answer raised {type(exc).__name__}: {exc}. Look at the exercise "
                "cell again, run it, then run this check.",
            )
    RESULTS[exercise_id] = result.passed
    return result


# -- what checks are written with ----------------------------------------------------------------


def need(condition: object, hint: str) -> None:
    """Go on only if `condition` holds; otherwise the student reads `hint`."""
    if not condition:
        raise Hint(hint)


def filled(value: object, what: str) -> None:
    """The exercise's placeholder (`...`, None, an empty text or list) has been replaced."""
    empty = (
        value is ...
        or value is None
        or (isinstance(value, str) and value.strip() in ("", "..."))
        or (isinstance(value, list | tuple | dict | set) and (not value or ... in value))
    )
    if empty:
        raise Hint(f"Replace the `...` in {what} with your answer, run that cell, then this one.")


def answer_dict(answers: object, what: str) -> dict[Any, Any]:
    """A dictionary exercise (question -> answer) with every `...` replaced."""
    need(isinstance(answers, dict), f"Keep {what} a dictionary; only replace the `...`.")
    found = cast(dict[Any, Any], answers)
    filled(list(found.values()), what)
    return found


def answer_list(value: object, what: str, hint: str) -> list[object]:
    """A filled-in answer that must be a list (or a tuple)."""
    filled(value, what)
    need(isinstance(value, list | tuple), hint)
    return list(cast("list[object] | tuple[object, ...]", value))


def text_answer(answer: object, what: str, hint: str) -> str:
    """A filled-in answer that must be a string (`hint` says what kind)."""
    filled(answer, what)
    need(isinstance(answer, str), hint)
    return cast(str, answer)


def prediction(value: object, what: str, choices: Sequence[str]) -> str:
    """A predict-then-run exercise's prediction: one of `choices`, written before the run."""
    listed = ", ".join(repr(c) for c in choices)
    if value is ... or value is None:
        raise Hint(f"Predict first: set {what} to one of {listed}, then run the cell.")
    need(value in choices, f"{what} must be one of {listed}, not {value!r}.")
    return cast(str, value)


def compared(predicted: str, happened: str, why: str) -> str:
    """What a pass says about the prediction: right, or what happened instead, and why."""
    if predicted == happened:
        return f"You predicted {predicted!r}, and so it was: {why}"
    return f"You predicted {predicted!r}; it was {happened!r}: {why}"


def run_report(value: object, what: str, hint: str) -> RunReport:
    """A filled-in answer that must be what `wb.run(...)` returns."""
    filled(value, what)
    need(hasattr(value, "tasks"), hint)
    return cast("RunReport", value)


def run_reports(value: object, what: str, hint: str) -> list[RunReport]:
    """A filled-in answer that must be what `wb.backfill(...)` returns."""
    filled(value, what)
    need(isinstance(value, list) and all(hasattr(r, "tasks") for r in value), hint)
    return cast("list[RunReport]", value)


def mentions(text: str, *words: str) -> bool:
    """Does the text use any of these words (or their beginnings, e.g. 'retr' for retry)?"""
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(word.lower())}", lowered) for word in words)


def free_text(
    answer: object, what: str, min_chars: int, topics: Sequence[tuple[tuple[str, ...], str]]
) -> None:
    """A written answer: long enough, and touching each topic (keywords -> hint if missing)."""
    filled(answer, what)
    need(isinstance(answer, str), f"{what} should be text in quotes.")
    text = str(answer)
    need(
        len(text.strip()) >= min_chars,
        f"{what} is {len(text.strip())} characters; explain a little more (at least {min_chars}).",
    )
    for words, hint in topics:
        need(mentions(text, *words), hint)


def first_failure_line(output: str, test: str) -> str:
    """The first `E ...` line of pytest's report: what the failing assertion said."""
    lines = [line for line in output.splitlines() if line.startswith("E ")]
    return lines[0][2:].strip() if lines else f"see wb.pytest(...) output for {test}"


def load_student_dag(wb: Workbook, dag_id: str, cell: str) -> Any:
    """Parse a DAG the student saved with %%dag, or explain why it cannot be used."""
    path = wb.student_dags / f"{dag_id}.py"
    need(path.exists(), f"There is no {dag_id}.py yet: run the {cell} cell first.")
    try:
        return wb.dag(dag_id)
    except Exception as err:  # noqa: BLE001 - the message is what the student needs
        raise Hint(f"{err} Fix the {cell} cell and run it again.") from None
