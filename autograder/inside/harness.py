"""Inside the sandbox: import the student's DAG with Airflow and run it on command.

This process runs as an unprivileged user in the sandbox's namespaces, and the student's code
runs *in* it (that is what `dag.test()` does), so nothing it reports is trusted: the parent
validates it, cross-checks task states against the metadata DB and computes every score itself.
It stays warm between runs (Airflow and dbt imported once, ~1 s per run afterwards), which is
what makes grading fast.

Protocol: one JSON object per line. Commands arrive on `--cmd-fd`, answers leave on
`--result-fd`; stdout/stderr are the supervisor's capped log pipe. Commands:
`{"op": "inspect", "seq": n, "retry_delay": s}`, `{"op": "run", "seq": n, "step": ...,
"logical_date": ..., "run_after": ..., "env": {...}}`, `{"op": "reset", "seq": n}`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path

from autograder.inside import (
    api_in_place,
    api_reuse,
    bag_reuse,
    json_adapter,
    param_schemas,
    run_replace,
)
from autograder.inside.protocol import done_line

DAG_ID = "taxi_pipeline"
DAG_FILE = "taxi_pipeline.py"  # relative to the dags folder
_MAX_TEXT = 6000
_MAIN_PID = os.getpid()


def _clip(text: str, limit: int = _MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    head = limit // 5
    return text[:head] + "\n[... cut ...]\n" + text[-(limit - head) :]


def _relative(path: str | None, folder: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).resolve().relative_to(Path(folder).resolve()).as_posix()
    except ValueError:
        return Path(path).name


def adopt_this_process() -> None:
    """This process was forked from the warm start (`zygote.py`) after this module was
    imported: it is now the one process that may answer."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()


def _only_in_main_process() -> None:
    # A submission that forks at import time returns into this code in every child; only the
    # process the supervisor started may answer, the copies leave quietly.
    if os.getpid() != _MAIN_PID:
        os._exit(0)


