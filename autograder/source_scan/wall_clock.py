"""Wall-clock reads that pick the month: a small taint analysis per function.

Values from `datetime.now()` and friends are followed through assignments; they are a problem
only when they reach something that picks the month (a `.month`/`.year`, a date-only `strftime`,
a variable or function named like a month or partition, a URL). A `now()` used as a
notification timestamp is fine.
"""

from __future__ import annotations

import ast
import re

from autograder.source_scan.facts import Finding, SourceFacts
from autograder.source_scan.syntax import Imports, dotted, is_wall_clock

MONTHISH = re.compile(r"month|period|partition|(^|_)ds($|_)|logical|interval|yyyymm|url", re.I)


def _scopes(tree: ast.Module):
    yield "<module>", tree.body
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.body


def _own_nodes(body: list[ast.stmt]):
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for t in target.elts for n in _target_names(t)]
    if isinstance(target, ast.Attribute):
        return [target.attr]
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return [str(target.slice.value)]
    return []


def scan_wall_clock(name: str, tree: ast.Module, imports: Imports, facts: SourceFacts) -> None:
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for scope_name, body in _scopes(tree):
        nodes = list(_own_nodes(body))
        clock_calls = [n for n in nodes if isinstance(n, ast.Call) and is_wall_clock(n, imports)]
        if not clock_calls:
            continue
        tainted: set[str] = set()

        def is_tainted(expr: ast.AST, tainted: set[str] = tainted) -> bool:
            for sub in ast.walk(expr):
                if isinstance(sub, ast.Call) and is_wall_clock(sub, imports):
                    return True
                if isinstance(sub, ast.Name) and sub.id in tainted:
                    return True
            return False

        assigns = [n for n in nodes if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign))]
        for _ in range(5):  # propagate to a fixpoint (small bodies)
            before = len(tainted)
            for node in assigns:
                value = node.value
                if value is not None and is_tainted(value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        tainted.update(_target_names(target))
            if len(tainted) == before:
                break
        sinks = _month_sinks(nodes, is_tainted, scope_name, parents)
        for call in clock_calls:
            finding = Finding(name, call.lineno, f"{dotted(call.func)}() reads the wall clock")
            if sinks:
                facts.wall_clock_month.append(
                    Finding(
                        name, call.lineno, f"{dotted(call.func)}() picks the month ({sinks[0]})"
                    )
                )
            else:
                facts.wall_clock_other.append(finding)


def _month_sinks(nodes, is_tainted, scope_name: str, parents) -> list[str]:
    found: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr in ("month", "year", "day", "start_of"):
            if is_tainted(node.value):
                found.append(f"uses .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("strftime", "format") and is_tainted(node.func.value):
                fmt = (
                    node.args[0].value
                    if node.args and isinstance(node.args[0], ast.Constant)
                    else ""
                )
                if isinstance(fmt, str) and "%m" in fmt and not re.search(r"%[HIMSf]", fmt):
                    found.append(f"formats it as {fmt!r}")
            if node.func.attr in ("replace", "subtract", "add", "date") and is_tainted(
                node.func.value
            ):
                found.append(f"derives a date with .{node.func.attr}()")
        if isinstance(node, ast.Call):
            callee = dotted(node.func).split(".")[-1]
            if MONTHISH.search(callee) and any(is_tainted(a) for a in node.args):
                found.append(f"passes it to {callee}()")
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n for t in targets for n in _target_names(t)]
            if is_tainted(node.value) and any(MONTHISH.search(n) for n in names):
                found.append(f"stores it in {names[0]}")
        returns_date = MONTHISH.search(scope_name) or re.search(r"date|ds", scope_name, re.I)
        returning = isinstance(node, ast.Return) and node.value is not None
        if returning and returns_date and is_tainted(node.value):
            found.append(f"returns it from {scope_name}()")
        if isinstance(node, ast.JoinedStr) and is_tainted(node):
            parent = parents.get(node)
            if isinstance(parent, ast.Call) and MONTHISH.search(dotted(parent.func)):
                found.append("puts it in a URL or path")
    return found
