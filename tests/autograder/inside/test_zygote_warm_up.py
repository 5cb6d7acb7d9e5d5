"""The warm start's warm-up (autograder.inside.zygote.warm_up) leaves a forked harness's first
run nothing that can be done ahead: every module on its list imports (a name that an Airflow or
dbt upgrade moved would only be logged, and its harnesses would import it on demand again), the
Task Execution API's versioned routes are built, and no thread was started."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

WARM_UP = """
import json, sys, threading
from autograder.inside import zygote
from airflow.sdk.execution_time import supervisor

zygote.warm_up()
app = supervisor.in_process_api_server().app
print(json.dumps({
    "missing": [name for name in zygote._FIRST_RUN_MODULES if name not in sys.modules],
    "routes_built": app._cadwyn_initialized,
    "threads": threading.active_count(),
}))
"""


def test_the_warm_up_imports_its_list_and_builds_the_api_routes(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WARM_UP],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AIRFLOW_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "not warmed" not in done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"missing": [], "routes_built": True, "threads": 1}
