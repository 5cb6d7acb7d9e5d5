"""`grade --regrade`: the results a regrade replaces are kept, never overwritten.

Before a regraded student's new result is written, the old `results/<student>.json` is copied,
byte for byte, to `history/<student>/<stamp>.json` (the stamp is when the regrade session
started, UTC), so the gradebook's file is always the newest and every earlier one stays
readable with `read_results_file`. The differences go to `regrades/<stamp>.md`
(`reporters/regrade.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from autograder.files import atomic_write_bytes
from autograder.reporters.gradescope import result_path


def session_stamp(out_dir: Path) -> str:
    """The name a regrade session's files share: its start, UTC, to the second (`-2`, ... for a
    second session within the same second, so no report is ever replaced)."""
    stamp = base = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    number = 1
    while (out_dir / "regrades" / f"{stamp}.md").exists():
        number += 1
        stamp = f"{base}-{number}"
    return stamp


def history_dir(out_dir: Path, student: str) -> Path:
    return out_dir / "history" / student


def keep_previous(out_dir: Path, student: str, stamp: str) -> Path:
    """Copy the student's current results file into their history; returns the copy's path.

    A second regrade within the same second gets `-2`, `-3`, ... rather than replacing a copy.
    """
    source = result_path(out_dir, student)
    folder = history_dir(out_dir, student)
    target = folder / f"{stamp}.json"
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{stamp}-{number}.json"
    atomic_write_bytes(target, source.read_bytes())
    return target
