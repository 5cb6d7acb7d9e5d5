"""Chapter 07's building blocks, run for real: a sensor, a task group, mapping, a callback.

Chapter DAGs run the way the notebook runs them (`wb.run`), in a process of their own with the
student's environment moved into a temporary folder.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.notebooks.harness import kernel_env

pytestmark = pytest.mark.slow
SCRIPT = """
import json, sys
from workbook.session import setup

wb = setup("07")
good = wb.run("ch07_building_blocks", None, conf={"months": ["2024-01", "2024-02"]})
bad = wb.run("ch07_building_blocks", None, conf={"months": ["2024-01", "2031-01"]})
json.dump({
    "good": good.succeeded,
    "bad": {task: report.state for task, report in bad.tasks.items()},
    "notes": wb.notifications(),
}, sys.stdout)
"""


def test_one_mapped_month_fails_its_report_waits_and_the_callback_fires_once(
    tmp_path, taxi_source
) -> None:
    env = kernel_env(tmp_path, taxi_source, None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["good"] is True
    assert seen["bad"]["wait_for_source"] == "success"
    assert seen["bad"]["months.size_of"] == "failed"
    assert seen["bad"]["months.report"] == "upstream_failed"
    # Only the task that failed for good called the callback, once.
    assert seen["notes"] == [
        {"dag_id": "ch07_building_blocks", "task_id": "months.size_of", "status": "failed"}
    ]
