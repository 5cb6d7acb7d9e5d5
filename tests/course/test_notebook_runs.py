"""The assignment notebook, as a student runs it: JupyterLab's nbgrader extension is there, and the
notebook runs top to bottom on a fresh kernel once the DAG is written (the reference solution)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course.layout import NOTEBOOK
from tests.conftest import REPO

SOURCE = REPO / "assignment" / "source" / "taxi_pipeline"
BIN = Path(sys.executable).parent


def _jupyter(*args: str) -> str:
    done = subprocess.run(
        [str(BIN / "jupyter"), *args], capture_output=True, text=True, env={**os.environ}
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # drop colour codes


@pytest.mark.slow  # `jupyter ... list` imports and validates every extension: ~10 s each
def test_the_nbgrader_lab_extension_is_enabled() -> None:
    listing = _jupyter("labextension", "list")
    assert "JupyterLab v4." in listing, listing
    assert re.search(r"@jupyter/nbgrader v0\.9\.\d+ enabled\s+OK", listing), listing


@pytest.mark.slow
def test_the_nbgrader_server_extensions_are_enabled() -> None:
    listing = _jupyter("server", "extension", "list")
    for extension in ("formgrader", "assignment_list", "validate_assignment", "course_list"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension}\s+enabled", listing), (
            f"{extension} is not enabled:\n{listing}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_the_notebook_runs_top_to_bottom_for_a_student(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "taxi_pipeline"
    shutil.copytree(SOURCE, folder, ignore=shutil.ignore_patterns(".airflow", "warehouse"))
    shutil.copy2(REPO / "dags" / "taxi_pipeline.py", folder / "dags" / "taxi_pipeline.py")
    # A student's kernel: none of the test session's Airflow or warehouse settings.
    for name in list(os.environ):
        if name.startswith(("AIRFLOW", "TAXI_", "NBGRADER")) or name == "WEEK11_CHECK_RESULTS":
            monkeypatch.delenv(name)
    port = _free_port()
    monkeypatch.setenv("TAXI_SOURCE_PORT", str(port))
    nb = nbformat.read(str(folder / NOTEBOOK), as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    try:
        client.execute()
    finally:
        subprocess.run(
            [sys.executable, "-c", f"from taxi_source import daemon; daemon.stop({port})"],
            env={**os.environ, "AIRFLOW_HOME": str(folder / ".airflow")},
            check=False,
        )
    errors = [
        f"cell {cell.id}: {out.ename}: {out.evalue}"
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert errors == []
    text = {cell.id: _text(cell) for cell in nb.cells if cell.cell_type == "code"}
    assert "all tasks succeeded" in text["run-one-month"], text["run-one-month"]
    assert "runs green: 7 then 7 of 7" in text["backfill-twice"], text["backfill-twice"]
    counts = re.findall(r"^(2024-\d\d)\s+(\d+)\s+(\d+)$", text["backfill-twice"], re.M)
    assert len(counts) == 7 and all(a == b != "0" for _, a, b in counts), counts
    assert "Your tier appears here" in text["tier-reached"]


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(out.data.get("text/html") or out.data.get("text/plain", ""))
    return "\n".join(parts)
