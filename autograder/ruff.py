"""Airflow 3 idioms as ruff sees them: `ruff check --select AIR --preview` on the DAG files.

`--isolated` ignores any ruff configuration inside the submission (a `pyproject.toml` there
could otherwise switch the rules off), and `--no-cache` keeps ruff from writing into it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.source_scan import Finding

# Rules about names that moved (the import path changed) vs. things that were removed.
MOVED_CODES = ("AIR302", "AIR311", "AIR312", "AIR321")


@dataclass(frozen=True)
class RuffReport:
    available: bool
    findings: tuple[tuple[str, Finding], ...] = field(default=())  # (code, finding)
    error: str | None = None

    def moved(self) -> list[Finding]:
        return [f for code, f in self.findings if code in MOVED_CODES]

    def removed(self) -> list[Finding]:
        return [f for code, f in self.findings if code not in MOVED_CODES]


def _ruff() -> str | None:
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.exists() else shutil.which("ruff")


def check_air(root: Path, files: list[str]) -> RuffReport:
    """Run ruff's AIR rules on `files` (paths relative to `root`)."""
    ruff = _ruff()
    if ruff is None:
        return RuffReport(available=False, error="ruff is not installed")
    if not files:
        return RuffReport(available=True)
    command = [ruff, "check", "--isolated", "--no-cache", "--select", "AIR", "--preview"]
    command += ["--output-format", "json", "--exit-zero", "--", *files]
    try:
        result = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=60, check=False
        )
        raw = json.loads(result.stdout or "[]")
    except (OSError, subprocess.TimeoutExpired, ValueError) as err:
        return RuffReport(available=False, error=f"ruff failed: {err}")
    findings = []
    for item in raw:
        try:
            filename = Path(item["filename"]).resolve().relative_to(root).as_posix()
        except (KeyError, ValueError):
            filename = Path(item.get("filename", "?")).name
        row = int((item.get("location") or {}).get("row", 0))
        text = f"{item.get('code')} {item.get('message', '')}".strip()
        findings.append((str(item.get("code")), Finding(filename, row, text)))
    findings.sort(key=lambda pair: (pair[1].file, pair[1].line, pair[0]))
    return RuffReport(available=True, findings=tuple(findings))
