"""What the suite started, and a check at the end that none of it is still running.

Two nets, neither touching anyone else's processes:
- a ledger: a test that starts a service records its session id (`record_started(pid)`);
  at the end every process in a recorded session, or descended from one, is a leftover;
- a mark: `WEEK11_TEST_SESSION` is set once per run and inherited by whatever the suite starts
  (the class twin passes it through); a process whose environment still shows it is ours.
Only Airflow, Celery, PostgreSQL and Redis processes count. Leftovers are listed, killed, and
the run fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time
from pathlib import Path

MARK = "WEEK11_TEST_SESSION"
LEDGER = "WEEK11_PROCESS_LEDGER"
SERVICE_WORDS = ("airflow", "celery", "postgres", "redis")


def start_session() -> None:
    """In the controller, before any worker starts: workers and services inherit both."""
    os.environ.setdefault(MARK, f"{os.getpid()}-{time.time_ns()}")
    os.environ.setdefault(LEDGER, tempfile.mkdtemp(prefix="week11-ledger-"))


def record_started(pid: int) -> None:
    folder = os.environ.get(LEDGER)
    if folder and Path(folder).is_dir():
        (Path(folder) / str(pid)).touch()


def _marked(pid: int, mark: str) -> bool:
    try:
        return f"{MARK}={mark}".encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def leftovers() -> list:
    from class_airflow.twin.processes import all_processes, living_in_sessions

    folder = Path(os.environ.get(LEDGER, "/nonexistent"))
    sessions = {int(p.name) for p in folder.iterdir()} if folder.is_dir() else set()
    found = {p.pid: p for p in living_in_sessions(sessions)} if sessions else {}
    mark = os.environ.get(MARK)
    if mark:
        for process in all_processes():
            if process.state not in ("Z", "X") and _marked(process.pid, mark):
                found.setdefault(process.pid, process)
    mine = {os.getpid(), os.getppid()}
    return [
        p
        for p in found.values()
        if p.pid not in mine
        and "pytest" not in p.command
        and any(word in p.command.lower() for word in SERVICE_WORDS)
    ]


def end_session() -> None:
    import shutil

    folder = os.environ.get(LEDGER)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def kill(processes: list) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signal.SIGKILL)