class Harness:
    def __init__(self, results) -> None:
        self.results = results
        self.dag = None
        self.settled = False  # see settle()
        self.folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]

    def reply(self, payload: dict) -> None:
        _only_in_main_process()
        # The marker tells the supervisor that all output of this step is in its pipe.
        sys.stdout.write(done_line(payload.get("seq")))
        sys.stdout.flush()
        sys.stderr.flush()
        self.results.write(json.dumps(payload, default=str) + "\n")
        self.results.flush()

    def inspect(self) -> dict:
        started = time.perf_counter()
        import airflow
        from airflow.models import DagBag

        airflow_seconds = time.perf_counter() - started
        snapshot: dict = {
            "airflow_version": airflow.__version__,
            "airflow_import_seconds": round(airflow_seconds, 3),
        }
        print("[AUTOGRADER] parsing the dags folder", flush=True)
        try:
            bag = DagBag(dag_folder=self.folder)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt from the DAG file
            _only_in_main_process()
            name = type(exc).__name__
            snapshot["fatal"] = _clip(
                f"{name}: {exc}\n" + "".join(traceback.format_exception(exc)[-6:])
            )
            return snapshot
        _only_in_main_process()
        snapshot["parse_seconds"] = {
            _relative(os.path.join(self.folder, s.file), self.folder): s.duration.total_seconds()
            for s in bag.dagbag_stats
        }
        by_file: dict[str, list[str]] = {}
        for dag_id, dag in bag.dags.items():
            by_file.setdefault(_relative(dag.fileloc, self.folder), []).append(dag_id)
        snapshot["dags_by_file"] = by_file
        snapshot["import_errors"] = {
            _relative(file, self.folder): _clip(str(error))
            for file, error in bag.import_errors.items()
        }
        snapshot["warnings"] = [
            _clip(str(w), 2000)
            for items in bag.captured_warnings.values()
            for w in (items if isinstance(items, (list, tuple)) else [items])
        ][:100]
        chosen = choose_dag(by_file, set(bag.dags))
        dag = bag.dags.get(chosen) if chosen else None
        if dag is not None:
            snapshot["dag"] = self._facts(dag)
            self.dag = dag
        return snapshot

    def _facts(self, dag) -> dict:
        schedule = dag.schedule
        if schedule is not None and not isinstance(schedule, str):
            schedule = f"{type(schedule).__name__}:{schedule!r}"
        timetable = dag.timetable
        start = dag.start_date
        tasks = []
        for task in dag.tasks:
            delay = getattr(task, "retry_delay", None)
            rule = getattr(task, "trigger_rule", "all_success")
            tasks.append(
                {
                    "task_id": task.task_id,
                    "operator": type(task).__name__,
                    "upstream": sorted(task.upstream_task_ids),
                    "downstream": sorted(task.downstream_task_ids),
                    "trigger_rule": str(getattr(rule, "value", rule)),
                    "retries": int(task.retries or 0),
                    "retry_delay_seconds": delay.total_seconds()
                    if isinstance(delay, timedelta)
                    else None,
                }
            )
        return {
            "dag_id": dag.dag_id,
            "file": _relative(dag.fileloc, self.folder),
            "schedule": schedule,
            "timetable": type(timetable).__name__,
            "timetable_expression": getattr(timetable, "_expression", None),
            "start_date": start.isoformat() if start else None,
            "start_tz": str(start.tzinfo) if start and start.tzinfo else None,
            "catchup": bool(dag.catchup),
            "max_active_runs": dag.max_active_runs,
            "tags": sorted(str(t) for t in dag.tags or ()),
            "tasks": tasks,
        }

    def warm_up(self, retry_delay: float, warm_dbt: bool = False) -> None:
        """Shorten retry delays for grading (the originals were reported first) and load dbt."""
        if self.dag is None:
            return
        delay = timedelta(seconds=retry_delay)
        for task in self.dag.tasks:
            task.retry_delay = delay
            task.max_retry_delay = delay
            if getattr(task, "retry_exponential_backoff", False):
                task.retry_exponential_backoff = 0
        api_reuse.install()  # done already when forked from the warm start; cheap to repeat
        api_in_place.install()
        param_schemas.install()
        json_adapter.install()
        with contextlib.suppress(Exception):  # the run reports dbt problems itself
            import dbt.cli.main  # noqa: F401 - 2-3 s once, instead of inside the first run

            from autograder.inside import dbt_lean, dbt_memo, dbt_reuse

            dbt_reuse.install()  # each dbt call reuses an unchanged parse and plugin list,
            dbt_lean.install()  # skips dbt's costly detours to the same results,
            dbt_memo.install()  # and remembers what it worked out in the calls before
            if warm_dbt:  # a `dbt` command then costs what dbt in-process does (warm_dbt.py)
                from autograder.inside.warm_dbt import start

                start(Path(os.environ.get("TMPDIR") or "/tmp"))

    def run(self, command: dict) -> dict:
        if self.dag is None:
            return {"error": f"no DAG of {DAG_FILE} was loaded, so nothing could run"}
        import pendulum

        os.environ.update({str(k): str(v) for k, v in (command.get("env") or {}).items()})
        logical = command.get("logical_date")
        logical_date = pendulum.parse(logical) if logical else None
        run_after = pendulum.parse(command["run_after"])
        print(f"[AUTOGRADER] step {command.get('step')}", flush=True)
        report: dict = {}
        dag_run = None
        try:
            _poll_quickly()
            run_replace.drop_replaced_run(self.dag.dag_id, logical_date)  # dropped, not cleared
            with bag_reuse.reusing_parse():  # the folder is parsed and written once, not per run
                dag_run = self.dag.test(logical_date=logical_date, run_after=run_after)
        except BaseException as exc:  # a task's sys.exit() or a crash inside Airflow
            _only_in_main_process()
            report["error"] = _clip(
                f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc)[-8:])
            )
        _only_in_main_process()
        self.settle()
        if dag_run is not None:
            report["run_id"] = dag_run.run_id
            report["logical_date"] = (
                dag_run.logical_date.isoformat() if dag_run.logical_date else None
            )
            report["state"] = str(getattr(dag_run.state, "value", dag_run.state))
            report["tasks"] = [
                {
                    "task_id": ti.task_id,
                    "state": str(getattr(ti.state, "value", ti.state)) if ti.state else None,
                    "try_number": int(ti.try_number or 0),
                }
                for ti in dag_run.get_task_instances()
            ]
        return report

    def settle(self) -> None:
        """After the first run, keep what it loaded (the DAG, dbt's parse, Airflow's caches) out of
        Python's garbage collector: the collector's full passes walked all of it again every few
        runs (~8 per submission, ~35 ms each). Garbage is collected first, so only what is still
        in use is set aside; anything set aside that a later run drops stays in memory until the
        sandbox ends, at most what the first run loaded."""
        if not self.settled:
            self.settled = True
            gc.collect()
            gc.freeze()


def choose_dag(by_file: dict[str, list[str]], loaded: set[str]) -> str | None:
    """The DAG to grade: the DAG file's only DAG, whatever its id (the parent's checks judge the
    id, so a wrong or prefixed id costs only that check); else `taxi_pipeline`; else the file's
    one `<prefix>_taxi_pipeline` among several."""
    in_file = by_file.get(DAG_FILE, [])
    if len(in_file) == 1:
        return in_file[0]
    if DAG_ID in loaded:
        return DAG_ID
    prefixed = [d for d in in_file if d.endswith(f"_{DAG_ID}")]
    return prefixed[0] if len(prefixed) == 1 else None


