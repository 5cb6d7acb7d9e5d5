"""Run a DAG from the dags folder for one logical date, in this process, and report what happened.

`dag.test()` runs every task in the calling process without a scheduler. It does not raise
when a task fails (it returns the DagRun, whose state is decided by the leaf tasks only), so
this module reads every task instance back and reports them all. Airflow's console output is
captured and kept per task, so a notebook shows a short table and the log only on request.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from workbook import airflow_env, paths

_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")


class DagNotFound(LookupError):
    """The dags folder has no DAG with that id, or the file defining it does not import."""


@dataclass(frozen=True)
class TaskReport:
    task_id: str
    state: str
    tries: int
    seconds: float | None
    log: str
    # When the last try started and ended (None for tasks that never ran); for Gantt charts.
    start: datetime | None = None
    end: datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


@dataclass(frozen=True)
class RunReport:
    dag_id: str
    run_id: str
    logical_date: datetime | None
    run_after: datetime | None
    state: str
    tasks: dict[str, TaskReport]
    seconds: float
    output: str = field(repr=False)

    @property
    def succeeded(self) -> bool:
        """True only if tasks ran and every one succeeded (the DagRun's state can hide failures).

        A logical date before the DAG's start_date gives a run with no task instances at all.
        """
        return bool(self.tasks) and all(t.succeeded for t in self.tasks.values())

    @property
    def failed_tasks(self) -> list[str]:
        return [t.task_id for t in self.tasks.values() if t.state in ("failed", "upstream_failed")]

    def log(self, task_id: str, tail: int | None = None) -> str:
        lines = self.tasks[task_id].log.splitlines()
        return "\n".join(lines[-tail:] if tail else lines)

    def summary(self) -> str:
        when = self.logical_date.isoformat() if self.logical_date else "no logical date"
        verdict = "SUCCESS" if self.succeeded else "FAILED"
        head = f"{self.dag_id} @ {when}: {verdict} in {self.seconds:.1f}s"
        rows = [
            f"  {t.task_id:<22} {t.state:<16} tries={t.tries}"
            + (f"  {t.seconds:.2f}s" if t.seconds is not None else "")
            for t in self.tasks.values()
        ]
        if not self.tasks:
            rows = ["  no task ran: is the logical date before the DAG's start_date?"]
        return "\n".join([head, *rows])

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        colour = {"success": "#2e7d32", "failed": "#c62828", "upstream_failed": "#ef6c00"}
        cells = "".join(
            f"<tr><td><code>{t.task_id}</code></td>"
            f"<td style='color:{colour.get(t.state, '#555')};font-weight:bold'>{t.state}</td>"
            f"<td>{t.tries}</td><td>{'' if t.seconds is None else f'{t.seconds:.2f}s'}</td></tr>"
            for t in self.tasks.values()
        )
        when = self.logical_date.strftime("%Y-%m-%d") if self.logical_date else "no logical date"
        verdict = (
            "all tasks succeeded" if self.succeeded else f"failed: {', '.join(self.failed_tasks)}"
        )
        return (
            f"<b>{self.dag_id}</b> @ {when} &mdash; {verdict} ({self.seconds:.1f}s)"
            "<table><tr><th>task</th><th>state</th><th>tries</th><th>duration</th></tr>"
            f"{cells}</table>"
        )


@contextlib.contextmanager
def _captured_output() -> Iterator[io.StringIO]:
    """Capture Python-level and file-descriptor-level output (Airflow's and dbt's logs) in order."""
    result = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as raw:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        os.dup2(raw.fileno(), 1)
        os.dup2(raw.fileno(), 2)
        # Write through fd 1 (now the temp file), so Python prints and C-level writes stay
        # interleaved, and a logger that caches this stream writes to the real stdout later
        # instead of to a closed or reused descriptor.
        text = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        # Logging handlers keep the stream they were configured with (pytest's or Jupyter's
        # stdout); point them at the capture too, or the per-task markers go missing.
        handlers = _stream_handlers()
        previous = [h.setStream(text) for h in handlers]
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield result
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.setStream(stream)
            text.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            raw.seek(0)
            result.write(raw.read().decode("utf-8", errors="replace"))


def _stream_handlers() -> list[logging.StreamHandler]:
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    found: dict[int, logging.StreamHandler] = {}
    for lg in loggers:
        for handler in lg.handlers:
            # logging.lastResort's _StderrHandler has a read-only stream: leave it alone.
            if type(handler) is logging.StreamHandler:
                found[id(handler)] = handler
    return list(found.values())


def _split_task_logs(output: str) -> dict[str, str]:
    logs: dict[str, list[str]] = {}
    current: str | None = None
    for line in output.splitlines():
        if start := _TASK_START.search(line):
            current = start.group(1)
        if current:
            logs.setdefault(current, []).append(line)
        if _TASK_END.search(line):
            current = None
    return {task_id: "\n".join(lines) for task_id, lines in logs.items()}


def load_dag(dag_id: str, dags_folder: Path | None = None):
    """Parse the dags folder and return the DAG, or explain why it is not there."""
    airflow_env.configure()
    from airflow.models import DagBag

    folder = dags_folder or paths.dags_folder()
    bag = DagBag(dag_folder=str(folder))
    dag = bag.dags.get(dag_id)
    if dag is None:
        problems = "\n".join(
            f"  {file}: {err.strip().splitlines()[-1]}" for file, err in bag.import_errors.items()
        )
        raise DagNotFound(
            f"No DAG '{dag_id}' in {folder}."
            + (
                f" These files failed to import:\n{problems}"
                if problems
                else f" Found: {sorted(bag.dag_ids)}"
            )
        )
    return dag


def run_dag(
    dag_id: str,
    logical_date: datetime | str | None,
    *,
    conf: dict | None = None,
    run_after: datetime | None = None,
    retry_delay: timedelta | None = timedelta(seconds=1),
    dags_folder: Path | None = None,
    echo: bool = False,
) -> RunReport:
    """Run `dag_id` once for `logical_date` (None: a manual run without one) and report.

    `retry_delay` replaces the DAG's own delay for this run only, so a lesson about retries
    does not wait five minutes per try; pass None to keep the DAG's value.
    """
    airflow_env.configure()
    import pendulum

    if isinstance(logical_date, str):
        logical_date = pendulum.parse(logical_date, tz="UTC")
    started = time.perf_counter()
    with _captured_output() as out:
        airflow_env.ensure_db()
        dag = load_dag(dag_id, dags_folder)
        if retry_delay is not None:
            for task in dag.tasks:
                task.retry_delay = retry_delay
        dag_run = dag.test(logical_date=logical_date, run_after=run_after, run_conf=conf)
    seconds = time.perf_counter() - started
    output = out.getvalue()
    if echo:
        print(output)
    task_logs = _split_task_logs(output)
    tasks = {}
    for ti in sorted(
        dag_run.get_task_instances(), key=lambda ti: _topological_index(dag, ti.task_id)
    ):
        tasks[ti.task_id] = TaskReport(
            task_id=ti.task_id,
            state=str(ti.state.value if hasattr(ti.state, "value") else ti.state or "none"),
            tries=ti.try_number or 0,
            seconds=ti.duration,
            log=task_logs.get(ti.task_id, ""),
            start=ti.start_date,
            end=ti.end_date,
        )
    return RunReport(
        dag_id=dag_id,
        run_id=dag_run.run_id,
        logical_date=dag_run.logical_date,
        run_after=dag_run.run_after,
        state=str(dag_run.state),
        tasks=tasks,
        seconds=seconds,
        output=output,
    )


def _topological_index(dag, task_id: str) -> int:
    order = [t.task_id for t in dag.topological_sort()] if hasattr(dag, "topological_sort") else []
    return order.index(task_id) if task_id in order else len(order)


def monthly_dates(first: str, last: str) -> list[datetime]:
    """Logical dates of a @monthly DAG from `first` to `last` inclusive ('2024-01', '2024-07')."""
    import pendulum

    start = pendulum.parse(first[:7] + "-01", tz="UTC")
    end = pendulum.parse(last[:7] + "-01", tz="UTC")
    dates = []
    while start <= end:
        dates.append(start)
        start = start.add(months=1)
    return dates


def backfill(dag_id: str, first: str, last: str, **kwargs) -> list[RunReport]:
    """What `airflow backfill create` does with a scheduler, done here one run after another."""
    return [run_dag(dag_id, when, **kwargs) for when in monthly_dates(first, last)]
