"""The student-side packages stay readable: small modules, no import cycles, and every name the
notebooks import exists where they import it from."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("workbook", "airflow_env")
MAX_LINES = 500
NOTEBOOK_IMPORT = re.compile(r"^from (workbook(?:\.\w+)*) import (.+)$", re.M)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def module_level_imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `path` imports when it is imported (not in functions, not
    under `if TYPE_CHECKING:`)."""
    imported = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            candidates = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        imported |= {name for name in candidates if name in known}
    return imported


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_500_lines(name: str) -> None:
    lines = len(modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it along a seam"


def test_no_import_cycles() -> None:
    found = modules()
    graph = {name: module_level_imports(path, set(found)) - {name} for name, path in found.items()}

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return [*trail, nxt]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = {" -> ".join(c) for name in graph if (c := cycle_from(name))}
    assert not cycles, cycles


def test_what_the_notebooks_import_exists() -> None:
    sources = sorted((REPO / "notebooks" / "_build" / "src").glob("*.md"))
    imports = [m for path in sources for m in NOTEBOOK_IMPORT.findall(path.read_text())]
    assert imports, "the notebooks import from the workbook"
    for module, names in imports:
        loaded = importlib.import_module(module)
        for name in (n.strip() for n in names.split(",")):
            if not hasattr(loaded, name):  # a submodule: `from workbook import pictures`
                importlib.import_module(f"{module}.{name}")
