"""Kernels that start warm (`workbook.warm_kernel`): the spare that becomes the next kernel.

The spare has imported Airflow and dbt before it is asked for; it must then be exactly the kernel
that was asked for (its folder, environment, parent, interrupts), be passed over when the
environment differs, and give a chapter the same output a kernel started cold gives."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest
from jupyter_client import KernelManager
from jupyter_client.provisioning import KernelProvisionerFactory
from nbclient import NotebookClient

from tests.notebooks.harness import NOTEBOOKS, kernel_env
from workbook.warm_kernel import WarmKernelProvisioner

pytestmark = pytest.mark.slow

WARM = "workbook-warm-provisioner"
REPORT = """
import json, os, sys
imported = "airflow" in sys.modules
import airflow  # as a chapter's first cell does; it adds its folders to sys.path
print(json.dumps({
    "airflow_imported": imported,
    "cwd": os.getcwd(),
    "path": sys.path,
    "session": os.environ.get("JPY_SESSION_NAME"),
    "parent": os.environ.get("JPY_PARENT_PID"),
    "ppid": os.getppid(),
}))
"""


@pytest.fixture
def provisioner(monkeypatch):
    """Kernels started in this test come from `WarmKernelProvisioner`; its spare stops after."""
    monkeypatch.setattr(KernelProvisionerFactory.instance(), "default_provisioner_name", WARM)
    yield
    WarmKernelProvisioner.discard_spare()


def _start(env: dict[str, str], cwd) -> tuple[KernelManager, object]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=180)
    return manager, client


def _run(client, code: str, timeout: float = 120) -> tuple[dict, str]:
    out: list[str] = []

    def keep(message: dict) -> None:
        if message["msg_type"] == "stream":
            out.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=timeout, output_hook=keep)
    return reply["content"], "".join(out)


def _report(client) -> dict:
    content, out = _run(client, REPORT)
    assert content["status"] == "ok", content
    return json.loads(out)


def _stop(manager: KernelManager, client) -> None:
    client.stop_channels()
    manager.shutdown_kernel(now=False)


def test_the_spare_becomes_the_kernel_asked_for(tmp_path, taxi_source, provisioner) -> None:
    env = kernel_env(tmp_path, taxi_source, None)
    first, first_client = _start({**env, "JPY_SESSION_NAME": "first.ipynb"}, NOTEBOOKS)
    try:
        cold = _report(first_client)
    finally:
        _stop(first, first_client)
    assert cold["airflow_imported"] is False  # the control: a kernel started the ordinary way
    spare = WarmKernelProvisioner._spare
    assert spare is not None and spare.process.poll() is None

    folder = tmp_path / "elsewhere"
    folder.mkdir()
    second, second_client = _start({**env, "JPY_SESSION_NAME": "second.ipynb"}, folder)
    try:
        warm = _report(second_client)
        assert second.provisioner.pid == spare.process.pid  # the spare, not a new process
        # Interrupting reaches it like any kernel.
        asleep = second_client.execute("import time; time.sleep(120)")
        time.sleep(1)
        second.interrupt_kernel()
        reply = second_client.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == asleep
        assert reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        _stop(second, second_client)
    assert not psutil.pid_exists(spare.process.pid) or spare.process.poll() is not None
    assert warm["airflow_imported"] is True
    assert warm["cwd"] == str(folder)
    assert warm["path"] == cold["path"]  # imports resolve as in a kernel started cold
    assert warm["session"] == "second.ipynb"  # the asked-for environment, not the spare's
    assert warm["parent"] == str(warm["ppid"])  # ipykernel watches the process that started it


def test_a_spare_for_another_environment_is_passed_over(tmp_path, taxi_source, provisioner):
    env = kernel_env(tmp_path, taxi_source, None)
    first, first_client = _start(env, NOTEBOOKS)
    _stop(first, first_client)
    spare = WarmKernelProvisioner._spare
    other = {**env, "WORKBOOK_WORK_DIR": str(tmp_path / "other-work")}
    second, second_client = _start(other, NOTEBOOKS)
    try:
        assert _report(second_client)["airflow_imported"] is False
        assert second.provisioner.pid != spare.process.pid
    finally:
        _stop(second, second_client)
    assert spare.process.wait(timeout=10) is not None  # the unfit spare was stopped


def _outputs(name: str, env: dict[str, str], folder) -> list[str]:
    """Each code cell's output, with what differs from run to run (times, ids) masked. A
    stream's text is joined per cell: where the kernel cut it into messages is timing."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute(env=env)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        streams: dict[str, str] = {}
        shown = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                streams[output["name"]] = streams.get(output["name"], "") + output["text"]
            else:
                shown.append(output.get("data", {}).get("text/plain", output.get("ename", "")))
        text = json.dumps([sorted(streams.items()), shown]).replace(str(folder), "<folder>")
        text = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "<id>", text)
        cells.append(re.sub(r"\d+", "<n>", text))
    return cells


