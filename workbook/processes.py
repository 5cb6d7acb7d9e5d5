"""Programs a notebook starts as their own processes: a script (the way cron would run it),
ruff's Airflow rules, an `airflow ...` command."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_env.logs import strip_ansi, without_airflow_lines
from workbook.display import Text
from workbook.paths import REPO_ROOT, short

RUFF_FINDING = re.compile(r"^.+?:(\d+):\d+: (.*)$")


@dataclass(frozen=True)
class ScriptResult:
    """What a process printed and how it exited."""

    script: str
    exit_code: int
    output: str

    def tail(self, lines: int = 12) -> Text:
        return Text("\n".join(self.output.strip().splitlines()[-lines:]))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"{self.script} exited with code {self.exit_code}\n{self.tail()}")


def run_script(path: str, *args: str, env: dict[str, str] | None = None) -> ScriptResult:
    """Run a Python script of the repository as its own process and keep its output."""
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / path), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return ScriptResult(path, done.returncode, strip_ansi(done.stdout + done.stderr))


def airflow_rules(path: Path | str) -> Text:
    """What ruff's Airflow rules (AIR) say about a file: Airflow 2 habits and the like."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "AIR", "--preview", "--no-cache"]
        + ["--output-format", "concise", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    matches = [RUFF_FINDING.match(line) for line in done.stdout.splitlines()]
    findings = [f"line {m.group(1)}: {m.group(2)}" for m in matches if m]
    return Text("\n".join(findings) or f"ruff finds no Airflow 2 habits in {short(Path(path))}")


def airflow_command(command: str) -> ScriptResult:
    """Run `airflow <command>` in this environment (about 5 s of start-up) and keep what the
    command printed; Airflow's own log lines are start-up chatter here."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), *shlex.split(command)],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return ScriptResult(
        f"airflow {command}", done.returncode, without_airflow_lines(done.stdout + done.stderr)
    )
