"""The sandbox's `dbt` command (autograder/inside/bin/dbt) answered by a warm dbt: the same exit
code and summary as a fresh dbt process, under the caller's working directory and environment,
and the real dbt when no warm one is listening. Real dbt throughout (dbt-duckdb)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.inside.warm_dbt import BIN, SOCKET_ENV
from tests.corpus.build import REPO

pytestmark = pytest.mark.slow

SERVER = (
    "import sys, threading; from pathlib import Path; import dbt.cli.main;"
    "from autograder.inside.warm_dbt import start; start(Path(sys.argv[1]));"
    "print('ready', flush=True); threading.Event().wait()"
)


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A warm dbt listening in its own process (its environment points at no warehouse)."""
    folder = tmp_path_factory.mktemp("warm")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXI_")}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(folder)],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        yield folder / "dbt.sock"
    finally:
        server.kill()
        server.wait(timeout=10)


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(REPO / "include" / "taxi_dbt", tmp_path / "taxi_dbt")
    return tmp_path / "taxi_dbt"


def dbt(args: list[str], project: Path, socket: Path | None) -> subprocess.CompletedProcess:
    """`dbt ARGS` as a BashOperator runs it: the shim first on PATH, in the project folder."""
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{BIN}:{venv_bin}:/usr/bin:/bin",
        "HOME": str(project.parent),
        "TAXI_WAREHOUSE": str(project.parent / "warehouse.duckdb"),
        "TAXI_SCHEMA": "airflow_warm",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "NO_COLOR": "1",
    }
    if socket:
        env[SOCKET_ENV] = str(socket)
    return subprocess.run(
        ["dbt", *args, "--project-dir", ".", "--profiles-dir", "."],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def summary(output: str) -> list[str]:
    keep = ("Completed", "Done.", "Database Error", "Found ")
    return [
        line.split(" ", 1)[-1].strip()
        for line in output.splitlines()
        if any(k in line for k in keep)
    ]


def test_a_failing_run_fails_the_same_way_warm_and_cold(warm, project) -> None:
    # No raw_trips in the warehouse: the staging model fails, dbt exits 1.
    cold = dbt(["run"], project, socket=None)
    (project.parent / "warehouse.duckdb").unlink(missing_ok=True)
    hot = dbt(["run"], project, socket=warm)
    assert cold.returncode == hot.returncode == 1, (cold.stdout[-800:], hot.stdout[-800:])
    assert summary(hot.stdout) == summary(cold.stdout) and summary(hot.stdout)


def test_the_callers_directory_and_environment_are_used(warm, project) -> None:
    # `--project-dir .` only resolves in the caller's cwd; the warehouse path only in its env.
    result = dbt(["parse"], project, socket=warm)
    assert result.returncode == 0, result.stdout[-800:]
    assert (project / "target" / "manifest.json").exists()
    result = dbt(["run", "--select", "stg_trips"], project, socket=warm)
    assert result.returncode == 1
    assert (project.parent / "warehouse.duckdb").exists()


def test_without_a_warm_dbt_the_real_one_answers(project) -> None:
    result = dbt(["parse"], project, socket=project.parent / "nobody-listens.sock")
    assert result.returncode == 0, result.stderr[-800:]
    assert (project / "target" / "manifest.json").exists()


def test_the_templates_uvx_dbt_is_served_by_the_warm_dbt(warm, project) -> None:
    # `uvx --from 'dbt-core==1.10.*' ... dbt parse` in a template sandbox: with no installed dbt
    # to fall back on, it can only succeed through the warm dbt.
    shim = (
        "import sys; sys.executable = '/nowhere/python';"
        "from autograder.inside.uvx import main; main()"
    )
    argv = [sys.executable, "-c", shim, "--from", "dbt-core==1.10.*", "--with"]
    argv += ["dbt-duckdb", "dbt", "parse", "--project-dir", ".", "--profiles-dir", "."]
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "HOME": str(project.parent),
        "TAXI_WAREHOUSE": str(project.parent / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    served = subprocess.run(
        argv, cwd=project, env={**env, SOCKET_ENV: str(warm)}, capture_output=True, text=True
    )
    assert served.returncode == 0, served.stdout[-800:] + served.stderr[-800:]
    assert (project / "target" / "manifest.json").exists()
    alone = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
    assert alone.returncode == 127 and "no dbt installed at /nowhere/dbt" in alone.stderr
