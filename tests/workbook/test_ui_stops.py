"""`make ui` (`workbook ui`): Ctrl-C or SIGTERM stops every process it started.

`airflow standalone` alone leaves its scheduler, api-server and LocalExecutor workers behind
when it gets SIGTERM, and the workers ignore SIGTERM; `workbook ui` runs it in a session of
its own and stops the whole session.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from class_airflow.twin.processes import living_in_sessions
from tests.support.airflow_ui import _get_json, _wait_for, start_ui

pytestmark = pytest.mark.slow


def test_sigterm_to_make_ui_stops_every_process_it_started(tmp_path: Path, taxi_source) -> None:
    """(Ctrl-C is checked at the end of test_airflow_ui.py, on the same code path.)"""
    proc, port, log = start_ui(tmp_path, taxi_source.base_url)
    try:
        health = _wait_for(lambda: _get_json(f"http://127.0.0.1:{port}/api/v2/monitor/health"), 180)
        assert health["scheduler"]["status"] == "healthy", health
        started = _wait_for(
            lambda: (
                (found := living_in_sessions({proc.pid}))
                and any("LocalExecutor" in p.command for p in found)
                and found
            ),
            60,
        )
        assert len(started) >= 5, [p.command for p in started]

        os.kill(proc.pid, signal.SIGTERM)  # what `kill` or a service manager sends
        assert proc.wait(timeout=90) is not None
        time.sleep(1)
        alive = [p for p in living_in_sessions({p.pid for p in started}) if p.pid != proc.pid]
        still = [p for p in started if Path(f"/proc/{p.pid}").exists() and p in alive]
        assert not alive and not still, [p.command for p in alive]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
