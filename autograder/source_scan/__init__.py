"""Static facts about the submitted Python files, read with `ast` (never executed).

facts.py          what a scan returns (SourceFacts, Finding, StartDate)
import_time.py    work done when the file is imported
wall_clock.py     now()/today() that picks the month (a small taint analysis)
dag_arguments.py  start_date and catchup as written
idioms.py         stubs left in, Airflow 2 imports, things Airflow 3 removed
syntax.py         the AST helpers they share
"""

from __future__ import annotations

import ast
import threading

from autograder.source_scan.dag_arguments import scan_dag_arguments
from autograder.source_scan.facts import Finding, SourceFacts, StartDate
from autograder.source_scan.idioms import scan_legacy, scan_stubs
from autograder.source_scan.import_time import scan_import_time
from autograder.source_scan.syntax import Imports
from autograder.source_scan.wall_clock import scan_wall_clock

__all__ = ["Finding", "SourceFacts", "StartDate", "scan_files"]

# `grade --jobs N` scans in N threads; CPython 3.11's parser is not safe for that
# ("SystemError: AST constructor recursion depth mismatch", python/cpython#106905).
_PARSE_LOCK = threading.Lock()


def scan_files(files: dict[str, str], main: str = "dags/taxi_pipeline.py") -> SourceFacts:
    """Scan the DAG file `main` (and look for stubs and legacy idioms in all of `files`)."""
    facts = SourceFacts(file=main)
    for name, text in sorted(files.items()):
        try:
            with _PARSE_LOCK:
                tree = ast.parse(text, filename=name)
        except SyntaxError as err:
            if name == main:
                facts.syntax_error = f"{name}:{err.lineno}: {err.msg}"
            continue
        imports = Imports(tree)
        scan_stubs(name, text, tree, facts)
        scan_legacy(name, text, tree, imports, facts)
        scan_wall_clock(name, tree, imports, facts)
        if name == main:
            facts.parsed = True
            scan_import_time(name, tree, imports, facts)
            scan_dag_arguments(tree, imports, facts)
    return facts
