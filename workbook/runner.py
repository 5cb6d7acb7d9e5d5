"""Run a DAG from the dags folder for one logical date, in this process, and report what happened.

`dag.test()` runs every task in the calling process without a scheduler. It does not raise
when a task fails (it returns the DagRun, whose state is decided by the leaf tasks only), so
this module reads every task instance back and reports them all. Airflow's console output is
captured and kept per task, so a notebook shows a short table and the log only on request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow_env import settings as airflow_settings
from airflow_env.logs import split_task_logs
from workbook import paths
from workbook.console import captured_output


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


def load_dag(dag_id: str, dags_folder: Path | None = None):
    """Parse the dags folder and return the DAG, or explain why it is not there."""
    airflow_settings.configure()
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
    airflow_settings.configure()
    import pendulum

    if isinstance(logical_date, str):
        logical_date = pendulum.parse(logical_date, tz="UTC")
    started = time.perf_counter()
    with captured_output() as out:
        airflow_settings.ensure_db()
        dag = load_dag(dag_id, dags_folder)
        if retry_delay is not None:
            for task in dag.tasks:
                task.retry_delay = retry_delay
        began = pendulum.now("UTC")
        dag_run = dag.test(logical_date=logical_date, run_after=run_after, run_conf=conf)
        _record_real_start(dag_run, began)
    seconds = time.perf_counter() - started
    output = out.getvalue()
    if echo:
        print(output)
    task_logs = split_task_logs(output)
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


def _record_real_start(dag_run: Any, began: datetime) -> None:
    """dag.test() records a run as started at its logical date (2024-03-01 for March), so the
    UI of `make ui` would show runs of hundreds of days. Record when it really started."""
    if dag_run is None:
        return
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(DagRun).filter(DagRun.id == dag_run.id).update({"start_date": began})
    dag_run.start_date = began


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
