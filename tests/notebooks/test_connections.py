"""Chapter 08's connection, run for real against a PostgreSQL server: the hook logs in with what
the connection holds, and `{{ conn.* }}` renders its host and port. The connection comes from an
`AIRFLOW_CONN_<ID>` variable, the way a deployment's secrets would provide it."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.notebooks.harness import kernel_env
from tests.postgres_server import postgres_server

pytestmark = pytest.mark.slow
SCRIPT = """
import json, sys
from workbook.session import setup

wb = setup("08")
report = wb.run("ch08_connections", None)
json.dump({
    "states": {task: r.state for task, r in report.tasks.items()},
    "hook": report.log("who_am_i"),
    "template": report.log("where_is_it"),
}, sys.stdout)
"""


def _run(tmp_path, taxi_source, url: str | None) -> dict:
    env = kernel_env(tmp_path, taxi_source, None)
    if url:
        env["AIRFLOW_CONN_TAXI_WAREHOUSE"] = url
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_hook_and_the_template_read_one_connection(tmp_path, taxi_source) -> None:
    with postgres_server() as url:
        result = _run(tmp_path, taxi_source, url)
    assert result["states"] == {"who_am_i": "success", "where_is_it": "success"}
    assert "database taxi as postgres" in result["hook"]
    port = urlsplit(url).port
    assert f"warehouse taxi on 127.0.0.1:{port}" in result["template"]


def test_without_the_connection_the_hook_task_fails_and_names_it(tmp_path, taxi_source) -> None:
    result = _run(tmp_path, taxi_source, None)
    assert result["states"]["who_am_i"] == "failed"
    assert "taxi_warehouse" in result["hook"] and "isn't defined" in result["hook"]
