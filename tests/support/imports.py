"""The repository's Python modules and who imports whom, read with `ast` (nothing is imported).

Used by the layout tests: small modules, no import cycles, and the autograder's wall between the
code that runs in the sandbox and the code that runs in the grader's processes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def modules(packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `packages` (top-level folders)."""
    found = {}
    for package in packages:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _not_at_import(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Does `node` not run when its module is imported: inside a function (a deferred import)
    or under `if TYPE_CHECKING:`?"""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return True
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            return True
    return False


def imports_of(path: Path, known: Iterable[str], *, at_import_only: bool = False) -> set[str]:
    """The modules `path` imports anywhere in it, `from a import b` resolved to `a.b` where that
    is one of the `known` modules. `at_import_only` keeps only the imports that run when the
    module is imported (an import cycle needs those; a deferred import inside a function is the
    usual way to break one)."""
    known = set(known)
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if at_import_only and _not_at_import(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found


def import_graph(found: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of `found` it imports when it is imported."""
    return {
        name: {m for m in imports_of(path, found, at_import_only=True) if m in found and m != name}
        for name, path in found.items()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module (Tarjan)."""
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
