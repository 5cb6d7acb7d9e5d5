"""dbt calls in the harness reuse an unchanged parse and plugin list (inside/dbt_reuse.py): the
same output and warehouse as with a parse per call, and a parse again as soon as anything the
parse read has changed. Real dbt-core and dbt-duckdb, in a process of their own per test (the
reuse is process-wide)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.corpus.build import REPO

pytestmark = pytest.mark.slow

# Runs each step of the plan on stdin with dbtRunner, in this one process, and prints per step
# whether dbt really parsed and listed sys.path for plugins (the counters sit under the reuse).
DRIVER = r"""
import contextlib, io, json, os, pkgutil, sys
from pathlib import Path

import dbt.cli.requires as requires
from dbt.cli.main import dbtRunner

parses, listings = [], []
real_parse, real_iter = requires.parse_manifest, pkgutil.iter_modules
def counting_parse(*args, **kwargs):
    parses.append(1)
    return real_parse(*args, **kwargs)
def counting_iter(*args, **kwargs):
    listings.append(1)
    return real_iter(*args, **kwargs)
requires.parse_manifest, pkgutil.iter_modules = counting_parse, counting_iter
if sys.argv[1] == "reuse":
    from autograder.inside import dbt_reuse
    dbt_reuse.install()
for step in json.load(sys.stdin):
    for path, text in (step.get("write") or {}).items():
        Path(path).write_text(text)
    os.environ.update(step.get("env") or {})
    parsed, listed, out = len(parses), len(listings), io.StringIO()
    with contextlib.redirect_stdout(out):
        result = dbtRunner().invoke(step["argv"])
    print(json.dumps({
        "parsed": len(parses) > parsed, "listed": len(listings) > listed,
        "success": bool(result.success), "output": out.getvalue(),
    }), flush=True)
"""

RAW_COLUMNS = (
    "source_month DATE, VendorID BIGINT, lpep_pickup_datetime TIMESTAMP, "
    "lpep_dropoff_datetime TIMESTAMP, PULocationID BIGINT, DOLocationID BIGINT, "
    "passenger_count DOUBLE, trip_distance DOUBLE, fare_amount DOUBLE, tip_amount DOUBLE, "
    "tolls_amount DOUBLE, total_amount DOUBLE, payment_type DOUBLE, trip_type DOUBLE"
)


@pytest.fixture
def project(tmp_path) -> Path:
    """The course's dbt project, with three trips of January 2024 in its warehouse."""
    shutil.copytree(REPO / "include" / "taxi_dbt", tmp_path / "taxi_dbt", ignore=_no_build)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA airflow_reuse")
    con.execute(f"CREATE TABLE airflow_reuse.raw_trips ({RAW_COLUMNS})")
    for minute in (1, 2, 3):
        con.execute(
            "INSERT INTO airflow_reuse.raw_trips VALUES ('2024-01-01', 2, "
            f"TIMESTAMP '2024-01-05 10:0{minute}', TIMESTAMP '2024-01-05 10:2{minute}', "
            "41, 42, 1, 2.5, 12.0, 1.0, 0, 14.5, 1, 1)"
        )
    con.close()
    return tmp_path / "taxi_dbt"


def _no_build(folder: str, names: list[str]) -> set[str]:
    return {"target", "logs"} & set(names) if folder.endswith("taxi_dbt") else set()


def run_driver(project: Path, driver: Path, *args: str, stdin: str | None = None) -> str:
    """Run a driver script in a fresh process, in the project with its warehouse; its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAXI_", "DBT_"))}
    env.update(
        PYTHONPATH=str(REPO),
        TAXI_WAREHOUSE=str(project.parent / "warehouse.duckdb"),
        TAXI_SCHEMA="airflow_reuse",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        NO_COLOR="1",
    )
    done = subprocess.run(
        [sys.executable, str(driver), *args],
        input=stdin,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def run_plan(project: Path, plan: list[dict], mode: str) -> list[dict]:
    """Each step's {parsed, listed, success, output}, all in one fresh process."""
    driver = project.parent / "driver" / "driver.py"  # its folder is on sys.path: plugins can
    driver.parent.mkdir(exist_ok=True)  # appear there (and nothing else writes to it)
    driver.write_text(DRIVER)
    out = run_driver(project, driver, mode, stdin=json.dumps(plan))
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def dbt(*args: str) -> dict:
    return {"argv": [*args, "--project-dir", ".", "--profiles-dir", "."]}


