"""The in-process Task Execution API's blocking calls run in place (api_in_place):
on the thread of Airflow's in-process API loop they run where they are called, anywhere else
they still go to the pool; a dependency's context manager still sees the request's error; and
real `dag.test()` runs, failures included, end as before without a single hand-over to anyio's
thread pool."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager, suppress

import pytest

from autograder.inside.api_in_place import API_LOOP_THREAD, in_place_call, in_place_context
from tests.autograder.helpers import driver_runs


def _on_loop_in_thread(name: str, coroutine_function) -> object:
    """Run `coroutine_function()` on an event loop of its own, in a thread called `name`."""
    outcome: dict[str, object] = {}

    def serve() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine_function())
        except BaseException as err:  # noqa: BLE001 - handed to the test
            outcome["error"] = err

    thread = threading.Thread(target=serve, name=name)
    thread.start()
    thread.join(30)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]


class _Pool:
    """Stands in for starlette's pool: records what it was given, runs it on a worker thread."""

    def __init__(self) -> None:
        self.given: list[object] = []

    async def __call__(self, func, *args, **kwargs):
        self.given.append(func)
        return await asyncio.to_thread(func, *args, **kwargs)


def test_a_call_on_the_api_loop_runs_in_place_and_elsewhere_goes_to_the_pool() -> None:
    pool = _Pool()
    call = in_place_call(pool)

    def where(label: str) -> tuple[str, str]:
        return label, threading.current_thread().name

    async def ask():
        return await call(where, "asked")

    assert _on_loop_in_thread(API_LOOP_THREAD, ask) == ("asked", API_LOOP_THREAD)
    assert pool.given == []
    label, thread = _on_loop_in_thread("some-other-loop", ask)
    assert (label, pool.given) == ("asked", [where])
    assert thread != "some-other-loop"


def test_a_dependency_entered_in_place_still_sees_the_requests_error() -> None:
    seen: list[object] = []

    @contextmanager
    def session():
        seen.append(("entered", threading.current_thread().name))
        try:
            yield "session"
        except KeyError as err:
            seen.append(("rolled back", repr(err)))
            raise
        else:
            seen.append(("committed", threading.current_thread().name))

    pool_calls: list[object] = []

    def pooled(cm):
        pool_calls.append(cm)
        raise AssertionError("the pool was used on the API loop")

    entered = in_place_context(pooled)

    async def request_that_works():
        async with entered(session()) as value:
            return value

    async def request_that_fails():
        async with entered(session()):
            raise KeyError("no such task instance")

    assert _on_loop_in_thread(API_LOOP_THREAD, request_that_works) == "session"
    assert seen == [("entered", API_LOOP_THREAD), ("committed", API_LOOP_THREAD)]
    seen.clear()
    with pytest.raises(KeyError):
        _on_loop_in_thread(API_LOOP_THREAD, request_that_fails)
    assert seen == [
        ("entered", API_LOOP_THREAD),
        ("rolled back", "KeyError('no such task instance')"),
    ]
    assert pool_calls == []


def test_a_context_the_manager_swallows_ends_the_request_quietly() -> None:
    @contextmanager
    def forgiving():
        with suppress(ValueError):
            yield None

    entered = in_place_context(lambda cm: None)

    async def request():
        async with entered(forgiving()):
            raise ValueError("swallowed")
        return "went on"

    assert _on_loop_in_thread(API_LOOP_THREAD, request) == "went on"


_DAG = """
import os

import pendulum
from airflow.sdk import dag, task


@dag(schedule="@monthly", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def in_place():
    @task
    def first():
        return 1

    @task
    def second(x):
        if os.environ.get("FAIL_SECOND"):
            raise RuntimeError("second fails")
        return x + 1

    @task
    def third(x):
        return x + 1

    third(second(first()))


in_place()
"""

# Counts every call handed to anyio's thread pool during three runs (the last one fails).
_DRIVER = """
import json, os, sys
from pathlib import Path

home, dags, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
from airflow_env import settings

settings.configure(home=home, dags_folder=dags)
settings.ensure_db()
import anyio.to_thread
from autograder.inside import api_in_place

handed = []
original = anyio.to_thread.run_sync


async def counting(func, *args, **kwargs):
    handed.append(getattr(func, "__name__", repr(func)))
    return await original(func, *args, **kwargs)


anyio.to_thread.run_sync = counting
if mode == "in_place":
    assert api_in_place.install()
import pendulum
from airflow.models import DagBag

dag = DagBag(dag_folder=str(dags)).dags["in_place"]
runs = []
for month in (1, 2, 3):
    if month == 3:
        os.environ["FAIL_SECOND"] = "1"
    before = len(handed)
    run = dag.test(logical_date=pendulum.datetime(2024, month, 1, tz="UTC"))
    runs.append({
        "run": str(run.state),
        "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()},
        "handed": len(handed) - before,
    })
print(json.dumps(runs))
"""


def _three_runs(tmp_path, mode: str) -> list[dict]:
    return driver_runs(tmp_path, mode, "in_place.py", _DAG, _DRIVER)


@pytest.mark.slow
def test_dag_runs_end_as_before_without_handing_calls_to_the_pool(tmp_path) -> None:
    pooled = _three_runs(tmp_path, "pooled")
    in_place = _three_runs(tmp_path, "in_place")
    outcomes = [(run["run"], run["tasks"]) for run in in_place]
    assert outcomes == [(run["run"], run["tasks"]) for run in pooled]
    assert outcomes[0] == ("success", {"first": "success", "second": "success", "third": "success"})
    assert outcomes[2] == (
        "failed",
        {"first": "success", "second": "failed", "third": "upstream_failed"},
    )
    assert all(run["handed"] > 10 for run in pooled), pooled  # several per request
    assert [run["handed"] for run in in_place] == [0, 0, 0], in_place
