"""Airflow's and dbt's console output, kept out of a notebook or caught for a report.

Airflow logs through the root logger's stream handlers and through structlog; dbt gives its own
loggers handlers on whatever `sys.stdout` is when it runs. Everything here puts those back in a
known state, so a capture never writes into a closed stream and a notebook shows only what the
student asked for.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def captured_output() -> Iterator[io.StringIO]:
    """Capture Python-level and file-descriptor-level output (Airflow's and dbt's logs) in order."""
    result = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as raw:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        os.dup2(raw.fileno(), 1)
        os.dup2(raw.fileno(), 2)
        # Write through fd 1 (now the temp file), so Python prints and C-level writes stay
        # interleaved, and a logger that caches this stream writes to the real stdout later
        # instead of to a closed or reused descriptor.
        text = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        # Logging handlers keep the stream they were configured with (pytest's or Jupyter's
        # stdout); point them at the capture too, or the per-task markers go missing.
        handlers = _plain_stream_handlers()
        previous = [h.setStream(text) for h in handlers]
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield result
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.setStream(stream)
            text.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            raw.seek(0)
            result.write(raw.read().decode("utf-8", errors="replace"))


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """Swallow Airflow's chatter (database set-up, DAG parsing) while a helper works."""
    repair_stale_handlers()
    with captured_output() as captured:
        yield captured


def repair_stale_handlers() -> None:
    """Point logging handlers whose stream was closed back at stdout.

    dbt gives its "stdout_log" logger a handler on whatever sys.stdout is when dbt runs; inside
    a capture (pytest's, or the runner's) that stream is closed afterwards. The next capture
    would fail on it with "I/O operation on closed file".
    """
    for lg in _all_loggers():
        for handler in lg.handlers:
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and getattr(stream, "closed", False):
                handler.stream = sys.stdout


@contextlib.contextmanager
def task_logging() -> Iterator[None]:
    """Let INFO records through while a DAG runs (the runner splits its capture on them)."""
    previous = _set_console_level(logging.INFO)
    try:
        yield
    finally:
        _restore_console(previous)


def hush_console() -> None:
    """Outside DAG runs, keep Airflow's log lines out of the notebook.

    Between runs they are about parsing and bookkeeping (a DagBag logs every import error with
    its traceback, which the notebook shows more readably from `import_errors`). Exceptions
    still surface as exceptions; task logs are kept per run in the RunReport.
    """
    _set_console_level(logging.CRITICAL)


def release_dbt_duckdb() -> None:
    """Close the warehouse file that dbt-duckdb keeps open after a `dbt` call in this process.

    On a real Airflow worker every task runs in its own process, which ends and releases the
    file. Here all tasks share the notebook's process, so without this a script or a dbt
    subprocess started later could not open the warehouse (DuckDB allows one writer process).
    """
    module = sys.modules.get("dbt.adapters.duckdb.connections")
    manager = getattr(module, "DuckDBConnectionManager", None)
    if manager is None or manager._ENV is None:
        return
    with contextlib.suppress(Exception):
        manager._ENV.close()
    manager._ENV = None


def _all_loggers() -> list[logging.Logger]:
    return [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]


def _plain_stream_handlers() -> list[logging.StreamHandler]:
    found: dict[int, logging.StreamHandler] = {}
    for lg in _all_loggers():
        for handler in lg.handlers:
            # logging.lastResort's _StderrHandler has a read-only stream: leave it alone.
            if type(handler) is logging.StreamHandler:
                found[id(handler)] = handler
    return list(found.values())


def _root_console_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]


def _structlog_levels() -> list[Any]:
    """Airflow's per-logger level tables (one per vendored copy of its logging helpers)."""
    tables = []
    for name in ("airflow._shared.logging.structlog", "airflow.sdk._shared.logging.structlog"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "PER_LOGGER_LEVELS"):
            tables.append(module.PER_LOGGER_LEVELS)
    return tables


def _set_console_level(level: int) -> list[tuple[Any, int]]:
    """Set the level of Airflow's console logging; returns what to restore."""
    previous: list[tuple[Any, int]] = [(h, h.level) for h in _root_console_handlers()]
    for handler, _ in previous:
        handler.setLevel(level)
    for table in _structlog_levels():
        previous.append((table, table[""]))
        table[""] = level
    return previous


def _restore_console(previous: list[tuple[Any, int]]) -> None:
    for target, level in previous:
        if isinstance(target, logging.Handler):
            target.setLevel(level)
        else:
            target[""] = level
