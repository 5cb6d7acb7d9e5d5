"""Where the workbook teaches what a check checks: `NN_topic.ipynb#Heading-anchor` targets.

Every check names a section of a chapter notebook (`@check(teaches=...)`), and a failed check's
feedback points there, so a student reads the part of the course they missed instead of only a
hint. The anchor is the one JupyterLab gives a Markdown heading: its rendered text with each
space as '-' (`## The proof: run the backfill again` -> `The-proof:-run-the-backfill-again`).

`parse` only checks a target's form (the registry does, at import); `problem` resolves it
against the real notebooks (a fast test does it for every check, so renaming a heading that a
check points at fails the suite instead of sending students to nowhere).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = "notebooks"  # the workbook's folder in the course repository
_TARGET = re.compile(r"(?P<notebook>\d\d_[a-z0-9_]+\.ipynb)#(?P<anchor>[^\s#]+)")
_HEADING = re.compile(r"^(#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Section:
    """One heading of one notebook, as a check's `teaches` names it."""

    notebook: str  # the file name, e.g. 05_parameterized_runs_and_backfills.ipynb
    anchor: str  # JupyterLab's id of the heading

    @property
    def title(self) -> str:
        """The heading's text (a test checks that it reads back exactly)."""
        return self.anchor.replace("-", " ")

    @property
    def path(self) -> str:
        return f"{NOTEBOOKS}/{self.notebook}"

    @property
    def href(self) -> str:
        """The section's address relative to the course repository. The anchor stays as
        JupyterLab writes it (a Markdown link and an HTML attribute both take it as it is), so
        it matches whether or not a viewer decodes the fragment."""
        return f"{self.path}#{self.anchor}"

    @property
    def label(self) -> str:
        return f"{self.notebook}, section “{self.title}”"


def parse(target: str) -> Section:
    """The section `target` names; ValueError if it is not `NN_topic.ipynb#Anchor`."""
    match = _TARGET.fullmatch(target)
    if match is None:
        raise ValueError(
            f"teaches={target!r} is not a workbook section: write "
            "'NN_topic.ipynb#Heading-text-with-dashes' (a notebook in notebooks/ and one of its "
            "headings, spaces as '-')"
        )
    return Section(match["notebook"], match["anchor"])


def plain(target: str) -> str:
    """The section for plain text (results files, nbgrader's feedback page): label and path."""
    section = parse(target)
    return f"{section.label}: {section.href}"


def markdown(target: str) -> str:
    section = parse(target)
    return f"[{section.label}]({section.href})"


def heading_text(markdown_heading: str) -> str | None:
    """The text JupyterLab renders for a Markdown heading line (None if it is not one)."""
    match = _HEADING.match(markdown_heading)
    if match is None:
        return None
    text = _LINK.sub(r"\1", match["text"])
    return _HTML_TAG.sub("", text).replace("`", "").replace("**", "").strip()


def anchor_of(text: str) -> str:
    return text.replace(" ", "-")


def headings(notebook: Path) -> dict[str, str]:
    """anchor -> heading text, for every Markdown heading of `notebook`."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found: dict[str, str] = {}
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        source = cell["source"]
        for line in ("".join(source) if isinstance(source, list) else source).splitlines():
            text = heading_text(line)
            if text:
                found.setdefault(anchor_of(text), text)
    return found


def problem(target: str, notebooks: Path) -> str | None:
    """What is wrong with `target` in the workbook at `notebooks` (None if it resolves)."""
    try:
        section = parse(target)
    except ValueError as err:
        return str(err)
    notebook = notebooks / section.notebook
    if not notebook.is_file():
        return f"{target}: there is no {section.path}"
    anchors = headings(notebook)
    if section.anchor not in anchors:
        return f"{target}: {section.path} has no heading with that anchor"
    if anchors[section.anchor] != section.title:
        return (
            f"{target}: the heading reads {anchors[section.anchor]!r}, but the feedback would "
            f"call it {section.title!r}; point at a heading without '-' in its text"
        )
    return None
