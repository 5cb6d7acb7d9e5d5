"""Showing code in a notebook: a file or one marked part of it, matching lines, a diff.

Parts are marked in the file with `# [START name]` ... `# [END name]`, so the code in the
notebook's prose is the code that runs.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from workbook.display import Markdown, Text
from workbook.errors import WorkbookError
from workbook.paths import short

LANGUAGES = {".py": "python", ".sql": "sql", ".md": "markdown"}


def show(path: Path, section: str | None = None) -> Markdown:
    """A file (or one `# [START section]` ... `# [END section]` slice of it) as a code block."""
    text = path.read_text()
    if section:
        text = section_of(text, section, path)
    language = LANGUAGES.get(path.suffix, "")
    title = f"`{short(path)}`" + (f" — section `{section}`" if section else "")
    return Markdown(f"{title}\n\n```{language}\n{text.rstrip()}\n```")


def section_of(text: str, section: str, path: Path) -> str:
    """The lines between `# [START section]` and `# [END section]`, dedented."""
    name = re.escape(section)
    pattern = re.compile(
        rf"^[ \t]*# \[START {name}\][^\n]*\n(.*?)^[ \t]*# \[END {name}\]", re.S | re.M
    )
    match = pattern.search(text)
    if not match:
        raise WorkbookError(f"{short(path)} has no '# [START {section}]' ... '# [END ...]' part")
    body = match.group(1)
    indent = min(
        (len(line) - len(line.lstrip()) for line in body.splitlines() if line.strip()), default=0
    )
    return "\n".join(line[indent:] for line in body.splitlines())


def grep(path: Path, pattern: str) -> Text:
    """The lines of a file that match a regular expression, with their line numbers."""
    found = [
        f"{short(path)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(pattern, line)
    ]
    return Text("\n".join(found) or f"no line of {short(path)} matches {pattern!r}")


def diff(before: Path, after: Path) -> Markdown:
    """What changed between two files, as a unified diff with one line of context."""
    lines = difflib.unified_diff(
        before.read_text().splitlines(),
        after.read_text().splitlines(),
        fromfile=short(before),
        tofile=short(after),
        lineterm="",
        n=1,
    )
    return Markdown("```diff\n" + "\n".join(lines) + "\n```")
