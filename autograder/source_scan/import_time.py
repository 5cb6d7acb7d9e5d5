"""Work done at import time: what runs when Airflow (the dag-processor, every 30 s) imports
the DAG file. Module-level statements, the body of a `@dag`-decorated function (the DAG function
is called at import) and, one call deep, module-level functions called from there. Task bodies
run later, when a task runs, so I/O there is fine.
"""

from __future__ import annotations

import ast

from autograder.source_scan.facts import Finding, SourceFacts
from autograder.source_scan.syntax import Imports, dotted, is_dag_function

IO_CALLS = {
    "open",
    "io.open",
    "os.listdir",
    "os.scandir",
    "os.walk",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.makedirs",
    "os.mkdir",
    "os.system",
    "os.popen",
    "os.fork",
    "os.kill",
    "os.rename",
    "os.replace",
    "glob.glob",
    "glob.iglob",
    "time.sleep",
    "urlopen",
    "urllib.request.urlopen",
    "Variable.get",
    "Variable.set",
    "Connection.get",
    "Connection.get_connection_from_secrets",
    "BaseHook.get_connection",
    "get_connection",
    "create_engine",
    "read_parquet",
    "read_csv",
    "read_table",
}
IO_MODULES = ("requests", "httpx", "subprocess", "shutil", "socket", "urllib3", "ftplib", "smtplib")
IO_METHODS = {
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "unlink",
    "rmdir",
    "touch",
    "iterdir",
    "glob",
    "rglob",
    "connect",
    "invoke",
    "execute",
    "urlopen",
    "rmtree",
}


def _import_time_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements of `body` that execute when it runs (not nested function or class bodies)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.extend(
                ast.Expr(value=d) for d in getattr(stmt, "decorator_list", [])
            )  # decorators do run at import
            continue
        out.append(stmt)
    return out


def _calls_in(stmt: ast.AST):
    """Calls in `stmt`, without descending into lambdas or nested function bodies."""
    todo = [stmt]
    while todo:
        node = todo.pop()
        nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        if isinstance(node, nested) and node is not stmt:
            continue
        if isinstance(node, ast.Call):
            yield node
        todo.extend(ast.iter_child_nodes(node))


def _io_reason(call: ast.Call, imports: Imports) -> str | None:
    raw = dotted(call.func)
    name = imports.resolve(raw)
    last2 = ".".join(name.split(".")[-2:])
    if name in IO_CALLS or last2 in IO_CALLS or raw in IO_CALLS:
        return f"calls {raw}()"
    if name.split(".")[0] in IO_MODULES:
        return f"calls {raw}()"
    if isinstance(call.func, ast.Attribute) and call.func.attr in IO_METHODS:
        return f"calls .{call.func.attr}()"
    return None


def scan_import_time(name: str, tree: ast.Module, imports: Imports, facts: SourceFacts) -> None:
    functions = {
        n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    seen_functions: set[str] = set()
    todo: list[tuple[list[ast.stmt], int]] = [(tree.body, 0)]
    todo += [(n.body, 0) for n in tree.body if is_dag_function(n)]
    while todo:
        body, depth = todo.pop()
        for stmt in _import_time_statements(body):
            if (
                isinstance(stmt, ast.While)
                and isinstance(stmt.test, ast.Constant)
                and stmt.test.value
            ):
                facts.import_time_io.append(
                    Finding(name, stmt.lineno, "loops forever (`while True`) at import time")
                )
            for call in _calls_in(stmt):
                reason = _io_reason(call, imports)
                if reason:
                    facts.import_time_io.append(Finding(name, call.lineno, reason))
                callee = dotted(call.func)
                if callee in functions and callee not in seen_functions and depth < 3:
                    seen_functions.add(callee)
                    if not is_dag_function(functions[callee]):
                        todo.append((functions[callee].body, depth + 1))
    unique = {(f.line, f.text): f for f in facts.import_time_io}
    facts.import_time_io = sorted(unique.values(), key=lambda f: f.line)
