"""Solution regions in plain Python files, and the stubs students get instead.

nbgrader clears `### BEGIN SOLUTION` regions in notebooks only; every other file in `source/` is
copied to `release/` as it is, solutions included. The DAG students must write is a `.py` file,
so the release step runs `strip_solutions` on it. The markers, one per line:

    ### BEGIN SOLUTION: <what to fill in>
    ...the reference code...
    ### END SOLUTION

becomes, at the BEGIN line's indentation,

    # fill in: <what to fill in>
    raise NotImplementedError("fill in: <the function's name>")

so the released DAG still parses (the stub raises only when the task runs). Inside a call's
arguments or at DAG level a `raise` would break the file, so a region marked

    ### BEGIN SOLUTION (comment only): <what to fill in>

becomes the comment alone. Starter comments say "fill in", never "TODO": the course's grader counts
TODOs as unfinished work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from course.errors import CourseError

BEGIN = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION(?P<comment_only> \(comment only\))?"
    r"(?::[ \t]*(?P<what>.*?))?[ \t]*$"
)
END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async\s+)?def\s+(?P<name>\w+)\s*\(")
MARKER = re.compile(r"###\s*(BEGIN|END)\s+SOLUTION")
DEFAULT_WHAT = "your code here"


@dataclass(frozen=True)
class Region:
    """One solution region: 1-based line numbers of its markers, and what the stub says."""

    begin: int
    end: int
    what: str
    comment_only: bool
    indent: str
    body: tuple[str, ...]
    function: str | None = None

    def stub(self) -> list[str]:
        lines = [f"{self.indent}# fill in: {self.what}"]
        if not self.comment_only:
            # The function's name, not the instruction: it is what a task log shows first.
            where = self.function or "the code the comment above describes"
            lines.append(f'{self.indent}raise NotImplementedError("fill in: {where}")')
        return lines


def find_regions(text: str, where: str = "<text>") -> list[Region]:
    """The solution regions of `text`, in order. Unbalanced or nested markers are an error."""
    regions: list[Region] = []
    open_at: re.Match[str] | None = None
    open_line = 0
    body: list[str] = []
    functions: list[tuple[int, str]] = []  # (indentation, name) of the defs seen so far
    function: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if (found := DEF.match(line)) and open_at is None:
            functions.append((len(found["indent"]), found["name"]))
        if begin:
            depth = len(begin["indent"])
            function = next((name for ind, name in reversed(functions) if ind < depth), None)
            if open_at is not None:
                raise CourseError(
                    f"{where}:{number}: a solution region starts inside the one opened on line "
                    f"{open_line}. Close that one with `### END SOLUTION` first."
                )
            open_at, open_line, body = begin, number, []
        elif end:
            if open_at is None:
                raise CourseError(
                    f"{where}:{number}: `### END SOLUTION` without a `### BEGIN SOLUTION` above it."
                )
            regions.append(
                Region(
                    begin=open_line,
                    end=number,
                    what=(open_at["what"] or DEFAULT_WHAT),
                    comment_only=bool(open_at["comment_only"]),
                    indent=open_at["indent"],
                    body=tuple(body),
                    function=function,
                )
            )
            open_at = None
        elif MARKER.search(line):
            raise CourseError(
                f"{where}:{number}: unrecognised solution marker {line.strip()!r}. Write "
                "`### BEGIN SOLUTION: what to fill in`, `### BEGIN SOLUTION (comment only): ...` "
                "or `### END SOLUTION`, each on a line of its own."
            )
        elif open_at is not None:
            body.append(line)
    if open_at is not None:
        raise CourseError(
            f"{where}:{open_line}: this solution region is never closed. Add `### END SOLUTION`."
        )
    return regions


def strip_solutions(text: str, where: str = "<text>") -> str:
    """`text` with every solution region replaced by its stub."""
    regions = find_regions(text, where)
    lines = text.splitlines()
    out: list[str] = []
    cursor = 0
    for region in regions:
        out.extend(lines[cursor : region.begin - 1])
        out.extend(region.stub())
        cursor = region.end
    out.extend(lines[cursor:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def without_markers(text: str, where: str = "<text>") -> str:
    """`text` with the marker lines removed: the complete solution, as the reference has it."""
    find_regions(text, where)  # validates the markers
    kept = [line for line in text.splitlines() if not (BEGIN.match(line) or END.match(line))]
    return "\n".join(kept) + ("\n" if text.endswith("\n") else "")


def solution_lines(text: str, where: str = "<text>") -> set[str]:
    """Lines (stripped) that occur only inside solution regions: what must never be released.

    Lines that also occur outside every region (a closing bracket, `return rows`) give nothing
    away and are left out, as are blank lines and comments.
    """
    regions = find_regions(text, where)
    inside = {line.strip() for region in regions for line in region.body}
    outside = {
        line.strip()
        for number, line in enumerate(text.splitlines(), start=1)
        if not any(r.begin <= number <= r.end for r in regions)
    }
    return {
        line for line in inside - outside if line and not line.startswith("#") and len(line) > 3
    }


def leaked_solution_lines(released: str, source: str) -> list[str]:
    """Solution lines of `source` that appear in `released` (empty when the release is clean)."""
    present = {line.strip() for line in released.splitlines()}
    return sorted(solution_lines(source) & present)


def strip_file(source: Path, target: Path) -> int:
    """Write `source` with its solutions stubbed to `target`. Returns the number of regions."""
    text = source.read_text(encoding="utf-8")
    regions = find_regions(text, str(source))
    if regions:
        target.write_text(strip_solutions(text, str(source)), encoding="utf-8")
    return len(regions)
