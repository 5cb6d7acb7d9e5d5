"""Static facts about the submitted Python files, read with `ast` (never executed).

What runs at import time: module-level statements, the body of a `@dag`-decorated function (the
DAG function is called at import) and, one call deep, module-level functions called from there.
Task bodies run later, when a task runs, so I/O there is fine.

Wall-clock detection is a small taint analysis per function: values from `datetime.now()` and
friends are followed through assignments; they are a problem only when they reach something that
picks the month (a `.month`/`.year`, a date-only `strftime`, a variable or function named like a
month or partition, a URL). A `now()` used as a notification timestamp is fine.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

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
MONTHISH = re.compile(r"month|period|partition|(^|_)ds($|_)|logical|interval|yyyymm|url", re.I)
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
RUN_ON_FAILURE_RULES = {"all_done", "one_failed", "all_failed", "one_done", "always"}


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}"


@dataclass(frozen=True)
class StartDate:
    line: int
    verdict: str  # "aware" | "naive" | "dynamic" | "unknown"
    source: str


@dataclass
class SourceFacts:
    file: str = "dags/taxi_pipeline.py"
    parsed: bool = False
    syntax_error: str | None = None
    import_time_io: list[Finding] = field(default_factory=list)
    wall_clock_month: list[Finding] = field(default_factory=list)
    wall_clock_other: list[Finding] = field(default_factory=list)
    start_dates: list[StartDate] = field(default_factory=list)
    catchup: list[tuple[int, object]] = field(default_factory=list)  # (line, value)
    stubs: list[Finding] = field(default_factory=list)
    legacy_imports: list[Finding] = field(default_factory=list)
    removed_words: list[Finding] = field(default_factory=list)


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


class _Imports:
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


def _is_wall_clock(call: ast.Call, imports: _Imports) -> bool:
    name = imports.resolve(dotted(call.func))
    parts = name.split(".")
    return len(parts) >= 2 and (parts[-2], parts[-1]) in WALL_CLOCK


def scan_files(files: dict[str, str], main: str = "dags/taxi_pipeline.py") -> SourceFacts:
    """Scan the DAG file `main` (and look for stubs and legacy idioms in all of `files`)."""
    facts = SourceFacts(file=main)
    for name, text in sorted(files.items()):
        try:
            tree = ast.parse(text, filename=name)
        except SyntaxError as err:
            if name == main:
                facts.syntax_error = f"{name}:{err.lineno}: {err.msg}"
            continue
        imports = _Imports(tree)
        _scan_stubs(name, text, tree, facts)
        _scan_legacy(name, text, tree, imports, facts)
        _scan_wall_clock(name, tree, imports, facts)
        if name == main:
            facts.parsed = True
            _scan_import_time(name, tree, imports, facts)
            _scan_dag_arguments(tree, imports, facts)
    return facts


# -- import-time side effects -------------------------------------------------------------


def _is_dag_function(node: ast.AST) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return any(dotted(d).split(".")[-1] == "dag" for d in node.decorator_list)


def _is_task_function(node: ast.AST) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return any(
        dotted(d).split(".")[0] == "task" or dotted(d) == "task" for d in node.decorator_list
    )


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


def _io_reason(call: ast.Call, imports: _Imports) -> str | None:
    raw = dotted(call.func)
    name = imports.resolve(raw)
    last2 = ".".join(name.split(".")[-2:])
    if name in IO_CALLS or last2 in IO_CALLS or raw in IO_CALLS:
        return f"calls {raw}()"
    if name.split(".")[0] in IO_MODULES:
        return f"calls {raw}()"
    if isinstance(call.func, ast.Attribute) and call.func.attr in IO_METHODS:
        return f"calls .{call.func.attr}()"
    if _is_wall_clock(call, imports):
        return None
    return None


def _scan_import_time(name: str, tree: ast.Module, imports: _Imports, facts: SourceFacts) -> None:
    functions = {
        n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    seen_functions: set[str] = set()
    todo: list[tuple[list[ast.stmt], int]] = [(tree.body, 0)]
    todo += [(n.body, 0) for n in tree.body if _is_dag_function(n)]
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
                    if not _is_dag_function(functions[callee]):
                        todo.append((functions[callee].body, depth + 1))
    unique = {(f.line, f.text): f for f in facts.import_time_io}
    facts.import_time_io = sorted(unique.values(), key=lambda f: f.line)


# -- wall clock ---------------------------------------------------------------------------


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


def _scan_wall_clock(name: str, tree: ast.Module, imports: _Imports, facts: SourceFacts) -> None:
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for scope_name, body in _scopes(tree):
        nodes = list(_own_nodes(body))
        clock_calls = [n for n in nodes if isinstance(n, ast.Call) and _is_wall_clock(n, imports)]
        if not clock_calls:
            continue
        tainted: set[str] = set()

        def is_tainted(expr: ast.AST, tainted: set[str] = tainted) -> bool:
            for sub in ast.walk(expr):
                if isinstance(sub, ast.Call) and _is_wall_clock(sub, imports):
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


# -- DAG arguments: start_date, catchup ---------------------------------------------------


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


def start_date_verdict(expr: ast.AST, imports: _Imports, values: dict[str, ast.AST]) -> str:
    if isinstance(expr, ast.Name) and expr.id in values:
        expr = values[expr.id]
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call) and (
            _is_wall_clock(sub, imports) or dotted(sub.func).endswith("days_ago")
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


def _dag_calls(tree: ast.Module, imports: _Imports) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = imports.resolve(dotted(node.func)).split(".")[-1]
            if name in ("dag", "DAG"):
                calls.append(node)
    return calls


def _scan_dag_arguments(tree: ast.Module, imports: _Imports, facts: SourceFacts) -> None:
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


# -- stubs and legacy idioms --------------------------------------------------------------


def _scan_stubs(name: str, text: str, tree: ast.Module, facts: SourceFacts) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "NotImplementedError":
            facts.stubs.append(Finding(name, node.lineno, "NotImplementedError is still there"))
        if _is_task_function(node):
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


def _scan_legacy(name: str, text: str, tree: ast.Module, imports: _Imports, facts: SourceFacts):
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
