"""Stubs left in the code, and Airflow 2 idioms: old import paths, things Airflow 3 removed."""

from __future__ import annotations

import ast
import re

from autograder.source_scan.facts import Finding, SourceFacts
from autograder.source_scan.syntax import Imports, is_task_function

LEGACY_IMPORTS = (
    ("airflow.operators", "airflow.providers.standard.operators"),
    ("airflow.sensors", "airflow.providers.standard.sensors"),
    ("airflow.hooks", "airflow.sdk / a provider's hooks"),
    ("airflow.decorators", "airflow.sdk"),
    ("airflow.utils.dates", "pendulum.datetime(..., tz='UTC')"),
    ("airflow.utils.task_group", "airflow.sdk.TaskGroup"),
    ("airflow.datasets", "airflow.sdk.Asset"),
    ("airflow.models.dag", "airflow.sdk"),
    ("airflow.models.baseoperator", "airflow.sdk.BaseOperator"),
    ("airflow.models.variable", "airflow.sdk.Variable"),
    ("airflow.contrib", "a provider package"),
    ("airflow.macros", "airflow.sdk"),
)
LEGACY_NAMES = {
    ("airflow", "DAG"): "airflow.sdk.DAG (or the @dag decorator)",
    ("airflow.models", "DAG"): "airflow.sdk.DAG (or the @dag decorator)",
    ("airflow.models", "Variable"): "airflow.sdk.Variable",
    ("airflow.models", "BaseOperator"): "airflow.sdk.BaseOperator",
    ("airflow.models", "Connection"): "airflow.sdk.Connection",
}
REMOVED_WORDS = {
    "schedule_interval": "use schedule=",
    "execution_date": "use logical_date or data_interval_start",
    "next_execution_date": "use data_interval_end",
    "prev_execution_date": "use prev_data_interval_start_success",
    "next_ds": "use data_interval_end",
    "prev_ds": "use prev_data_interval_start_success",
    "tomorrow_ds": "compute it from data_interval_start",
    "yesterday_ds": "compute it from data_interval_start",
    "days_ago": "use a fixed pendulum.datetime(..., tz='UTC')",
    "provide_context": "context is passed automatically in Airflow 3",
}
STUB_TEXT = re.compile(r"\bfill[ -]?in\b|your code here|not implemented yet|todo: ?implement", re.I)


def scan_stubs(name: str, text: str, tree: ast.Module, facts: SourceFacts) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "NotImplementedError":
            facts.stubs.append(Finding(name, node.lineno, "NotImplementedError is still there"))
        if is_task_function(node):
            body = [
                s
                for s in node.body
                if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
            ]
            if not body or all(isinstance(s, ast.Pass) for s in body):
                facts.stubs.append(Finding(name, node.lineno, f"task {node.name}() has no body"))
    for number, line in enumerate(text.splitlines(), start=1):
        if STUB_TEXT.search(line):
            facts.stubs.append(Finding(name, number, f"placeholder left: {line.strip()[:80]}"))


def scan_legacy(name: str, text: str, tree: ast.Module, imports: Imports, facts: SourceFacts):
    for node in ast.walk(tree):
        modules: list[tuple[str, str | None]] = []
        if isinstance(node, ast.Import):
            modules = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [(node.module, a.name) for a in node.names]
        for module, imported in modules:
            for old, new in LEGACY_IMPORTS:
                if module == old or module.startswith(old + "."):
                    facts.legacy_imports.append(
                        Finding(name, node.lineno, f"imports from {module}; use {new}")
                    )
                    break
            else:
                if imported and (module, imported) in LEGACY_NAMES:
                    facts.legacy_imports.append(
                        Finding(
                            name,
                            node.lineno,
                            f"imports {imported} from {module}; use "
                            f"{LEGACY_NAMES[(module, imported)]}",
                        )
                    )
    unique = {(f.file, f.line, f.text): f for f in facts.legacy_imports}
    facts.legacy_imports = list(unique.values())
    for number, line in enumerate(_code_lines(text, tree), start=1):
        for word, fix in REMOVED_WORDS.items():
            if re.search(rf"\b{word}\b", line):
                facts.removed_words.append(
                    Finding(name, number, f"`{word}` was removed in Airflow 3; {fix}")
                )


def _code_lines(text: str, tree: ast.Module) -> list[str]:
    """The file's lines with comments and docstrings blanked (a docstring may name old APIs)."""
    lines = text.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                doc = body[0]
                for index in range(doc.lineno - 1, (doc.end_lineno or doc.lineno)):
                    lines[index] = ""
    return [re.sub(r"#.*$", "", line) for line in lines]
