"""FastAPI's dependency analysis, reused by the harness (autograder.inside.api_reuse): the same
callable is analysed once; a callable that merely compares equal (Cadwyn's versioned copies do)
gets its own analysis; and real `dag.test()` runs still pass the Task Execution API's overridden
authentication while they stop re-analysing every dependency on every request."""

from __future__ import annotations

import pytest

from autograder.inside.api_reuse import reusing
from tests.autograder.helpers import driver_runs


class _Counting:
    def __init__(self) -> None:
        self.calls: list[object] = []

    def __call__(self, **arguments):
        self.calls.append(arguments["call"])
        return object()  # a new "Dependant" each time


class _EqualToEverything:
    """Like Cadwyn's wrapper of a dependency: equal to (and hashed as) what it wraps."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash(self.wrapped)

    def __call__(self) -> None:
        return None


def _dependency() -> None:
    return None


def test_the_same_callable_is_analysed_once_per_path_and_name() -> None:
    build = _Counting()
    get_dependant = reusing(build)
    first = get_dependant(path="/a", call=_dependency, name="x")
    assert get_dependant(path="/a", call=_dependency, name="x") is first
    assert get_dependant(path="/b", call=_dependency, name="x") is not first
    assert get_dependant(path="/a", call=_dependency, name="x", scope="function") is not first
    assert len(build.calls) == 3


def test_a_callable_that_only_compares_equal_gets_its_own_analysis() -> None:
    build = _Counting()
    get_dependant = reusing(build)
    copy = _EqualToEverything(_dependency)
    original = get_dependant(path="/a", call=_dependency, name="token")
    wrapped = get_dependant(path="/a", call=copy, name="token")
    assert wrapped is not original
    assert build.calls == [_dependency, copy]
    assert get_dependant(path="/a", call=copy, name="token") is wrapped


_DAG = """
import pendulum
from airflow.sdk import dag, task


@dag(schedule="@monthly", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def three_steps():
    @task
    def first():
        return 1

    @task
    def second(x):
        return x + 1

    @task
    def third(x):
        return x + 1

    third(second(first()))


three_steps()
"""

# Counts FastAPI's analyses (a counter under the reuse, so a reuse hides them) in three runs.
_DRIVER = """
import json, sys
from pathlib import Path

home, dags, reuse = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "reuse"
from airflow_env import settings

settings.configure(home=home, dags_folder=dags)
settings.ensure_db()
import fastapi.dependencies.utils as utils
from autograder.inside import api_reuse

analysed = []
original = utils.get_dependant


def counting(*, path, call, name=None, own_oauth_scopes=None, parent_oauth_scopes=None,
             use_cache=True, scope=None):
    analysed.append(path)
    return original(path=path, call=call, name=name, own_oauth_scopes=own_oauth_scopes,
                    parent_oauth_scopes=parent_oauth_scopes, use_cache=use_cache, scope=scope)


utils.get_dependant = counting
if reuse:
    assert api_reuse.install()
import pendulum
from airflow.models import DagBag

dag = DagBag(dag_folder=str(dags)).dags["three_steps"]
runs = []
for month in (1, 2, 3):
    before = len(analysed)
    run = dag.test(logical_date=pendulum.datetime(2024, month, 1, tz="UTC"))
    runs.append({
        "states": sorted(str(ti.state) for ti in run.get_task_instances()),
        "analysed": len(analysed) - before,
    })
print(json.dumps(runs))
"""


def _three_runs(tmp_path, mode: str) -> list[dict]:
    return driver_runs(tmp_path, mode, "three_steps.py", _DAG, _DRIVER)


@pytest.mark.slow
def test_dag_runs_pass_the_overridden_auth_and_stop_re_analysing(tmp_path) -> None:
    plain = _three_runs(tmp_path, "plain")
    reused = _three_runs(tmp_path, "reuse")
    for runs in (plain, reused):  # a wrong reuse loses the auth override: tasks then fail
        assert [run["states"] for run in runs] == [["success"] * 3] * 3
    # Without the reuse every request analyses every dependency again (~130 per task); with it,
    # a later run only analyses the DAG bag each task's client overrides anew.
    assert all(run["analysed"] > 50 * 3 for run in plain[1:]), plain
    assert all(run["analysed"] <= 3 * 3 for run in reused[1:]), reused
