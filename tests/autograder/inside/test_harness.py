"""The harness, fast and without Airflow: which DAG it grades (the DAG file's only DAG whatever
its id, so a wrong or prefixed id costs only the id check; the contract's id when the file has
several), how it sets what its first run loaded aside from the garbage collector, and DuckDB's
one thread."""

from __future__ import annotations

import json

import pytest

from autograder.inside.harness import choose_dag
from tests.autograder.helpers import run_python


@pytest.mark.parametrize(
    "by_file, chosen",
    [
        ({"taxi_pipeline.py": ["taxi_pipeline"]}, "taxi_pipeline"),
        ({"taxi_pipeline.py": ["ada_taxi_pipeline"]}, "ada_taxi_pipeline"),
        ({"taxi_pipeline.py": ["my_pipeline"]}, "my_pipeline"),
        ({"taxi_pipeline.py": ["taxi_pipeline", "debug"]}, "taxi_pipeline"),
        ({"taxi_pipeline.py": ["ada_taxi_pipeline", "debug"]}, "ada_taxi_pipeline"),
        ({"taxi_pipeline.py": ["one", "two"]}, None),
        ({"taxi_pipeline.py": [], "other.py": ["taxi_pipeline"]}, "taxi_pipeline"),
        ({"other.py": ["my_pipeline"]}, None),
        ({}, None),
    ],
)
def test_the_dag_to_grade(by_file: dict[str, list[str]], chosen: str | None) -> None:
    loaded = {dag_id for ids in by_file.values() for dag_id in ids}
    assert choose_dag(by_file, loaded) == chosen


SETTLE = """
import gc, os, weakref
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = "."
from autograder.inside.harness import Harness

class Node:
    pass

harness = Harness(results=None)
dropped = Node(); dropped.me = dropped  # garbage in a cycle: only the collector frees it
gone = weakref.ref(dropped); del dropped
kept = Node(); kept.me = kept
assert gc.get_freeze_count() == 0 and gone() is not None
harness.settle()  # after the first run
frozen = gc.get_freeze_count()
assert frozen > 0 and not any(item is kept for item in gc.get_objects()), "kept not set aside"
assert gone() is None, "garbage was set aside instead of collected"
harness.settle()  # later runs: nothing more
assert gc.get_freeze_count() == frozen
print("settled", frozen)
"""


def test_after_its_first_run_the_harness_sets_live_objects_aside_from_the_collector() -> None:
    assert run_python(SETTLE).stdout.startswith("settled")


ONE_THREAD = """
import json, os, sys, tempfile
import duckdb
from autograder.inside.harness import one_duckdb_thread

one_duckdb_thread()
one_duckdb_thread()  # a second call changes nothing
threads = lambda con: con.execute("select current_setting('threads')").fetchone()[0]
path = os.path.join(tempfile.mkdtemp(), "w.duckdb")
dbt_side = duckdb.connect(path, read_only=False, config={})  # as dbt-duckdb opens it
student_side = duckdb.connect(database=path)  # same file, same configuration: no error
print(json.dumps({
    "plain": threads(duckdb.connect()),
    "file": [threads(dbt_side), threads(student_side)],
    "own_choice": threads(duckdb.connect(":memory:", config={"threads": 2})),
    "own_capitals": threads(duckdb.connect(":memory:", config={"THREADS": 2})),
    "positional": threads(duckdb.connect(":memory:", False, {})),
    "kept_setting": duckdb.connect(config={"preserve_insertion_order": False})
    .execute("select current_setting('preserve_insertion_order')").fetchone()[0],
}))
"""


def test_duckdb_in_the_harness_runs_on_one_thread_unless_the_code_chooses() -> None:
    report = json.loads(run_python(ONE_THREAD).stdout)
    assert report == {
        "plain": 1,
        "file": [1, 1],
        "own_choice": 2,
        "own_capitals": 2,
        "positional": 1,
        "kept_setting": False,
    }
