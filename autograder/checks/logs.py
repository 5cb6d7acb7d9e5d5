"""Task logs as a student should read them, from the sandbox's console output of a run.

The cleaning itself is the course's one implementation (`airflow_env.logs`, which the workbook
uses too); this module adds only what is the grader's own: its sandbox folder, whose random name
is shown as <sandbox> so feedback does not change when nothing else did, and `printable`, the
one filter every text of a result passes before any reporter sees it (issue #16: dbt's coloured
`FAIL` lines reached the Markdown and HTML feedback).
"""

from __future__ import annotations

import re

from airflow_env import logs

# A sandbox's folder: `sandbox`, as its own processes see it (session.ALIAS), or its host path,
# in whichever scratch folder it was made (GradingOptions.scratch_dir).
_SANDBOX_PATH = re.compile(r"(?:/[\w.-]+)*/autograder-\w+/(?:sandbox|s-\w+)")

# Terminal escape sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks) and the
# two-character ones; also their printed-out forms (`\x1b[31m`), as a logger's repr shows them.
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()*+].|[@-Z\\-_])"
    r"|(?:\\x1b|\\u001b|\\033|\\e)\[[0-9;]*[A-Za-z]"
)
# Control characters other than newline and tab (C0, DEL and C1).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

without_library_frames = logs.without_library_frames


def printable(text: str) -> str:
    """`text` without terminal escape sequences or control characters (newlines and tabs stay).

    Feedback is Markdown, HTML, a terminal and nbgrader's page: in each, such characters garble
    or hide what follows them. A carriage return (a progress bar redrawing itself) ends a line.
    """
    text = _ESCAPES.sub("", text.replace("\r\n", "\n")).replace("\r", "\n")
    return _CONTROL.sub("", text)


def clean_log(text: str) -> str:
    """`text` without timestamps or control codes, the sandbox's folder shown as <sandbox>."""
    return printable(logs.without_timestamps(_SANDBOX_PATH.sub("<sandbox>", text)))


def task_log(console: str, task_id: str, lines: int) -> str:
    """The last `lines` lines of `task_id`'s latest try in a run's (cleaned) console output."""
    return "\n".join(logs.last_try_log(console, task_id).splitlines()[-lines:])


def failure_excerpt(log: str, lines: int) -> str:
    """At most about `lines` lines of a failed task's log: errors first, then the end."""
    return logs.failure_excerpt(log, lines)
