"""Task logs as a student should read them, from the sandbox's console output of a run.

The cleaning itself is the course's one implementation (`airflow_env.logs`, which the workbook
uses too); this module adds only what is the grader's own: its sandbox folder, whose random name
is shown as <sandbox> so feedback does not change when nothing else did.
"""

from __future__ import annotations

import re
import tempfile

from airflow_env import logs

_SANDBOX_PATH = re.compile(re.escape(tempfile.gettempdir()) + r"/autograder-\w+/s-\w+")

without_library_frames = logs.without_library_frames


def clean_log(text: str) -> str:
    """`text` without timestamps or colour codes, the sandbox's folder shown as <sandbox>."""
    return logs.strip_ansi(logs.without_timestamps(_SANDBOX_PATH.sub("<sandbox>", text)))


def task_log(console: str, task_id: str, lines: int) -> str:
    """The last `lines` lines of `task_id`'s latest try in a run's (cleaned) console output."""
    return "\n".join(logs.last_try_log(console, task_id).splitlines()[-lines:])


def failure_excerpt(log: str, lines: int) -> str:
    """At most about `lines` lines of a failed task's log: errors first, then the end."""
    return logs.failure_excerpt(log, lines)
