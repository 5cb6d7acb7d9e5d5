"""`make lab` (`workbook init`) saves dbt's parse of the project for every chapter, so that a
chapter's first dbt task does not parse the whole project again; a chapter without it parses in
full (the control, which shows that the log tells the two apart). dbt writes no JSON artifacts
in the workbook, as on the class Airflow."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.notebooks.harness import kernel_env

pytestmark = pytest.mark.slow

FIRST_RUN = """
import json, sys
from workbook.session import save_dbt_parses, setup

parsed = save_dbt_parses(only=["05"]) if sys.argv[1] == "save" else []
wb = setup("05")
report = wb.run("taxi_pipeline", "2024-01-01")
print(json.dumps({"parsed": parsed, "succeeded": report.succeeded}))
"""


def _first_run(tmp_path, taxi_source, save: str) -> tuple[dict, str, list[str]]:
    env = kernel_env(tmp_path, taxi_source, None)
    done = subprocess.run(
        [sys.executable, "-c", FIRST_RUN, save],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    dbt = tmp_path / "work" / "ch05" / "dbt"
    target = sorted(path.name for path in (dbt / "target").iterdir())
    return json.loads(done.stdout.splitlines()[-1]), (dbt / "logs" / "dbt.log").read_text(), target


def test_a_chapter_with_a_saved_parse_does_not_parse_in_full(tmp_path, taxi_source) -> None:
    result, log, target = _first_run(tmp_path, taxi_source, "save")
    assert result == {"parsed": ["05"], "succeeded": True}
    # the log holds the saving parse (in full) and then the DAG's two dbt tasks
    assert log.count("Starting full parse") == 1
    assert log.count("Nothing changed, skipping partial parsing") == 2
    assert "partial_parse.msgpack" in target
    assert "run_results.json" not in target and "manifest.json" not in target


def test_a_chapter_without_one_parses_in_full(tmp_path, taxi_source) -> None:
    result, log, _ = _first_run(tmp_path, taxi_source, "none")
    assert result == {"parsed": [], "succeeded": True}
    assert log.count("Starting full parse") == 1
    assert log.count("Nothing changed, skipping partial parsing") == 1  # dbt_test, after dbt_run
