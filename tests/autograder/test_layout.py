"""The wall between the autograder's sandbox side and its parent side, read from the source with
`ast` (fast, nothing imported). Module sizes and import cycles: `tests/test_tree.py`."""

from __future__ import annotations

from tests.support.imports import REPO, imports_of, modules

INSIDE = "autograder.inside"
MODULES = modules(["autograder"])


def test_sandbox_side_code_imports_nothing_of_the_parent_side() -> None:
    for name, path in MODULES.items():
        if name.startswith(INSIDE):
            ours = {m for m in imports_of(path, MODULES) if m.split(".")[0] == "autograder"}
            assert all(m.startswith(INSIDE) for m in ours), f"{name} imports {sorted(ours)}"


def test_the_parent_side_never_imports_the_sandbox_side() -> None:
    parent_side = [p for n, p in MODULES.items() if not n.startswith(INSIDE)]
    parent_side += sorted((REPO / "course").rglob("*.py"))
    for path in parent_side:
        inside = {m for m in imports_of(path, MODULES) if m.startswith(INSIDE)}
        assert not inside, f"{path.relative_to(REPO)} imports {sorted(inside)}: start it instead"
