"""Patches of a submission folder: small, named text changes, each checked as it is applied."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DAG = "dags/taxi_pipeline.py"


class CorpusError(Exception):
    """A patch does not fit the reference any more; the message names the file and the text."""


@dataclass(frozen=True)
class Substitute:
    """Replace `old`, which must occur exactly once in the file at `path`, with `new`."""

    path: str
    old: str
    new: str

    def apply(self, root: Path) -> None:
        target = root / self.path
        text = target.read_text(encoding="utf-8")
        if (found := text.count(self.old)) != 1:
            raise CorpusError(
                f"{root.name}/{self.path}: the text to replace occurs {found} times, not once: "
                f"{self.old[:80]!r}. The reference changed; update this patch in "
                "tests/corpus/bad_submissions.py."
            )
        target.write_text(text.replace(self.old, self.new), encoding="utf-8")


@dataclass(frozen=True)
class Remove:
    """Delete the file at `path`."""

    path: str

    def apply(self, root: Path) -> None:
        (root / self.path).unlink()


@dataclass(frozen=True)
class Overwrite:
    """Replace the whole file at `path` with `text`."""

    path: str
    text: str

    def apply(self, root: Path) -> None:
        (root / self.path).write_text(self.text, encoding="utf-8")


Patch = Substitute | Remove | Overwrite
