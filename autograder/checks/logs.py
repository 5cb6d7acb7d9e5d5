"""Task logs as a student should read them: the sandbox's noise removed, the telling lines first.

The sandbox's console output of a run holds every task's log; `task_log` cuts one task's out,
`telling_lines` keeps what says what went wrong (errors, the end of the log) without Airflow's
and dbt's own traceback frames.
"""

from __future__ import annotations

import re
import tempfile

_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
_SANDBOX_PATH = re.compile(re.escape(tempfile.gettempdir()) + r"/autograder-\w+/s-\w+")
_LOG_STAMP = re.compile(r"^(\x1b\[\d*m)*(\d{4}-\d\d-\d\dT[\d:.]+Z |\d\d:\d\d:\d\d  )")
# Airflow's own bookkeeping lines in a task log (not what went wrong).
_PLUMBING = re.compile(
    r"^\[(info|debug)\s*\].*\[(airflow\.|task\]|py\.warnings)|::(end)?group::|\[py\.warnings\]"
)
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+')
_TELLING = re.compile(r"\bFAIL\b|\bERROR\b|Failure in|Error:|Exception:|answered \d{3}|Traceback")


def clean_log(text: str) -> str:
    """Logs as a student should read them: no timestamps, and the sandbox's random folder
    shown as <sandbox> (so feedback does not change when nothing else did)."""
    text = _SANDBOX_PATH.sub("<sandbox>", text)
    return "\n".join(_LOG_STAMP.sub("", line) for line in text.splitlines())


def without_library_frames(lines: list[str]) -> list[str]:
    """Drop traceback frames (and their source lines) that are not the student's code."""
    kept, in_library_frame = [], False
    for line in lines:
        frame = _FRAME.match(line)
        if frame:
            path = frame.group(1)
            in_library_frame = any(x in path for x in ("site-packages", "/lib/python", "<frozen"))
        elif not line.startswith("    "):
            in_library_frame = False
        if not in_library_frame:
            kept.append(line)
    return kept


def task_log(console: str, task_id: str, lines: int) -> str:
    """The last `lines` lines of `task_id`'s latest try in a run's (cleaned) console output."""
    collected: list[str] = []
    current = None
    for line in console.splitlines():
        if start := _TASK_START.search(line):
            current = start.group(1)
            if current == task_id:
                collected = []
        if current == task_id:
            collected.append(line)
        if _TASK_END.search(line):
            current = None
    return "\n".join(collected[-lines:])


def telling_lines(log: str, lines: int) -> list[str]:
    """At most `lines` lines of a failed task's log: errors first, then the end, with
    traceback frames from Airflow's and dbt's own code and their bookkeeping left out."""
    kept = [line for line in without_library_frames(log.splitlines()) if not _PLUMBING.search(line)]
    telling = list(dict.fromkeys(line for line in kept if _TELLING.search(line)))[: lines // 2]
    tail = [line for line in kept[-(lines - len(telling)) :] if line not in telling]
    return [*telling, "[...]", *tail]
