"""The reference DAG's solution regions, and the stub students start from.

The reference `dags/taxi_pipeline.py` marks what students must write, with comment lines (the
file still runs unchanged as the reference):

    ### BEGIN SOLUTION: <what to fill in>
    ...the reference code...
    ### END SOLUTION

The students' starting DAG is generated from it (`write_student_dag`): each region becomes, at the
BEGIN line's indentation,

    # fill in: <what to fill in>
    raise NotImplementedError("fill in: <the function's name>")

so the stub still parses (the stub raises only when the task runs). Inside a call's arguments or
at DAG level a `raise` would break the file, so a region marked

    ### BEGIN SOLUTION (comment only): <what to fill in>

becomes the comment alone. Starter comments say "fill in", never "TODO": the course's grader counts
TODOs as unfinished work.

`assignment/nbgrader_config.py` writes the stub into nbgrader's source folder whenever nbgrader or
`course` reads the configuration, so every nbgrader command releases the stub, never the solution.
The stub is git-ignored: change the reference and its markers, never the stub.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course.errors import CourseError
from course.layout import DAG_FILE, REPO_ROOT

REFERENCE_DAG = REPO_ROOT / DAG_FILE

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


def write_student_dag(target: Path, reference: Path = REFERENCE_DAG) -> bool:
    """Write the stub of `reference` to `target` unless it is already there. True if written.

    Atomic (a reader never sees half a file) and a no-op when nothing changed, since every
    nbgrader command calls it, several at a time when a class is graded in parallel.
    """
    stub = strip_solutions(reference.read_text(encoding="utf-8"), str(reference))
    if target.exists() and target.read_text(encoding="utf-8") == stub:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(stub)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; nbgrader copies the mode into the release
    os.replace(tmp, target)
    return True
