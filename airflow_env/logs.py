"""Airflow's logs as a person reads them: one implementation for the workbook (notebooks, the
DAG runner, pytest output) and the autograder's feedback.

Airflow 3 writes structlog lines (`2025-01-06T06:00:00.123Z [info     ] message [logger] k=v`)
mixed with what the task itself printed (print(), dbt) and tracebacks. `dag.test()` marks where
each task's try starts and ends, which is how one run's output is split into task logs.
"""

from __future__ import annotations

import re
import sysconfig

ANSI = re.compile(r"\x1b\[[0-9;]*m")
AIRFLOW_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2}T(?P<hms>\d{2}:\d{2}:\d{2})\S*)\s+\[(?P<level>\w+)\s*\]\s+"
    r"(?P<msg>.*?)\s*(?:\[(?P<logger>[\w.]+)\](?P<extra>.*))?$"
)
TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")

_TIMESTAMP = re.compile(r"^(\x1b\[\d*m)*(\d{4}-\d\d-\d\dT[\d:.]+Z |\d\d:\d\d:\d\d  )")
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+')
# Airflow's own bookkeeping in a task log whose timestamps are gone (not what went wrong).
_PLUMBING = re.compile(
    r"^\[(info|debug)\s*\].*\[(airflow\.|task\]|py\.warnings)|::(end)?group::|\[py\.warnings\]"
)
# Lines that usually say what went wrong.
_TELLING = re.compile(r"\bFAIL\b|\bERROR\b|Failure in|Error:|Exception:|answered \d{3}|Traceback")
_NOISE_LOGGERS = ("airflow.api_fastapi",)
_NOISE_MESSAGES = (
    "::group::",
    "::endgroup::",
    "[DAG TEST] running task",
    "[DAG TEST] end task",
    "Pushing xcom",
    "Updating RenderedTaskInstanceFields",
)
_NEW_STATE = re.compile(r"new_state=(\w+)")
_LIBRARY_MARKS = tuple(
    {
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        "site-packages",
        "/lib/python",
        "<frozen",
    }
)


# -- small pieces ------------------------------------------------------------------------------


def strip_ansi(text: str) -> str:
    """`text` without terminal colour codes."""
    return ANSI.sub("", text)


def is_airflow_line(line: str) -> bool:
    """Is this one of Airflow's own structlog lines (not the task's output)?"""
    return AIRFLOW_LINE.match(line) is not None


def without_airflow_lines(output: str) -> str:
    """What a command printed itself (pytest's report, an `airflow` CLI answer), without the
    Airflow log lines captured along with it."""
    kept = [
        line
        for line in strip_ansi(output).splitlines()
        if not is_airflow_line(line) and not line.startswith("\x1b")
    ]
    return "\n".join(kept)


def without_timestamps(text: str) -> str:
    """Every line without its leading timestamp, so the same log reads the same every time."""
    return "\n".join(_TIMESTAMP.sub("", line) for line in text.splitlines())


def is_library_frame(frame: str) -> bool:
    """Is a traceback frame (its `File "..."` line or path) inside Python or an installed
    package, rather than in a DAG file someone wrote?"""
    return any(mark in frame for mark in _LIBRARY_MARKS)


def without_library_frames(lines: list[str]) -> list[str]:
    """Drop traceback frames (and their source lines) that are not the student's code."""
    kept, in_library_frame = [], False
    for line in lines:
        frame = _FRAME.match(line)
        if frame:
            in_library_frame = is_library_frame(frame.group(1))
        elif not line.startswith("    "):
            in_library_frame = False
        if not in_library_frame:
            kept.append(line)
    return kept


# -- one run's output, split per task ------------------------------------------------------------


def split_task_logs(output: str) -> dict[str, str]:
    """The output of a `dag.test()` run, split into each task's log (every try of it)."""
    logs: dict[str, list[str]] = {}
    current: str | None = None
    for line in output.splitlines():
        if start := TASK_START.search(line):
            current = start.group(1)
        if current:
            logs.setdefault(current, []).append(line)
        if TASK_END.search(line):
            current = None
    return {task_id: "\n".join(lines) for task_id, lines in logs.items()}


def last_try_log(output: str, task_id: str) -> str:
    """The log of the last try of `task_id` in the output of a `dag.test()` run ("" if none)."""
    collected: list[str] = []
    current: str | None = None
    for line in output.splitlines():
        if start := TASK_START.search(line):
            current = start.group(1)
            if current == task_id:
                collected = []
        if current == task_id:
            collected.append(line)
        if TASK_END.search(line):
            current = None
    return "\n".join(collected)


def failure_excerpt(log: str, lines: int) -> str:
    """At most about `lines` lines of a failed task's log (timestamps already removed): the
    telling lines first (errors, FAIL, HTTP answers), then `[...]` and the end of the log, with
    Airflow's bookkeeping and library traceback frames left out."""
    kept = without_library_frames(log.splitlines())
    kept = [line for line in kept if not _PLUMBING.search(line)]
    telling = list(dict.fromkeys(line for line in kept if _TELLING.search(line)))
    telling = telling[: lines // 2]
    tail = [line for line in kept[-(lines - len(telling)) :] if line not in telling]
    return "\n".join([*telling, "[...]", *tail])


# -- a task log for a notebook ------------------------------------------------------------------


def readable_log(raw: str) -> str:
    """Airflow's task log without the plumbing: tries, your messages, errors, state changes.

    Traceback frames inside installed packages are folded away; the frames from DAG files and
    the exception's own line stay, because that is where the answer usually is.
    """
    out: list[str] = []
    in_traceback = keep_frame = False
    tries = 0
    for raw_line in raw.splitlines():
        line = strip_ansi(raw_line).rstrip()
        match = AIRFLOW_LINE.match(line)
        if match:
            in_traceback = False
            entry, tries = _airflow_entry(match, tries)
            out += entry
        elif line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            out.append("  Traceback (frames inside Python and installed packages left out):")
        elif in_traceback:
            out += _traceback_line(line, keep_frame)
            if line.strip().startswith("File "):
                keep_frame = not is_library_frame(line)
        elif line.strip():
            out.append("         " + line.strip())  # the task's own output: print(), dbt
    return "\n".join(out)


def _airflow_entry(match: re.Match[str], tries: int) -> tuple[list[str], int]:
    """What a person reads of one Airflow line (maybe nothing), and the try count after it."""
    msg, logger, extra = match["msg"], match["logger"] or "", match["extra"] or ""
    level = match["level"].upper()
    if msg.startswith("[DAG TEST] starting task_id="):
        return [f"{match['hms']} ---- try {tries + 1} ----"], tries + 1
    if logger.startswith(_NOISE_LOGGERS):
        state = _NEW_STATE.search(extra)
        if state and "state updated" in msg:
            return [f"{match['hms']} state -> {state.group(1)}"], tries
        return [], tries
    if any(noise in msg for noise in _NOISE_MESSAGES):
        return [], tries
    prefix = f"{match['hms']} " + ("" if level == "INFO" else f"{level} ")
    return [prefix + msg], tries


def _traceback_line(line: str, keep_frame: bool) -> list[str]:
    text = line.strip()
    if text.startswith("File "):
        return [] if is_library_frame(text) else ["    " + text]
    if not text or set(text) <= set("^~ "):
        return []
    if line.startswith((" ", "\t")):
        return ["      " + text] if keep_frame else []
    return ["  " + line]  # the exception itself
