"""`make ui`: the real Airflow 3 api-server, scheduler and dag-processor, no Docker."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from class_airflow.twin.processes import ProcessInfo, living_in_sessions
from tests.support.airflow_ui import RunningUI, _wait_for, start_ui, stop_ui, wait_until_ready

pytestmark = pytest.mark.slow


def test_workbook_ui_serves_the_dags(tmp_path: Path, taxi_source) -> None:
    proc, port, log = start_ui(tmp_path, taxi_source.base_url)
    home = tmp_path / "airflow"
    try:
        # Generous: on a loaded 2-core machine standalone has taken over 200 s to come up.
        ui = wait_until_ready(port, home, {"taxi_pipeline", "hello_pipeline"})
        dags = ui.get("dags")["dags"]
        assert {d["dag_id"] for d in dags} == {"taxi_pipeline", "hello_pipeline"}
        assert all(d["is_paused"] for d in dags), "new DAGs must start paused (no surprise runs)"
        # A run triggered through the REST API executes under the scheduler (LocalExecutor).
        ui.send("dags/hello_pipeline", "PATCH", {"is_paused": False})
        assert _hello_run(ui, "2025-03-04") == "success", _log_text(tmp_path)[-3000:]
        # A scheduler that dies (as Airflow 3.3's does on SQLite when a backfill's half-made
        # runs are deleted under it) is started again, and runs go on.
        crashed = _scheduler_of(proc.pid)
        os.kill(crashed.pid, signal.SIGKILL)
        again = _wait_for(lambda: (s := _scheduler_of(proc.pid)) and s.pid != crashed.pid and s, 60)
        assert "stopped unexpectedly (exit code -9); starting it again" in _log_text(tmp_path)
        assert _hello_run(ui, "2025-03-05") == "success", _log_text(tmp_path)[-3000:]
        assert _scheduler_of(proc.pid).pid == again.pid
        # Ctrl-C (SIGINT to `workbook ui`) stops standalone and everything it started, the
        # LocalExecutor workers included.
        started = living_in_sessions({proc.pid})
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=90)
        left = living_in_sessions({p.pid for p in started})
        assert not left, [p.command for p in left]
    finally:
        stop_ui(proc, log)  # only if the test failed before its own Ctrl-C
    # `workbook ui` starts Airflow in a process group of its own; stopping it must stop that too.
    assert _wait_for(lambda: not _processes_using(home), 30)


def _hello_run(ui: RunningUI, day: str) -> str:
    """Trigger hello_pipeline for `day` through the REST API; the state the run ends in."""
    body = {"logical_date": f"{day}T00:00:00Z", "conf": {}}
    run = ui.send("dags/hello_pipeline/dagRuns", "POST", body)
    run_path = f"dags/hello_pipeline/dagRuns/{run['dag_run_id']}"
    return _wait_for(
        lambda: (state := ui.get(run_path)["state"]) in ("success", "failed") and state,
        180,
    )


def _scheduler_of(ui_pid: int) -> ProcessInfo | None:
    """The `airflow scheduler` that `workbook ui` (its session is `ui_pid`) runs right now."""
    found = living_in_sessions({ui_pid})
    standalone = {p.pid for p in found if "workbook.standalone" in p.command}
    return next(
        (p for p in found if p.ppid in standalone and p.command.endswith("airflow scheduler")),
        None,
    )


def _log_text(tmp_path: Path) -> str:
    return (tmp_path / "ui.log").read_text(errors="replace")


def _processes_using(home: Path) -> list[int]:
    """Processes whose environment points AIRFLOW_HOME at `home`."""
    marker = f"AIRFLOW_HOME={home}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found
