"""One submission's sandbox under attack: a run that hangs, with a detached child process, is
killed at its timeout with everything it started."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import grade_submission
from autograder.sandbox.isolation import UID_COUNT, UID_FIRST
from tests.autograder.helpers import FAST, REFERENCE_DAG
from tests.corpus import REFERENCE, build_submission

pytestmark = pytest.mark.slow


def _sandbox_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if UID_FIRST <= uid < UID_FIRST + UID_COUNT and "sleep 987" in cmdline:
            found.append(cmdline)
    return found


def test_a_hanging_run_is_killed_with_everything_it_started(tmp_path) -> None:
    root = tmp_path / "class" / "hangs_in_a_task"
    build_submission(REFERENCE, root)
    source = REFERENCE_DAG.replace(
        "        month = _run_month()\n        schema",
        "        import subprocess\n        import time\n\n"
        '        subprocess.Popen(["sleep", "987"], start_new_session=True)\n'
        "        time.sleep(3600)\n"
        "        month = _run_month()\n        schema",
    )
    (root / "dags" / "taxi_pipeline.py").write_text(source)
    result = grade_submission(root, FAST.model_copy(update={"public_only": True}))
    one_month = result.check("behaviour_one_month")
    assert one_month.score == 0 and "did not finish in time" in one_month.message
    assert result.check("integrity_imports").passed
    assert _sandbox_processes() == []
