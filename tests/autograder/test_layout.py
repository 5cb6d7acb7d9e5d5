"""The package's shape: the wall between sandbox side and parent side, no import cycles, small
modules. Read from the source with `ast` (fast, nothing imported)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "autograder"
INSIDE = "autograder.inside"
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            return True
    return False


def imports_of(path: Path, *, runtime_only: bool = False) -> set[str]:
    """The modules `path` imports, anywhere in it (submodules resolved: `from a import b`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if runtime_only and _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


def test_sandbox_side_code_imports_nothing_of_the_parent_side() -> None:
    for name, path in MODULES.items():
        if name.startswith(INSIDE):
            ours = {m for m in imports_of(path) if m.split(".")[0] == "autograder"}
            assert all(m.startswith(INSIDE) for m in ours), f"{name} imports {sorted(ours)}"


def test_the_parent_side_never_imports_the_sandbox_side() -> None:
    parent_side = [p for n, p in MODULES.items() if not n.startswith(INSIDE)]
    parent_side += sorted((REPO / "course").rglob("*.py"))
    for path in parent_side:
        inside = {m for m in imports_of(path) if m.startswith(INSIDE)}
        assert not inside, f"{path.relative_to(REPO)} imports {sorted(inside)}: start it instead"


def test_no_import_cycles() -> None:
    graph = {
        name: {m for m in imports_of(path, runtime_only=True) if m in MODULES and m != name}
        for name, path in MODULES.items()
    }
    cycles = _cycles(graph)
    assert cycles == [], f"import cycles: {cycles}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_500_lines(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it along a seam"
