"""The warm start's warm-up (autograder.inside.zygote.warm_up) leaves a forked harness's first
run nothing that can be done ahead: every module on its list imports (a name that an Airflow or
dbt upgrade moved would only be logged, and its harnesses would import it on demand again), the
Task Execution API's versioned routes are built, Airflow's ORM mappers are configured, the
module of every loaded file and Airflow's metric names are looked up, and no thread was
started. Reading dbt's saved parse (`warm_dbt_manifest`) generates the manifest's
(de)serialisers and compiles its macros into dbt's template cache, and leaves neither a thread
nor multiprocessing's resource tracker running."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from autograder.answer_key import DBT_PROJECT

pytestmark = pytest.mark.slow

WARM_UP = """
import json, sys, threading
from multiprocessing import resource_tracker
from autograder.inside import zygote
from airflow.sdk.execution_time import supervisor

import inspect
zygote.warm_up()
app = supervisor.in_process_api_server().app
import importlib
registries = [importlib.import_module(name)._registry for name in zygote._METRIC_REGISTRIES]
from airflow.models.base import Base
from dbt.contracts.graph.manifest import Manifest
from dbt.contracts.graph.nodes import ModelNode

generated = len(vars(Manifest)) + len(vars(ModelNode))
if len(sys.argv) > 1:
    zygote.warm_dbt_manifest(sys.argv[1])
report = {
    "missing": [name for name in zygote._FIRST_RUN_MODULES if name not in sys.modules],
    "routes_built": app._cadwyn_initialized,
    "mappers_configured": all(mapper.configured for mapper in Base.registry.mappers),
    "manifest_code_generated": len(vars(Manifest)) + len(vars(ModelNode)) - generated,
    "threads": threading.active_count(),
    "modules_by_file": len(inspect.modulesbyfile) > 1000,
    "metric_names": [registry is not None and registry.get("ti_failures") is not None
                     for registry in registries],
    "resource_tracker": resource_tracker._resource_tracker._fd is not None,
}
if len(sys.argv) > 1:  # read again, now that the tracker's state is known
    from dbt_common.clients.jinja import template_cache
    with open(sys.argv[1], "rb") as saved:
        texts = [macro.macro_sql for macro in Manifest.from_msgpack(saved.read()).macros.values()]
    report["macros"] = len(texts)
    report["macros_compiled"] = sum(text in template_cache.file_cache for text in texts)
print(json.dumps(report))
"""

# dbt's saved parse of the course's project, as the session's seed makes it.
PARSE = """
import os, sys
from dbt.cli.main import dbtRunner

os.environ.update(
    TAXI_WAREHOUSE=sys.argv[2], TAXI_SCHEMA="airflow_grader", TAXI_DBT_TARGET="duckdb"
)
done = dbtRunner().invoke(["parse", "--project-dir", sys.argv[1], "--profiles-dir", sys.argv[1]])
sys.exit(0 if done.success else 1)
"""


def _run(tmp_path, code: str, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AIRFLOW_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_warm_up_imports_its_list_and_builds_the_api_routes(tmp_path) -> None:
    done = _run(tmp_path, WARM_UP)
    assert "not warmed" not in done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {
        "missing": [],
        "routes_built": True,
        "mappers_configured": True,
        "manifest_code_generated": 0,
        "threads": 1,
        "modules_by_file": True,
        "metric_names": [True, True],
        "resource_tracker": False,
    }


def test_reading_the_saved_parse_generates_the_manifests_code_without_a_thread(tmp_path) -> None:
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs"))
    _run(tmp_path, PARSE, str(project), str(tmp_path / "taxi.duckdb"))
    seed = project / "target" / "partial_parse.msgpack"
    report = json.loads(_run(tmp_path, WARM_UP, str(seed)).stdout.splitlines()[-1])
    assert report["manifest_code_generated"] > 10  # the unions, lookups and node methods
    # Every macro (dbt's and dbt-duckdb's) is in dbt's template cache, as its first call leaves it.
    assert report["macros"] > 400
    assert report["macros_compiled"] == report["macros"]
    # Nothing a forked harness could inherit: no thread, and no resource tracker (the
    # manifest's lock started one, which a harness's first lock then failed on: EBADF).
    assert report["threads"] == 1
    assert report["resource_tracker"] is False
