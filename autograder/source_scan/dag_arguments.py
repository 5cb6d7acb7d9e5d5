"""The DAG's own arguments as written: start_date (fixed? timezone-aware?) and catchup."""

from __future__ import annotations

import ast
import re

from autograder.source_scan.facts import SourceFacts, StartDate
from autograder.source_scan.syntax import Imports, dotted, is_wall_clock


def _module_values(tree: ast.Module) -> dict[str, ast.AST]:
    values: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            values[node.target.id] = node.value
    return values


def start_date_verdict(expr: ast.AST, imports: Imports, values: dict[str, ast.AST]) -> str:
    if isinstance(expr, ast.Name) and expr.id in values:
        expr = values[expr.id]
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call) and (
            is_wall_clock(sub, imports) or dotted(sub.func).endswith("days_ago")
        ):
            return "dynamic"
    if not isinstance(expr, ast.Call):
        return "unknown"
    name = imports.resolve(dotted(expr.func))
    keywords = {k.arg for k in expr.keywords}
    if isinstance(expr.func, ast.Attribute) and expr.func.attr in ("replace", "astimezone"):
        if expr.func.attr == "astimezone" or "tzinfo" in keywords:
            return "aware"
        return start_date_verdict(expr.func.value, imports, values)
    if name in ("pendulum.naive",):
        return "naive"
    if name.startswith("pendulum.") or name.endswith("timezone.datetime"):
        for keyword in expr.keywords:
            if keyword.arg == "tz" and isinstance(keyword.value, ast.Constant):
                return "naive" if keyword.value.value is None else "aware"
        return "aware"
    if name in ("datetime.datetime", "datetime"):
        return "aware" if "tzinfo" in keywords or len(expr.args) >= 8 else "naive"
    if name.endswith("fromisoformat") and expr.args and isinstance(expr.args[0], ast.Constant):
        text = str(expr.args[0].value)
        return "aware" if re.search(r"(Z|[+-]\d\d:?\d\d)$", text) else "naive"
    return "unknown"


def _dag_calls(tree: ast.Module, imports: Imports) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = imports.resolve(dotted(node.func)).split(".")[-1]
            if name in ("dag", "DAG"):
                calls.append(node)
    return calls


def scan_dag_arguments(tree: ast.Module, imports: Imports, facts: SourceFacts) -> None:
    values = _module_values(tree)
    for call in _dag_calls(tree, imports):
        for keyword in call.keywords:
            if keyword.arg == "start_date":
                facts.start_dates.append(
                    StartDate(
                        keyword.value.lineno,
                        start_date_verdict(keyword.value, imports, values),
                        ast.unparse(keyword.value),
                    )
                )
            elif keyword.arg == "catchup":
                value = keyword.value.value if isinstance(keyword.value, ast.Constant) else "?"
                facts.catchup.append((keyword.value.lineno, value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "start_date":
                    facts.start_dates.append(
                        StartDate(
                            value.lineno,
                            start_date_verdict(value, imports, values),
                            ast.unparse(value),
                        )
                    )
