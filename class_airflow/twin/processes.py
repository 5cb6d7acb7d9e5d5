"""Processes of the twin: each service in its own session, stopped as a whole.

A service is started with `start_new_session=True`, so its pid is also its process group and
session id, and everything it forks (Celery's pool, the dag-processor's parsers, a task's
supervisor) stays in that session even when it makes a process group of its own. Stopping a
service: its stop signal to the group, wait for the session to empty, then SIGKILL every
process left in the session (Celery and LocalExecutor children ignore SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# Popen handles of services this process started, so that stopping them also reaps them.
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    rss_kb: int
    command: str


def _read_stat(pid: int) -> ProcessInfo | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may itself contain spaces and parentheses.
    rest = stat[stat.rindex(")") + 2 :].split()
    rss = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
    )
    command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return ProcessInfo(pid, int(rest[1]), int(rest[2]), int(rest[3]), rest[0], rss, command)


def all_processes() -> list[ProcessInfo]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _read_stat(int(entry))) is not None:
            found.append(info)
    return found


def living_in_sessions(sessions: set[int]) -> list[ProcessInfo]:
    """Processes (not zombies) of the services whose session ids are `sessions`: those in the
    session or process group, and their descendants (PostgreSQL's backends call setsid)."""
    everything = [p for p in all_processes() if p.state not in ("Z", "X")]
    children: dict[int, list[ProcessInfo]] = {}
    for process in everything:
        children.setdefault(process.ppid, []).append(process)
    found = {p.pid: p for p in everything if sessions & {p.pid, p.sid, p.pgid}}
    queue = list(found.values())
    while queue:
        for child in children.get(queue.pop().pid, []):
            if child.pid not in found:
                found[child.pid] = child
                queue.append(child)
    return list(found.values())


def start(
    argv: list[str],
    env: dict[str, str],
    log_path: Path,
    cwd: Path,
    user: str | None = None,
) -> int:
    """Start one service in a new session, output appended to `log_path`. Returns its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(argv)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    _CHILDREN[process.pid] = process
    return process.pid


def exit_code(pid: int) -> int | None:
    """The exit code of a service this process started, or None while it runs."""
    process = _CHILDREN.get(pid)
    if process is not None:
        return process.poll()
    info = _read_stat(pid)
    return None if info and info.state not in ("Z", "X") else -1


def wait_exit(pid: int, timeout: float) -> int | None:
    process = _CHILDREN.get(pid)
    if process is None:
        return None
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def _reap(pid: int) -> None:
    process = _CHILDREN.pop(pid, None)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _signal_session(session: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(session, signum)
    for process in living_in_sessions({session}):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signum)


def stop(session: int, stop_signal: int, grace: float) -> list[ProcessInfo]:
    """Stop one service and everything in its session. Returns what had to be killed."""
    return stop_all({session: (stop_signal, grace)})


def stop_all(services: dict[int, tuple[int, float]]) -> list[ProcessInfo]:
    """Stop several services at once (session -> (stop signal, grace seconds)): each gets its
    signal, then whatever is left of a service after its grace period is killed."""
    for session, (stop_signal, _) in services.items():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(session, stop_signal)
    began = time.monotonic()
    stubborn: list[ProcessInfo] = []
    waiting = dict(services)
    while waiting:
        for session, (_, grace) in list(waiting.items()):
            _reap_if_exited(session)
            left = living_in_sessions({session})
            if not left:
                del waiting[session]
            elif time.monotonic() - began > grace:
                stubborn.extend(left)
                _signal_session(session, signal.SIGKILL)
                deadline = time.monotonic() + 10
                while living_in_sessions({session}) and time.monotonic() < deadline:
                    time.sleep(0.1)
                del waiting[session]
        time.sleep(0.2)
    for session in services:
        _reap(session)
    return stubborn


def _reap_if_exited(pid: int) -> None:
    process = _CHILDREN.get(pid)
    if process is not None:
        process.poll()


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
