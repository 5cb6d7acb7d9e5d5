"""Build the workbook from readable sources.

* `notebooks/_build/src/NN_name.md` -> `notebooks/NN_name.ipynb` (no outputs, ruff-formatted);
* chapter DAGs in `notebooks/dags/` -> `assets/dag_snapshots/` (the course's DAG after each
  chapter, with the chapter's dag_id replaced by the course's). The snapshots are git-ignored:
  `make lab` writes them with `--snapshots`, so they are never copies kept by hand.

Source format: Markdown. A fence opened with exactly ```python is a code cell; any other fence
(```bash, ```text, ```py) stays in the Markdown as an example. A line `+++` splits Markdown
into two cells. A code cell may start with option lines:

    #| exercise: ch03_weekday_cron    the student edits this cell (solution-mode swaps it)
    #| check: ch03_weekday_cron       the self-check of that exercise

Usage (`make generate` runs the first, with the repository's other generated files):
    .venv/bin/python notebooks/_build/build_notebooks.py              # notebooks and snapshots
    .venv/bin/python notebooks/_build/build_notebooks.py --snapshots  # only the snapshots
    .venv/bin/python notebooks/_build/build_notebooks.py --check      # exit 1 if a notebook is stale
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
SOURCES = REPO / "notebooks" / "_build" / "src"
NOTEBOOKS = REPO / "notebooks"
SNAPSHOTS = REPO / "assets" / "dag_snapshots"
OPTION = re.compile(r"^#\|\s*(exercise|check):\s*([a-z0-9_]+)\s*$")

# snapshot file -> (source file, chapter dag_id to rename or None for a byte copy, chapter)
SNAPSHOT_SOURCES: dict[str, tuple[str, str | None, str]] = {
    "hello_pipeline.py": ("dags/hello_pipeline.py", None, "2"),
    "hello_pipeline_ch03.py": ("notebooks/dags/ch03_hello_weekdays.py", "ch03_hello_weekdays", "3"),
    "taxi_pipeline_ch04.py": ("notebooks/dags/ch04_taxi_pipeline.py", "ch04_taxi_pipeline", "4"),
    "taxi_pipeline_ch05.py": ("notebooks/dags/ch05_taxi_pipeline.py", "ch05_taxi_pipeline", "5"),
    "taxi_pipeline_ch07.py": ("notebooks/dags/ch07_taxi_pipeline.py", "ch07_taxi_pipeline", "7"),
    "taxi_pipeline.py": ("dags/taxi_pipeline.py", None, "8"),
}


class BuildError(Exception):
    """A source file cannot be turned into a notebook; the message names file and line."""


@dataclass(frozen=True)
class Cell:
    kind: str  # "markdown" | "code"
    source: str
    tags: tuple[str, ...] = ()


def parse_source(path: Path) -> list[Cell]:
    cells: list[Cell] = []
    markdown: list[str] = []
    code: list[str] | None = None
    opened_at = 0

    def flush_markdown() -> None:
        text = "\n".join(markdown).strip("\n")
        if text.strip():
            cells.append(Cell("markdown", text))
        markdown.clear()

    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if code is None and line.strip() == "```python":
            flush_markdown()
            code, opened_at = [], number
        elif code is not None and line.strip() == "```":
            tags: list[str] = []
            while code and (option := OPTION.match(code[0])):
                tags.append(f"{option.group(1)}:{option.group(2)}")
                code.pop(0)
            if not "".join(code).strip():
                raise BuildError(f"{path.name}:{opened_at}: empty code cell")
            cells.append(Cell("code", "\n".join(code).strip("\n"), tuple(tags)))
            code = None
        elif code is not None:
            code.append(line)
        elif line.strip() == "+++":
            flush_markdown()
        else:
            markdown.append(line)
    if code is not None:
        raise BuildError(f"{path.name}:{opened_at}: the ```python fence is never closed")
    flush_markdown()
    return cells


def to_notebook(cells: list[Cell]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(cells):
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(cell.source)
        else:
            node = nbformat.v4.new_code_cell(cell.source)
        node.id = f"cell-{index:03d}"
        if cell.tags:
            node.metadata["tags"] = list(cell.tags)
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def snapshot_text(name: str) -> str:
    source, chapter_id, chapter = SNAPSHOT_SOURCES[name]
    text = (REPO / source).read_text()
    if chapter_id is None:
        return text
    course_id = name.split("_ch")[0]
    header = (
        f"# Snapshot: `{course_id}` as it stands at the end of chapter {chapter} of the workbook.\n"
        f"# To use it, copy it to dags/{course_id}.py. Do not edit it here: it is generated\n"
        f"# from {source} by notebooks/_build/build_notebooks.py.\n"
    )
    renamed = header + text.replace(chapter_id, course_id)
    return _ruff("--stdin-filename", f"{course_id}.py", "-", stdin=renamed)


def _ruff(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--config", str(REPO / "pyproject.toml"), *args],
        input=stdin,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BuildError(f"ruff format failed: {done.stderr.strip()}")
    return done.stdout


def build(into: Path) -> list[Path]:
    """Write every notebook into `into` (ruff-formatted) and return their paths."""
    written = []
    for source in sorted(SOURCES.glob("*.md")):
        target = into / f"{source.stem}.ipynb"
        nbformat.write(to_notebook(parse_source(source)), target)
        written.append(target)
    if written:
        _ruff("--quiet", *map(str, written))
    return written


def write_snapshots(into: Path = SNAPSHOTS) -> list[Path]:
    """Write every snapshot into `into` and return their paths."""
    into.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SNAPSHOT_SOURCES:
        (into / name).write_text(snapshot_text(name))
        written.append(into / name)
    return written


def stale_files() -> list[str]:
    """Notebooks whose committed text differs from what the sources build."""
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for built in build(Path(tmp)):
            committed = NOTEBOOKS / built.name
            if not committed.exists() or committed.read_text() != built.read_text():
                stale.append(str(committed.relative_to(REPO)))
    expected = {f"{s.stem}.ipynb" for s in SOURCES.glob("*.md")}
    owned = {p.name for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("11_")}
    stale += [f"notebooks/{name} (no source)" for name in sorted(owned - expected)]
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    parser.add_argument("--snapshots", action="store_true", help="only write the DAG snapshots")
    args = parser.parse_args()
    try:
        if args.snapshots:
            for path in write_snapshots():
                print(f"wrote {path.relative_to(REPO)}")
            return 0
        if args.check:
            stale = stale_files()
            for name in stale:
                print(f"stale: {name}  (run: .venv/bin/python notebooks/_build/build_notebooks.py)")
            return 1 if stale else 0
        for path in [*build(NOTEBOOKS), *write_snapshots()]:
            print(f"wrote {path.relative_to(REPO)}")
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