def _poll_quickly() -> None:
    """dag.test() waits a whole second whenever a task is waiting for its retry; the grader
    has already shortened retry delays to a fraction of that, so poll at that pace instead.
    Only sleeps called from Airflow's dag.test() loop are shortened (it imports `time` inside
    the function, so the module cannot be patched); the student's own sleeps are untouched."""
    import time as real_time

    if getattr(real_time.sleep, "autograder", False):
        return
    original = real_time.sleep

    def sleep(seconds: float) -> None:
        caller = sys._getframe(1).f_code.co_filename
        if caller.endswith(("sdk/definitions/dag.py", "sdk\\definitions\\dag.py")):
            seconds = min(seconds, 0.05)
        original(seconds)

    sleep.autograder = True
    real_time.sleep = sleep


def one_duckdb_thread() -> None:
    """Every DuckDB database opened in this process runs its queries on one thread.

    By default DuckDB starts a worker thread per core for each database. On the grader's small
    warehouses they mostly hand work to each other, while `--jobs` already keeps every core
    busy with other submissions: one thread is ~2% faster per submission (measured). The
    setting goes to every connection, the student's as well as dbt's, because DuckDB refuses
    a second connection to a file with another configuration; a thread count the code sets
    itself is kept. Query results do not depend on it."""
    import duckdb

    if getattr(duckdb.connect, "autograder", False):
        return
    original = duckdb.connect

    def with_one_thread(config: object) -> object:
        if config is None:
            return {"threads": 1}
        if not isinstance(config, dict):
            return config  # DuckDB reports what is wrong with it
        if any(str(key).lower() == "threads" for key in config):  # DuckDB ignores case
            return config
        return {**config, "threads": 1}

    def connect(*args, **kwargs):
        if len(args) >= 3:
            args = (*args[:2], with_one_thread(args[2]), *args[3:])
        else:
            kwargs["config"] = with_one_thread(kwargs.get("config"))
        return original(*args, **kwargs)

    connect.__doc__ = original.__doc__
    connect.autograder = True
    duckdb.connect = connect


def release_warehouse() -> bool:
    """Close the DuckDB file dbt-duckdb keeps open between invocations.

    The grader then swaps in a fresh, empty warehouse at the same path for the next scenario.
    Keeping the path (and so dbt's rendered profile) the same lets dbt reuse its parsed project
    instead of parsing it again for every scenario (~1.5 s each).
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

        with manager._LOCK:
            if manager._ENV is not None:
                manager._ENV.close()  # closes the file; no gc.collect() needed (it costs 0.5 s)
                manager._ENV = None
    except Exception:  # noqa: BLE001 - another dbt-duckdb version: the grader checks the file
        return False
    return True


def keep_fatal_signals_fatal() -> None:
    """Let a crash kill this process instead of hanging it.

    Airflow's DAG importer installs a Python handler for SIGSEGV (every parse, and dag.test()
    parses before each run). A Python handler cannot repair a bad memory access, so the fault
    repeats forever at full CPU. Refusing such handlers keeps the default: the process dies,
    faulthandler prints the Python stack first, and the supervisor reports the crash.
    """
    import faulthandler
    import signal

    fatal = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE}
    install = signal.signal

    def guarded(signum, handler):
        if signum in fatal:
            return signal.getsignal(signum)
        return install(signum, handler)

    signal.signal = guarded
    faulthandler.enable(file=sys.stderr, all_threads=False)


def serve(cmd_fd: int, result_fd: int) -> None:
    keep_fatal_signals_fatal()
    one_duckdb_thread()
    commands = os.fdopen(cmd_fd, "r", encoding="utf-8")
    results = os.fdopen(result_fd, "w", encoding="utf-8")
    harness = Harness(results)
    for line in commands:
        _only_in_main_process()
        try:
            command = json.loads(line)
        except ValueError:
            continue
        op, seq = command.get("op"), command.get("seq")
        if op == "inspect":
            snapshot = harness.inspect()
            harness.warm_up(float(command.get("retry_delay", 0.05)), bool(command.get("warm_dbt")))
            harness.reply({"op": "inspected", "seq": seq, "snapshot": snapshot})
        elif op == "run":
            harness.reply({"op": "ran", "seq": seq, "run": harness.run(command)})
        elif op == "reset":
            harness.reply({"op": "reset", "seq": seq, "closed": release_warehouse()})
        elif op == "stop":
            break
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: student threads must not delay the exit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.inside.harness")
    parser.add_argument("--cmd-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    args = parser.parse_args(argv)
    serve(args.cmd_fd, args.result_fd)


if __name__ == "__main__":
    main()
