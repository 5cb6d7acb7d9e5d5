"""The quiz package's one domain error: a list of problems, each naming file, line and field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file a person wrote, and how to fix it."""

    path: Path | None
    line: int | None
    field: str
    message: str
    fix: str = ""

    def where(self) -> str:
        place = str(self.path) if self.path else "<input>"
        return f"{place}:{self.line}" if self.line else place

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.where()}:{field} {self.message}{fix}"


class QuizError(Exception):
    """A quiz, responses or overrides file a person has to fix; shown as a message, never a
    traceback (caught in cli.py)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls,
        path: Path | None,
        message: str,
        fix: str = "",
        line: int | None = None,
        field: str = "",
    ) -> QuizError:
        return cls([Problem(path, line, field, message, fix)])