def test_a_chapter_reads_the_same_in_a_warm_kernel(tmp_path, taxi_source, monkeypatch) -> None:
    """Chapter 00, then 02, in one home: once with kernels started cold, once warm."""

    def two_chapters(folder) -> list[str]:
        folder.mkdir()
        env = kernel_env(folder, taxi_source, None)
        env.pop("WORKBOOK_STRICT_WARNINGS")
        _outputs("00_start_here.ipynb", env, folder)  # with the warm provisioner: leaves a spare
        return _outputs("02_airflow_fundamentals.ipynb", env, folder)

    cold = two_chapters(tmp_path / "cold")
    monkeypatch.setattr(KernelProvisionerFactory.instance(), "default_provisioner_name", WARM)
    try:
        warm = two_chapters(tmp_path / "warm")
        assert WarmKernelProvisioner._spare is not None  # 02's kernel was a spare, and left one
    finally:
        WarmKernelProvisioner.discard_spare()
    assert sum(cell != "[[], []]" for cell in cold) > 5  # cells with output
    assert warm == cold  # same text, same colours (ANSI codes), same order


def _spares(server: psutil.Process) -> set[int]:
    """The server's live spare kernels (a kernel that just ended may be an unreaped zombie)."""
    found = set()
    for child in server.children():
        try:
            if "workbook.warm_kernel" in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.NoSuchProcess:  # ZombieProcess included
            continue
    return found


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


def test_jupyter_server_starts_the_next_kernel_from_the_spare(tmp_path) -> None:
    """As `make lab` starts it (JUPYTER_DEFAULT_PROVISIONER_NAME): the second kernel asked for
    over the REST API is the spare the first one left, and a new spare takes its place."""
    token = "warm-kernel-test"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "TAXI_", "WORKBOOK_", "DBT_"))
    }
    env |= {
        "JUPYTER_DEFAULT_PROVISIONER_NAME": WARM,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "WORKBOOK_WORK_DIR": str(tmp_path / "work"),
    }
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={NOTEBOOKS}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("w"),
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"

    def call(method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw else {}

    def up() -> bool:
        try:
            return bool(call("GET", "/status"))
        except OSError:
            return False

    me = psutil.Process(server.pid)
    try:
        _wait_for(up, 60, "the server")
        call("POST", "/kernels", {"name": "python3"})
        [spare] = _wait_for(lambda: _spares(me), 60, "a spare after the first kernel")
        second = call("POST", "/kernels", {"name": "python3"})
        replacement = _wait_for(lambda: _spares(me) - {spare}, 60, "a new spare")
        assert psutil.pid_exists(spare)  # still running: it is the second kernel now
        call("DELETE", f"/kernels/{second['id']}")
        _wait_for(lambda: not psutil.pid_exists(spare), 60, "the second kernel to end")
        assert replacement and all(psutil.pid_exists(pid) for pid in replacement)
    finally:
        left = [psutil.Process(pid) for pid in _spares(me)]
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        # A spare outlives the server only until it has warmed up and finds its stdin closed.
        _, alive = psutil.wait_procs(left, timeout=60)
        assert not alive, [p.pid for p in alive]
