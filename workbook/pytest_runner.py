"""pytest in the notebook's own process: Airflow is already imported there, so a student's test
file runs in about a second instead of paying Airflow's start-up again."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_env.logs import without_airflow_lines
from workbook.console import hush_console, quiet, repair_stale_handlers
from workbook.env_vars import temporary_env

PYTEST_OPTIONS = (
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:logging",
    "-o",
    "addopts=",
    "--import-mode=importlib",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
)


@dataclass(frozen=True)
class PytestResult:
    exit_code: int
    passed: list[str]
    failed: list[str]
    skipped: list[str]
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failed

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.output.strip())


class _Collector:
    """A tiny pytest plugin that remembers each test's outcome."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        name = report.nodeid.split("::")[-1]
        counts = report.when == "call" or report.outcome != "passed"
        if counts and (report.outcome == "failed" or name not in self.outcomes):
            self.outcomes[name] = report.outcome


def run_pytest(target: Path, *args: str, env: dict[str, str] | None = None) -> PytestResult:
    """Run pytest on `target` with extra `args`, with `env` set for that run only."""
    import pytest

    target = target.resolve()
    _forget_modules_beside(target)
    collector = _Collector()
    try:
        with temporary_env(env or {}), quiet() as captured:
            code = pytest.main(
                [str(target), *PYTEST_OPTIONS, "--rootdir", str(target.parent), *args],
                plugins=[collector],
            )
    finally:
        hush_console()
        repair_stale_handlers()
    by_outcome: dict[str, list[str]] = {"passed": [], "failed": [], "skipped": []}
    for name, outcome in collector.outcomes.items():
        by_outcome.setdefault(outcome, []).append(name)
    return PytestResult(
        int(code),
        by_outcome["passed"],
        by_outcome["failed"],
        by_outcome["skipped"],
        without_airflow_lines(captured.getvalue()),
    )


def _forget_modules_beside(target: Path) -> None:
    """A re-run must see the file as it is now, not the module imported last time."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) and Path(module.__file__).parent == target.parent:
            del sys.modules[name]
