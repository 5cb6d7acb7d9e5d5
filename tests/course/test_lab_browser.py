"""The assignment notebook in JupyterLab 4, in a real browser: it opens, the nbgrader extension is
there, and nbgrader's Validate button passes it once the DAG is written."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.browser

SOURCE = REPO / "assignment" / "source" / "taxi_pipeline"
TOKEN = "week11-assignment-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab serving a student's folder (the assignment, DAG written); yields its URL."""
    folder = tmp_path / "taxi_pipeline"
    shutil.copytree(SOURCE, folder, ignore=shutil.ignore_patterns(".airflow", "warehouse"))
    shutil.copy2(REPO / "dags" / "taxi_pipeline.py", folder / "dags" / "taxi_pipeline.py")
    config = tmp_path / "jupyter-config"
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "TAXI_", "NBGRADER", "WEEK11_"))
    }
    env |= {
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "TAXI_SOURCE_PORT": str(_free_port()),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={folder}",
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "lab.log").open("w"),
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(
                    f"{url}/api/status", headers={"Authorization": f"token {TOKEN}"}
                )
                with urllib.request.urlopen(request, timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_the_notebook_opens_and_validates_with_the_nbgrader_extension(
    lab: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.support.browser import find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.fail("Chromium is missing: run `python -m workbook.system_setup`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{lab}/lab/tree/taxi_pipeline.ipynb?token={TOKEN}")
            expect(page.locator(".jp-NotebookPanel")).to_be_visible(timeout=60_000)
            expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=60_000)
            heading = page.get_by_role("heading", name="Assignment: build an orchestrated")
            expect(heading).to_be_visible()
            # The nbgrader extension's toolbar button; it runs `nbgrader validate` on the server.
            page.get_by_role("button", name="Validate").click()
            expect(page.get_by_text("Success! Your notebook passes all the tests.")).to_be_visible(
                timeout=240_000
            )
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            raise
        finally:
            browser.close()
