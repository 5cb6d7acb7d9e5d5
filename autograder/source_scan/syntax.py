"""AST helpers the scans share: dotted names, what a file imports, what reads the clock."""

from __future__ import annotations

import ast

WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("pendulum", "now"),
    ("pendulum", "today"),
    ("pendulum", "yesterday"),
    ("pendulum", "tomorrow"),
    ("time", "time"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("timezone", "utcnow"),
    ("timezone", "now"),
    ("DateTime", "now"),
    ("DateTime", "today"),
    ("Timestamp", "now"),
    ("Timestamp", "today"),
    ("pd", "Timestamp.now"),
}


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


class Imports:
    """Local name -> fully qualified name, from the file's import statements."""

    def __init__(self, tree: ast.Module) -> None:
        self.names: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.names[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def resolve(self, name: str) -> str:
        head, _, rest = name.partition(".")
        full = self.names.get(head, head)
        return f"{full}.{rest}" if rest else full


def is_wall_clock(call: ast.Call, imports: Imports) -> bool:
    name = imports.resolve(dotted(call.func))
    parts = name.split(".")
    return len(parts) >= 2 and (parts[-2], parts[-1]) in WALL_CLOCK


def is_dag_function(node: ast.AST) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return any(dotted(d).split(".")[-1] == "dag" for d in node.decorator_list)


def is_task_function(node: ast.AST) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return any(
        dotted(d).split(".")[0] == "task" or dotted(d) == "task" for d in node.decorator_list
    )