def console(output: str) -> list[str]:
    """dbt's console lines without their clock times and durations."""
    lines = [re.sub(r"\d+(\.\d+)?", "N", line.split(" ", 1)[-1]) for line in output.splitlines()]
    return [line.strip() for line in lines if line.strip()]


def test_an_unchanged_project_is_parsed_once_and_runs_as_with_a_parse_per_call(project) -> None:
    plan = [dbt("run"), dbt("test"), dbt("run"), dbt("test")]
    plain = run_plan(project, plan, "plain")
    shutil.rmtree(project / "target")
    reused = run_plan(project, plan, "reuse")
    assert all(step["success"] for step in plain + reused), reused[-1]["output"][-1500:]
    assert [s["parsed"] for s in plain] == [True] * 4
    assert [s["parsed"] for s in reused] == [True, False, False, False]
    assert [s["listed"] for s in plain] == [True] * 4
    assert [s["listed"] for s in reused] == [True, False, False, False]
    for fresh, kept in zip(plain, reused, strict=True):
        assert console(kept["output"]) == console(fresh["output"])
    assert any("Completed successfully" in line for line in console(reused[-1]["output"]))
    # The run that ends a reused call still writes its artefacts.
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    assert "model.taxi.fct_trips" in manifest["nodes"]


def test_a_change_to_anything_the_parse_read_makes_the_next_call_parse(project) -> None:
    marker = project / "models" / "marts" / "reuse_marker.sql"
    config = project / "models" / "marts" / "reuse_marker.yml"
    aliased = (  # the alias is rendered when the YAML is parsed, not when the model runs
        "version: 2\nmodels:\n  - name: reuse_marker\n"
        "    config:\n      alias: \"{{ env_var('REUSE_ALIAS', 'marker_default') }}\"\n"
    )
    plan = [
        dbt("run"),
        {**dbt("run"), "write": {str(marker): "select 1 as version"}},  # a new file
        {**dbt("run"), "write": {str(marker): "select 2 as version"}},  # a changed file
        {**dbt("run"), "write": {str(config): aliased}},
        dbt("run"),  # nothing changed
        {**dbt("run"), "env": {"REUSE_ALIAS": "marker_from_env"}},  # only an env_var() value
        dbt("run", "--vars", "{reuse: 1}"),
        dbt("run", "--vars", "{reuse: 1}", "--no-partial-parse"),
        dbt("run", "--vars", "{reuse: 1}"),
    ]
    steps = run_plan(project, plan, "reuse")
    assert all(step["success"] for step in steps), [s["output"][-800:] for s in steps]
    assert [s["parsed"] for s in steps] == [True, True, True, True, False, True, True, True, False]
    con = duckdb.connect(str(project.parent / "warehouse.duckdb"), read_only=True)
    listing = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    tables = {name for (name,) in listing}
    version = con.execute("SELECT version FROM airflow_reuse.marker_from_env").fetchone()
    con.close()
    assert {"marker_default", "marker_from_env"} <= tables
    assert version == (2,)


def test_a_plugin_module_that_appears_on_sys_path_is_found(project) -> None:
    plugin = project.parent / "driver" / "dbt_reuse_probe_plugin.py"
    loud = "print('probe plugin imported')\nplugins = []\n"
    plan = [dbt("ls"), dbt("ls"), {**dbt("ls"), "write": {str(plugin): loud}}, dbt("ls")]
    steps = run_plan(project, plan, "reuse")
    assert all(step["success"] for step in steps)
    assert [s["listed"] for s in steps] == [True, False, True, False]
    assert ["probe plugin imported" in s["output"] for s in steps] == [False, False, True, False]
