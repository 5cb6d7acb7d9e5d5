"""The warm start: one process that has paid Airflow's and dbt's import, from which every
submission's harness is forked into that submission's sandbox.

Started once per grading session by the grader (`autograder.sandbox.warm_start`), as the
grader's user, outside any sandbox. It is trusted code and never runs a student's line:

1. it imports Airflow, dbt, DuckDB, the harness and what a first run imports, and builds
   Airflow's in-process Task Execution API app with its versioned routes, without opening a
   database or starting a thread (`warm_up`);
2. for each harness a sandbox supervisor asks for, it forks. The child joins the supervisor's
   namespaces (`setns`: user when unprivileged, IPC, UTS, network, PID, mount) and forks the
   harness, which is then inside the sandbox, and waits for it (reporting its exit code).
   The harness closes every file descriptor it did not get, sets its limits, drops to the
   sandbox's user, replaces its whole environment with the sandbox's, points Airflow at the
   sandbox's own metadata DB, and serves the supervisor (`harness.serve`).

What a submission does therefore never reaches the next one: each harness is a fresh copy of
this process, which itself never imported, ran or stored anything of a submission.

Protocol: the grader hands the zygote one end of a socket pair per sandbox (`adopt`, the fd in
SCM_RIGHTS), and passes the other end to that sandbox's supervisor. On it, the supervisor sends
`{"op": "spawn", ...}` with its namespace fds and the harness's pipe ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from autograder.inside import api_in_place, api_reuse, json_adapter, param_schemas
from autograder.inside.limits import apply_limits

_libc = ctypes.CDLL(None, use_errno=True)
_MAX_FDS = 16
# The order matters: the user namespace first (it grants the rights for the others), the mount
# namespace last (after it, paths resolve inside the sandbox).
NAMESPACES = ("user", "ipc", "uts", "net", "pid", "mnt")


def _log(message: str) -> None:
    print(f"[zygote] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- warm-up (trusted code only)


def warm_up() -> dict:
    """Import everything a harness needs and build Airflow's in-process Task Execution API app
    with its routes.

    Nothing here opens a database, keeps a file open or starts a thread: a forked harness must
    not inherit connections or threads. (A first version also ran a warm-up DAG here; the forked
    harnesses' runs then hung now and then in the Task Execution API: what dag.test() leaves
    behind, SQLite connections and the API's event loop, does not survive fork().)"""
    started = time.perf_counter()
    import dbt.adapters.duckdb  # noqa: F401
    import dbt.cli.main  # noqa: F401
    import dbt.parser.manifest  # noqa: F401
    import dbt.task.run  # noqa: F401
    import dbt.task.test  # noqa: F401
    import duckdb  # noqa: F401
    import pendulum  # noqa: F401
    from airflow.models import DagBag  # noqa: F401
    from airflow.sdk.execution_time import supervisor, task_runner  # noqa: F401

    from autograder.inside import harness  # noqa: F401

    _import_what_a_first_run_imports()
    _build_dbt_schemas()
    _configure_airflow_models()
    _fill_lookup_caches()
    api_reuse.install()  # every Task Execution API request skips FastAPI's dependency analysis
    api_in_place.install()  # ... and its hand-overs to a thread pool
    param_schemas.install()  # a param's schema is checked once, not at every use
    json_adapter.install()  # rendered fields are checked by one JSON validator
    imported = time.perf_counter()
    app = supervisor.in_process_api_server().app  # the FastAPI app, not yet serving
    # Cadwyn builds the API's versioned routes on the first request (~3 s of every harness's
    # first run, profiled with py-spy); it is pure computation, so it can happen here once.
    if not getattr(app, "_cadwyn_initialized", True):
        app._cadwyn_initialize()
    if threading.active_count() != 1:
        names = [t.name for t in threading.enumerate()]
        raise RuntimeError(f"the warm-up started threads: {names}")
    # ~800,000 objects of imported code: the harnesses' garbage collections need not walk them
    # again (half of their GC time, measured), and their pages stay shared after fork.
    gc.freeze()
    return {
        "import_seconds": round(imported - started, 3),
        "app_seconds": round(time.perf_counter() - imported, 3),
    }


# Airflow's table of metric names: core's and the Task SDK's copies, each read on first use.
_METRIC_REGISTRIES = (
    "airflow._shared.observability.metrics.stats",
    "airflow.sdk._shared.observability.metrics.stats",
)


def _fill_lookup_caches() -> None:
    """Two lookups every harness's first run made from scratch (profiled, first run vs later):
    the module a stack frame belongs to, which dbt asks for each behaviour flag of each call
    (`inspect.getmodule`: its first ask resolves the file of every loaded module, ~0.15 s),
    and Airflow's table of metric names, parsed from a YAML file of its own on the first metric
    (~0.1 s). Both caches only ever grow; a harness adds what it imports later."""
    import importlib
    import inspect

    inspect.getmodule(sys._getframe())
    for name in _METRIC_REGISTRIES:
        try:
            importlib.import_module(name)._get_registry()
        except Exception as exc:  # noqa: BLE001 - another Airflow: its harnesses read it then
            print(f"zygote: metric names not warmed ({name}): {exc}", file=sys.stderr)


# What a harness's first `dag.test()` imports on demand (~600 modules, ~2 s; measured by
# comparing sys.modules before and after a first run). Importing is all that happens here.
_FIRST_RUN_MODULES = (
    "a2wsgi",
    "airflow.api.common.trigger_dag",
    "airflow.api_fastapi.auth.tokens",
    "airflow.api_fastapi.execution_api.app",
    "airflow.api_fastapi.execution_api.routes",
    "airflow.assets.manager",
    "airflow.dag_processing.collection",
    "airflow.jobs.job",
    "airflow.providers.standard.decorators.bash",
    "airflow.providers.standard.decorators.python",
    "airflow.providers.standard.operators.bash",
    "airflow.providers.standard.operators.empty",
    "airflow.providers.standard.operators.python",
    "airflow.sdk.execution_time.request_handlers",
    "airflow.serialization.serialized_objects",
    "airflow.ti_deps.dependencies_deps",
    "dbt.adapters.duckdb.connections",
    "dbt.adapters.duckdb.impl",
    "dbt_common.clients.agate_helper",
    "anyio._backends._asyncio",
    "autograder.inside.dbt_lean",
    "autograder.inside.dbt_memo",
    "autograder.inside.dbt_reuse",
    "autograder.inside.warm_dbt",
)


def _import_what_a_first_run_imports() -> None:
    import importlib

    import airflow.models

    airflow.models.import_all_models()
    for name in _FIRST_RUN_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as err:  # another Airflow or dbt version: it imports on demand then
            _log(f"not warmed: {name}: {err}")


def _build_dbt_schemas() -> None:
    """dbt validates dbt_project.yml and the profile against JSON schemas it builds on first use
    and caches per class (~0.3 s of a harness's first run)."""
    try:
        from dbt.adapters.duckdb.credentials import DuckDBCredentials
        from dbt.contracts.project import Configuration, PackageConfig, Project, ProjectFlags
    except ImportError as err:  # another dbt version: built on first use then
        _log(f"dbt's schemas not warmed: {err}")
        return
    for model in (Project, ProjectFlags, PackageConfig, DuckDBCredentials, Configuration):
        model.json_schema()


def _configure_airflow_models() -> None:
    """SQLAlchemy configures every ORM mapper (Airflow's ~50 models and their relationships) on
    the first query of a process: ~0.12 s of each harness's first run. Configuring is pure
    computation; no engine or connection is involved."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def warm_dbt_manifest(seed: str) -> None:
    """Read dbt's saved parse of the course's project (made by the grader for this session,
    `sandbox/dbt_seed.py`) once: mashumaro generates the code that (de)serialises the manifest
    and its nodes on first use, ~0.15 s of every harness's first dbt call otherwise. Its
    macros (dbt's and dbt-duckdb's) are compiled into dbt's template cache, ~0.2 s of every
    harness's first run otherwise (~0.9 s once here). Pure computation on a trusted file; the
    manifest itself is dropped.

    A manifest holds a multiprocessing lock, and its named semaphore starts multiprocessing's
    resource tracker. A forked harness must not inherit that tracker: it closes the tracker's
    pipe with every descriptor it was not given, and its own next lock then fails (EBADF) or
    closes a descriptor that reused the number. So the tracker is stopped again here."""
    from multiprocessing import resource_tracker

    from dbt.contracts.graph.manifest import Manifest

    from autograder.inside import dbt_memo

    tracker = resource_tracker._resource_tracker
    if not hasattr(tracker, "_stop"):  # another Python: the harnesses generate the code
        return
    with open(seed, "rb") as saved:
        data = saved.read()
    try:
        manifest = Manifest.from_msgpack(data)
        manifest.build_flat_graph()
        dbt_memo.fill_template_cache(manifest)
    finally:
        gc.collect()  # the lock's finaliser unlinks its semaphore while the tracker still runs
        tracker._stop()


# ---------------------------------------------------------------- the harness, inside


def _setns(fds: dict[str, int]) -> None:
    for name in NAMESPACES:
        if name in fds and _libc.setns(fds[name], 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")


def become_harness(setup: dict, pipes: dict[str, int]) -> None:
    """In the forked child, inside the sandbox: turn this warm copy into the harness. Never
    returns."""
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    os.dup2(pipes["output"], 1)
    os.dup2(pipes["output"], 2)
    # Nothing of the zygote stays reachable: its sockets, its metadata DB, other sandboxes'.
    _close_all_but(pipes["commands"], pipes["results"])
    apply_limits(setup["limits"])
    if setup.get("own_session"):
        os.setsid()
    user = setup.get("uid")
    if user is not None:
        os.setgroups([])
        os.setgid(user)
        os.setuid(user)
    os.chdir(setup["cwd"])
    os.environ.clear()
    os.environ.update(setup["env"])
    import tempfile

    tempfile.tempdir = None  # recomputed from the sandbox's TMPDIR
    os.umask(0o022)
    _point_airflow_at_sandbox()
    from autograder.inside import harness

    harness.adopt_this_process()
    started = json.dumps({"op": "started", "pid": os.getpid()}) + "\n"
    os.write(pipes["results"], started.encode())
    harness.serve(pipes["commands"], pipes["results"])


def _point_airflow_at_sandbox() -> None:
    """Airflow read its settings when the zygote imported it; re-read the ones that name
    places (the metadata DB, the dags folder) from the sandbox's environment."""
    from airflow import settings

    settings.configure_vars()
    settings.configure_orm()  # the zygote's engine never connected; Airflow drops it at fork


def spawn(message: dict, fds: list[int]) -> int:
    """Fork a child that enters the sandbox, forks the harness there and waits for it.
    Returns the child's pid.

    The child stays: an orphan is adopted by the init of its *parent's* PID namespace, which for
    this child is the host's, so the child itself is the harness's parent. It reports the
    harness's exit code to the supervisor on the `status` pipe."""
    named = dict(zip(message["fds"], fds, strict=True))
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _setns({k: v for k, v in named.items() if k in NAMESPACES})
        harness = os.fork()  # only a child of a setns(pid) caller is in the PID namespace
        if harness == 0:
            become_harness(message["setup"], named)
        _close_all_but(named["status"])
        _, status = os.waitpid(harness, 0)
        code = os.waitstatus_to_exitcode(status)
        os.write(named["status"], f"{code}\n".encode())
        code = 0
    except BaseException as exc:  # noqa: BLE001 - report, never return into the zygote's loop
        with contextlib.suppress(Exception):
            failed = json.dumps({"op": "failed", "error": f"{type(exc).__name__}: {exc}"})
            os.write(named["results"], (failed + "\n").encode())
    os._exit(code)


def _close_all_but(*keep: int) -> None:
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


# ---------------------------------------------------------------- the supervisor's side


class ForkedHarness:
    """The handle of a harness forked by the warm start, with the part of `Popen` used here.

    The harness is in this PID namespace (this process is its init) but its parent is the
    zygote's child outside it, which reports the exit code on the `status` pipe."""

    def __init__(self, stdout, status: int) -> None:
        self.stdout = stdout
        self.status = status
        self.pid: int | None = None
        self.returncode: int | None = None

    def await_start(self, results: int) -> bytes | None:
        """Read the harness's first line ({"op": "started", "pid": n}) from its results pipe.
        Returns what came after that line; None: no harness (the warm start is gone or
        failed; the reason is on stderr)."""
        buffer = b""
        deadline = time.monotonic() + 60
        while b"\n" not in buffer and time.monotonic() < deadline:
            if select.select([results], [], [], 1.0)[0]:
                chunk = os.read(results, 1 << 16)
                if not chunk:
                    break
                buffer += chunk
        line, _, rest = buffer.partition(b"\n")
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if message.get("op") == "started":
                self.pid = int(message["pid"])
                return rest
            sys.stderr.write(f"warm start failed: {message.get('error')}\n")
        self.close()
        return None

    def poll(self) -> int | None:
        if (
            self.returncode is None
            and self.status >= 0
            and select.select([self.status], [], [], 0)[0]
        ):
            said = os.read(self.status, 64).strip()
            self.returncode = int(said) if said.lstrip(b"-").isdigit() else -signal.SIGKILL
            self.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        waiting = self.returncode is None and self.status >= 0
        if waiting and not select.select([self.status], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired("harness", timeout)  # as Popen.wait does
        code = self.poll()
        return -signal.SIGKILL if code is None else code

    def kill(self) -> None:
        if self.pid is not None and self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        if self.status is not None and self.status >= 0:
            with contextlib.suppress(OSError):
                os.close(self.status)
        self.status = -1


def request_harness(setup: dict, cmd_read: int, res_write: int) -> ForkedHarness:
    """The supervisor's side: ask the zygote for a harness inside this sandbox's namespaces."""
    out_read, out_write = os.pipe()
    status_read, status_write = os.pipe()
    names = list(setup["zygote_namespaces"])
    fds = [os.open(f"/proc/self/ns/{name}", os.O_RDONLY) for name in names]
    ours = len(fds)  # the namespace fds, closed here once sent
    names += ["commands", "results", "output", "status"]
    fds += [cmd_read, res_write, out_write, status_write]
    harness = {
        "limits": setup["limits"],
        "own_session": setup.get("own_session"),
        "uid": setup.get("uid"),
        "env": setup["harness_env"],
        "cwd": setup["harness_cwd"],
    }
    message = json.dumps({"op": "spawn", "fds": names, "setup": harness}).encode()
    zygote = socket.socket(fileno=os.dup(setup["zygote_fd"]))  # closing it keeps the original
    try:
        socket.send_fds(zygote, [message], fds)
    except OSError:
        os.close(out_read)
        os.close(status_read)
        raise
    finally:
        zygote.close()
        for fd in [*fds[:ours], out_write, status_write]:
            os.close(fd)
    return ForkedHarness(os.fdopen(out_read, "rb"), status_read)


# ---------------------------------------------------------------- serving


def _receive(sock: socket.socket) -> tuple[dict | None, list[int]]:
    try:
        data, fds, _, _ = socket.recv_fds(sock, 1 << 20, _MAX_FDS)
    except OSError:
        return None, []
    if not data:
        return None, fds
    try:
        return json.loads(data), fds
    except ValueError:
        return {}, fds


def serve(control: socket.socket, dbt_seed: str | None = None) -> None:
    sandboxes: dict[int, socket.socket] = {}
    # The session makes dbt's saved parse while the first sandboxes start: warmed from it once
    # it exists, before the next fork.
    seed_pending = bool(dbt_seed)
    while True:
        ready, _, _ = select.select([control, *sandboxes.values()], [], [], 1.0)
        _reap_children()
        for sock in ready:
            message, fds = _receive(sock)
            if sock is control:
                if message is None:
                    return  # the grader went away
                for fd in fds:  # "adopt": a new sandbox's end of its socket pair
                    adopted = socket.socket(fileno=fd)
                    sandboxes[adopted.fileno()] = adopted
                continue
            if message is None:
                sandboxes.pop(sock.fileno(), None)
                sock.close()
                for fd in fds:
                    os.close(fd)
                continue
            try:
                if message.get("op") == "spawn":
                    if seed_pending and os.path.isfile(dbt_seed):
                        seed_pending = False
                        try:
                            warm_dbt_manifest(dbt_seed)
                            gc.freeze()  # as after warm_up: shared, never walked again
                        except Exception as exc:  # noqa: BLE001 - harnesses then do it themselves
                            _log(f"dbt's saved parse not warmed: {type(exc).__name__}: {exc}")
                    spawn(message, fds)
            finally:
                for fd in fds:
                    os.close(fd)


def _reap_children() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def main() -> None:
    setup = json.loads(sys.stdin.readline() or "{}")
    control = socket.socket(fileno=int(setup["control_fd"]))
    # Replies go to the grader on the original stdout; everything printed (Airflow's and dbt's
    # logs) goes to the log on stderr.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        timings = warm_up()
    except BaseException as exc:  # noqa: BLE001 - the grader falls back to cold starts
        _log(f"warm-up failed: {type(exc).__name__}: {exc}")
        replies.write(json.dumps({"op": "failed", "error": f"{type(exc).__name__}: {exc}"}))
        replies.write("\n")
        replies.flush()
        os._exit(1)
    replies.write(json.dumps({"op": "ready", **timings}) + "\n")
    replies.flush()
    replies.close()
    serve(control, setup.get("dbt_seed"))
    os._exit(0)


if __name__ == "__main__":
    main()
