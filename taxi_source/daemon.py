"""Start the taxi source once per machine, in the background, and find it again later."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from workbook.paths import airflow_home

DEFAULT_PORT = int(os.environ.get("TAXI_SOURCE_PORT", "8765"))


class SourceUnavailable(RuntimeError):
    """The taxi source could not be reached or started."""


def base_url(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}/trip-data"


def health(port: int = DEFAULT_PORT, timeout: float = 0.5) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=timeout) as resp:
            return json.load(resp)
    except (OSError, ValueError):
        return None


def _pid_file(port: int) -> Path:
    return airflow_home() / f"taxi-source-{port}.pid"


def ensure_running(port: int = DEFAULT_PORT, wait_seconds: float = 15.0) -> str:
    """Return the source's base URL, starting the server in the background if nothing answers."""
    if health(port):
        return base_url(port)
    home = airflow_home()
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / f"taxi-source-{port}.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbook", "source", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the notebook kernel or make target that started it
    )
    _pid_file(port).write_text(str(proc.pid))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if health(port):
            return base_url(port)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SourceUnavailable(
        f"The taxi source did not start on port {port}. See {home / f'taxi-source-{port}.log'}; "
        f"if another program uses the port, set TAXI_SOURCE_PORT to a free one."
    )


def stop(port: int = DEFAULT_PORT) -> bool:
    pid_file = _pid_file(port)
    if not pid_file.exists():
        return False
    with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
        os.killpg(int(pid_file.read_text()), signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
    return True


def set_faults(faults: dict[str, object], port: int = DEFAULT_PORT) -> None:
    """Replace the fault schedule of a running source (the workbook's source has no token)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_control/faults",
        data=json.dumps(faults).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5):
            pass
    except urllib.error.HTTPError as err:
        raise SourceUnavailable(
            f"The taxi source refused the faults: {err.read().decode()}"
        ) from None
    except OSError as err:
        raise SourceUnavailable(f"The taxi source on port {port} is not answering: {err}") from None
