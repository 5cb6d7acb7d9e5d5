"""The warm start (autograder.inside.zygote): every harness of a grading session is forked from
one process that has imported Airflow and dbt, and nothing one submission leaves behind reaches
the next: module state, environment, files, dbt's saved parse, metadata DB rows.

One submission plants all of that at import time; the next one, graded in the same session
(same zygote, one job, in order), looks for it and reports through an import error. A third
submission plants and looks in the same file: it must see everything, which shows that the
looking can fail."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder import grade_class
from autograder.sandbox.isolation import UID_COUNT, UID_FIRST
from tests.autograder.helpers import FAST, REFERENCE_DAG
from tests.corpus import REFERENCE, build_submission

pytestmark = pytest.mark.slow

PLANT = """
import builtins as _builtins
import os as _os
import sqlite3 as _sqlite3
import sys as _sys
import types as _types

_builtins.planted_by_a_classmate = True
_sys.modules["planted_module"] = _types.ModuleType("planted_module")
_os.environ["PLANTED"] = "yes"
for _folder in ("/tmp", _os.environ["TMPDIR"], _os.environ["HOME"]):
    with open(_os.path.join(_folder, "planted.txt"), "w") as _handle:
        _handle.write("x")
# dbt's saved parse: each sandbox gets its own copy of the session's (autograder.sandbox.dbt_seed)
_target = _os.path.join(_os.environ["TAXI_DBT_PROJECT_DIR"], "target")
_os.makedirs(_target, exist_ok=True)
with open(_os.path.join(_target, "partial_parse.msgpack"), "wb") as _handle:
    _handle.write(b"planted")
_db = _os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
with _sqlite3.connect(_db) as _connection:
    _connection.execute(
        "insert into variable (key, val, is_encrypted) values ('planted', 'x', 0)"
    )
"""

LOOK = """
import builtins as _builtins
import json as _json
import os as _os
import sqlite3 as _sqlite3
import sys as _sys

_seen = []
if getattr(_builtins, "planted_by_a_classmate", False):
    _seen.append("module state")
if "planted_module" in _sys.modules:
    _seen.append("sys.modules")
if "PLANTED" in _os.environ:
    _seen.append("environment")
for _folder in ("/tmp", _os.environ["TMPDIR"], _os.environ["HOME"]):
    if _os.path.exists(_os.path.join(_folder, "planted.txt")):
        _seen.append(f"file in {_folder}")
_saved = _os.path.join(_os.environ["TAXI_DBT_PROJECT_DIR"], "target", "partial_parse.msgpack")
if _os.path.exists(_saved) and open(_saved, "rb").read() == b"planted":
    _seen.append("dbt saved parse")
_db = _os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
with _sqlite3.connect(_db) as _connection:
    if _connection.execute("select count(*) from variable where key = 'planted'").fetchone()[0]:
        _seen.append("metadata DB row")
# A forked harness already has dbt imported when it parses the DAG; a cold one does not yet.
_warm = "dbt.cli.main" in _sys.modules
_report = {"seen": _seen, "warm": _warm, "uid": _os.getuid(), "ppid": _os.getppid()}
raise RuntimeError("SEEN" + _json.dumps(_report) + "END")
"""


def _submission(folder: Path, top_level: str) -> None:
    build_submission(REFERENCE, folder)
    source = REFERENCE_DAG.replace(
        "log = logging.getLogger(__name__)\n",
        "log = logging.getLogger(__name__)\n" + top_level,
    )
    (folder / "dags" / "taxi_pipeline.py").write_text(source)


def _report(result) -> dict:
    text = result.check("integrity_imports").output
    start = text.rindex("SEEN{") + len("SEEN")
    return json.loads(text[start : text.index("}END", start) + 1])


def test_nothing_of_one_submission_reaches_the_next(tmp_path) -> None:
    class_dir = tmp_path / "class"
    _submission(class_dir / "a_planter", PLANT)
    _submission(class_dir / "b_looker", LOOK)
    _submission(class_dir / "c_plants_and_looks", PLANT + LOOK)
    options = FAST.model_copy(update={"isolation": "namespaces"})
    results = grade_class(class_dir, tmp_path / "out", jobs=1, options=options).by_student()

    looker = _report(results["b_looker"])
    assert (looker["seen"], looker["warm"]) == ([], True)
    if os.geteuid() == 0:  # a sandbox user id of its own, as a cold harness has
        assert UID_FIRST <= looker["uid"] < UID_FIRST + UID_COUNT
    assert looker["ppid"] == 0  # its parent (the zygote's child) is outside its PID namespace
    control = _report(results["c_plants_and_looks"])
    assert control["warm"] is True
    assert set(control["seen"]) >= {
        "module state",
        "sys.modules",
        "environment",
        "file in /tmp",
        "metadata DB row",
        "dbt saved parse",
    }
    assert len(control["seen"]) == 8  # and the files in its TMPDIR and HOME


def test_without_the_warm_start_every_harness_starts_cold(tmp_path) -> None:
    class_dir = tmp_path / "class"
    for name in ("ada", "bo"):
        _submission(class_dir / name, LOOK)
    options = FAST.model_copy(update={"isolation": "namespaces", "warm_start": False})
    for result in grade_class(class_dir, tmp_path / "out", jobs=1, options=options).results:
        report = _report(result)
        # a new interpreter, started by the supervisor (PID 1 of the sandbox)
        assert (report["seen"], report["warm"], report["ppid"]) == ([], False, 1)
