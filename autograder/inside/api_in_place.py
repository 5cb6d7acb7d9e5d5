"""Airflow's in-process Task Execution API runs its blocking calls on its own loop's thread.

FastAPI hands every blocking (`def`) endpoint, dependency and response check of a request to a
worker of anyio's thread pool, so that a server's event loop keeps serving other clients in the
meantime. The API `dag.test()` serves in-process has a loop of its own, on a thread of its own,
and callers that wait for each answer: each hand-over (~4 per request, ~5 requests per task)
is two thread switches and anyio's bookkeeping that buy nothing. Measured on a four-task no-op
DAG: 0.29-0.32 s of CPU per `dag.test()` with the hand-overs, 0.24-0.26 s without.

`install()` makes those calls run in place when they come from that loop's thread (Airflow names
it `InProcessExecutionAPI-loop`); from any other thread, or another app's loop, they go to the
pool as before. A FastAPI or Cadwyn without these helpers is left as it is. Used by the harness
and by the warm start the workbook shares.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

API_LOOP_THREAD = "InProcessExecutionAPI-loop"
# Each module calls the helpers by its own global name, so each module's name is replaced.
_CALLERS = {
    "fastapi.routing": ("run_in_threadpool",),
    "fastapi.dependencies.utils": ("run_in_threadpool", "contextmanager_in_threadpool"),
    "cadwyn.structure.versions": ("run_in_threadpool",),
}


def on_api_loop() -> bool:
    return threading.current_thread().name == API_LOOP_THREAD


def install() -> bool:
    """Run the in-process API's blocking calls in place; True when installed (now or before)."""
    try:
        modules = {name: importlib.import_module(name) for name in _CALLERS}
    except ImportError:
        return False
    if not all(hasattr(modules[name], h) for name, helpers in _CALLERS.items() for h in helpers):
        return False
    for name, helpers in _CALLERS.items():
        for helper in helpers:
            pooled = getattr(modules[name], helper)
            if not getattr(pooled, "_in_place", False):
                wrap = in_place_call if helper == "run_in_threadpool" else in_place_context
                setattr(modules[name], helper, wrap(pooled))
    return True


def in_place_call(pooled: Callable[..., Any]) -> Callable[..., Any]:
    async def run_in_threadpool(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if on_api_loop():
            return func(*args, **kwargs)
        return await pooled(func, *args, **kwargs)

    run_in_threadpool._in_place = True  # type: ignore[attr-defined]
    return run_in_threadpool


def in_place_context(pooled: Callable[..., Any]) -> Callable[..., Any]:
    def contextmanager_in_threadpool(cm: AbstractContextManager[Any]) -> Any:
        return _entered(cm) if on_api_loop() else pooled(cm)

    contextmanager_in_threadpool._in_place = True  # type: ignore[attr-defined]
    return contextmanager_in_threadpool


@asynccontextmanager
async def _entered(cm: AbstractContextManager[Any]):
    # As FastAPI's own: an error inside reaches the manager's __exit__, which may swallow it.
    with cm as value:
        yield value
