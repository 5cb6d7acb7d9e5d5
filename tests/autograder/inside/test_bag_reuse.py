"""`dag.test()` with the DAG folder parsed and synced once (autograder.inside.bag_reuse): without
the reuse every run imports the DAG file again and writes it to the metadata DB; with it, only the
first run does, until a file of the folder changes; every run still succeeds."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO

# Its top-level code counts its own imports (one line per parse) in a file next to it.
_DAG = """
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

with open(Path(__file__).with_suffix(".parses"), "a") as _log:
    _log.write("parsed\\n")


@dag(schedule="@monthly", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def counted():
    task(lambda: 1, task_id="only")()


counted()
"""

_DRIVER = """
import contextlib, json, sys
from pathlib import Path

home, dags = Path(sys.argv[1]), Path(sys.argv[2])
from airflow_env import settings

settings.configure(home=home, dags_folder=dags)
settings.ensure_db()
import pendulum
from airflow.dag_processing import dagbag
from airflow.models import DagBag
from airflow.models.dag_version import DagVersion
from autograder.inside import bag_reuse

synced = []
original_sync = dagbag.sync_bag_to_db


def counting_sync(bag, *args, **kwargs):
    synced.append(1)
    return original_sync(bag, *args, **kwargs)


dagbag.sync_bag_to_db = counting_sync
parses = dags / "counted.parses"
dag = DagBag(dag_folder=str(dags)).dags["counted"]
month = 0


def runs(label, count, reuse):
    global month
    before_parses, before_syncs = len(parses.read_text().splitlines()), len(synced)
    states = []
    for _ in range(count):
        month += 1
        with bag_reuse.reusing_parse() if reuse else contextlib.nullcontext():
            run = dag.test(logical_date=pendulum.datetime(2024, month, 1, tz="UTC"))
        states.append(sorted(str(ti.state) for ti in run.get_task_instances()))
    return {
        "label": label,
        "states": states,
        "parses": len(parses.read_text().splitlines()) - before_parses,
        "syncs": len(synced) - before_syncs,
    }


report = [runs("plain", 3, False), runs("reused", 3, True)]
source = dags / "counted.py"
source.write_text(source.read_text() + "\\n# changed by its author\\n")
report.append(runs("changed", 2, True))
report.append({"versions": DagVersion.get_version("counted") is not None})
print(json.dumps(report))
"""


@pytest.mark.slow
def test_an_unchanged_folder_is_parsed_and_synced_once(tmp_path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "counted.py").write_text(textwrap.dedent(_DAG))
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(tmp_path / "home"), str(dags)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    plain, reused, changed, db = json.loads(done.stdout.splitlines()[-1])
    for block in (plain, reused, changed):
        assert block["states"] == [["success"]] * len(block["states"]), block
    assert (plain["parses"], plain["syncs"]) == (3, 3)  # Airflow's own way: every run
    assert (reused["parses"], reused["syncs"]) == (1, 1)  # the first reused run parses, once
    assert (changed["parses"], changed["syncs"]) == (1, 1)  # an edit is parsed, then reused
    assert db["versions"]
