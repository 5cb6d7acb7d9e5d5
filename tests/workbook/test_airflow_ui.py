"""`make ui`: the real Airflow 3 api-server, scheduler and dag-processor, no Docker."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from class_airflow.twin.processes import living_in_sessions
from tests.support.airflow_ui import _wait_for, start_ui, stop_ui, wait_until_ready

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
        body = {"logical_date": "2025-03-04T00:00:00Z", "conf": {}}
        run = ui.send("dags/hello_pipeline/dagRuns", "POST", body)
        run_path = f"dags/hello_pipeline/dagRuns/{run['dag_run_id']}"
        final = _wait_for(
            lambda: (state := ui.get(run_path)["state"]) in ("success", "failed") and state,
            120,
        )
        assert final == "success", (tmp_path / "ui.log").read_text()[-3000:]
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
