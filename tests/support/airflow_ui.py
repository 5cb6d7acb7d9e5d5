"""`workbook ui` (what `make ui` runs) started for a test: the real api-server, scheduler and
dag-processor in a session of their own, with a fresh Airflow home; the REST calls tests make."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.conftest import REPO
from tests.process_ledger import record_started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as resp:
        return json.load(resp)


def _send(url: str, token: str, method: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.load(resp)


def _wait_for(probe, seconds: float, every: float = 1):
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - the server is still starting
            last = exc
        time.sleep(every)
    raise AssertionError(f"timed out; last error: {last}")


def start_ui(
    tmp_path: Path,
    source_url: str,
    dags_folder: Path = REPO / "dags",
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen, int, IO[bytes]]:
    """`workbook ui` on a free port, in a session of its own, with a fresh Airflow home under
    `tmp_path`; its output goes to `tmp_path / "ui.log"`."""
    port = _free_port()
    home = tmp_path / "airflow"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "TAXI_SOURCE_URL": source_url,
        **(extra_env or {}),
    }
    log = (tmp_path / "ui.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbook", "ui", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    record_started(proc.pid)
    return proc, port, log


def stop_ui(proc: subprocess.Popen, log: IO[bytes]) -> None:
    """Stop `workbook ui` and everything it started (its session)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    log.close()


@dataclass
class RunningUI:
    """A started `workbook ui`, healthy, with an admin's API token."""

    base: str
    home: Path
    token: str
    user: str
    password: str

    def get(self, path: str, **query: object) -> dict:
        url = f"{self.base}/api/v2/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        return _get_json(url, self.token)

    def send(self, path: str, method: str, body: dict, tries: int = 5) -> dict:
        """A write; on SQLite the api-server answers 503 while the scheduler holds the database
        lock ("database is locked"), which it means as "try again"."""
        for attempt in range(1, tries + 1):
            try:
                return _send(f"{self.base}/api/v2/{path}", self.token, method, body)
            except urllib.error.HTTPError as err:
                if err.code != 503 or attempt == tries:
                    raise
                time.sleep(2)
        raise AssertionError("unreachable")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        found = self.get(f"dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances")
        return {ti["task_id"]: ti["state"] for ti in found["task_instances"]}


def wait_until_ready(port: int, home: Path, dag_ids: set[str], seconds: float = 300) -> RunningUI:
    """Wait for a healthy scheduler and dag-processor, log in, and wait for `dag_ids`."""
    base = f"http://127.0.0.1:{port}"
    health = _wait_for(lambda: _get_json(f"{base}/api/v2/monitor/health"), seconds)
    for component in ("metadatabase", "scheduler", "dag_processor"):
        assert health[component]["status"] == "healthy", health
    passwords = home / "simple_auth_manager_passwords.json.generated"
    _wait_for(passwords.exists, 30)
    user, password = next(iter(json.loads(passwords.read_text()).items()))
    request = urllib.request.Request(
        f"{base}/auth/token",
        data=json.dumps({"username": user, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        token = json.load(resp)["access_token"]
    ui = RunningUI(base, home, token, user, password)
    _wait_for(lambda: {d["dag_id"] for d in ui.get("dags")["dags"]} >= dag_ids, 120)
    return ui
