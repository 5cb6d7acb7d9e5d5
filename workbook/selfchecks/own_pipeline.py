"""The student's own taxi pipeline: one file, `work/dags/my_taxi_pipeline.py`, that chapters 03
to 08 extend one step at a time, and that chapter 09 hands in as the assignment's
`dags/taxi_pipeline.py`.

The starter is made from the reference DAG (`dags/taxi_pipeline.py`) by undoing every step:
each `Step` lists its edits as (starter text, solution text) pairs. Applying a step puts the
solution text back, which is what the tests and teachers use; students make the change by hand,
guided by the chapter's markdown. Each chapter's check (`check(wb, chapter)`) runs THE STUDENT'S
file on real Airflow, in a scratch warehouse of its own, and raises `Hint` when the step is not
done yet.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbook import dag_files, paths, warehouse
from workbook.env_vars import temporary_env
from workbook.selfchecks.registry import Hint, need

if TYPE_CHECKING:
    from workbook.runner import RunReport
    from workbook.session import Workbook

DAG_ID = "my_taxi_pipeline"
REFERENCE = paths.REPO_ROOT / "dags" / "taxi_pipeline.py"
HAND_IN_DOCUMENTS = ("RUNBOOK.md", "ASSIGNMENT_REPORT.md", "AI_ASSIST.md")
HAND_IN_TEMPLATES = paths.REPO_ROOT / "assignment" / "source" / "taxi_pipeline"
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION.*\n", re.MULTILINE)
UNPUBLISHED_MONTH = "2031-01"  # the source answers 403: never published


@dataclass(frozen=True)
class Step:
    chapter: str
    title: str
    edits: tuple[tuple[str, str], ...]  # (what the starter has, what the step turns it into)


def _delete_first(db: str, mark: str, args: str) -> tuple[str, str]:
    """The idempotent load's edit: a DELETE of the month's rows right after CREATE TABLE."""
    create = f'{db}.execute(f"CREATE TABLE IF NOT EXISTS {{schema}}.raw_trips ({{RAW_COLUMNS}})")'
    delete = (
        f'{db}.execute(f"DELETE FROM {{schema}}.raw_trips WHERE source_month = {mark}", {args})'
    )
    return f"{create}\n", f"{create}\n        {delete}\n"


STEPS: tuple[Step, ...] = (
    Step("03", "run once a month", (("schedule=None,", 'schedule="@monthly",'),)),
    Step(
        "04",
        "chain the tasks in run order",
        (
            (
                "ingest_taxi_month()\n    dbt_run()\n    dbt_test()\n    notify()\n",
                "ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()\n",
            ),
        ),
    ),
    Step(
        "05",
        "load the run's own month, not a hard-coded one",
        (
            (
                "month = date(2024, 1, 1)  # always January 2024, whatever the run",
                "month = _run_month()",
            ),
        ),
    ),
    Step(
        "06",
        "make the load idempotent: delete the month's rows before inserting them",
        (_delete_first("con", "?", "[month]"), _delete_first("cur", "%s", "(month,)")),
    ),
    Step(
        "07",
        "retry what may pass, fail fast on what never will, and always notify",
        (
            (
                'default_args={"owner": "week11"},',
                'default_args={"owner": "week11", "retries": 2, '
                '"retry_delay": timedelta(minutes=5)},',
            ),
            (
                "if err.code in (403, 404):\n            raise RuntimeError(",
                "if err.code in (403, 404):\n"
                "            # Deterministic: the month is not published. Retrying cannot help, so "
                "fail now.\n            raise AirflowFailException(",
            ),
            ("@task\n    def notify()", '@task(trigger_rule="all_done")\n    def notify()'),
        ),
    ),
    Step(
        "08",
        "namespace the DAG id for the class Airflow",
        ((f'dag_id="{DAG_ID}",', f'dag_id=dag_id_for("{DAG_ID}"),'),),
    ),
)


class StepError(RuntimeError):
    """A step's edit does not fit the file (the reference DAG changed, or the file was edited)."""


def student_file(wb: Workbook) -> Path:
    return wb.student_dags / f"{DAG_ID}.py"


def solution_text() -> str:
    """The reference DAG as the student's file ends up after chapter 08 (markers removed)."""
    text = SOLUTION_MARKER.sub("", REFERENCE.read_text(encoding="utf-8"))
    return text.replace('dag_id_for("taxi_pipeline")', f'dag_id_for("{DAG_ID}")')


def starter_text() -> str:
    """The chapter 03 starter: the solution with every step undone, last step first."""
    text = solution_text()
    for step in reversed(STEPS):
        for before, after in step.edits:
            text = _replace_once(text, after, before, step)
    return text


def _replace_once(text: str, old: str, new: str, step: Step) -> str:
    if text.count(old) != 1:
        raise StepError(
            f"step {step.chapter} ({step.title}) expects exactly one {old!r} in the file, "
            f"found {text.count(old)}"
        )
    return text.replace(old, new)


def start(wb: Workbook) -> Path:
    """Write the starter file, unless the student already has one (their work is never lost)."""
    path = student_file(wb)
    if not path.exists():
        dag_files.write_atomic(path, starter_text())
    return path


def apply_step(wb: Workbook, chapter: str) -> None:
    """Make chapter `chapter`'s change to the student's file (the teachers' solution)."""
    (step,) = [s for s in STEPS if s.chapter == chapter]
    path = student_file(wb)
    text = path.read_text(encoding="utf-8")
    for before, after in step.edits:
        text = _replace_once(text, before, after, step)
    dag_files.write_atomic(path, text)


def solve(wb: Workbook, chapter: str) -> None:
    """The teachers' solution up to `chapter`: the starter, then every step not made yet."""
    path = start(wb)
    for step in STEPS:
        text = path.read_text(encoding="utf-8")
        if step.chapter <= chapter and all(before in text for before, _ in step.edits):
            apply_step(wb, step.chapter)


def hand_in(wb: Workbook, folder: Path) -> Path:
    """A submission folder made from the student's file: dags/taxi_pipeline.py (with the
    assignment's dag_id) and the three documents' templates the student still has to fill."""
    source = student_file(wb).read_text(encoding="utf-8")
    (folder / "dags").mkdir(parents=True, exist_ok=True)
    dag_files.write_atomic(
        folder / "dags" / "taxi_pipeline.py", source.replace(f'"{DAG_ID}"', '"taxi_pipeline"')
    )
    for name in HAND_IN_DOCUMENTS:
        if not (folder / name).exists():
            shutil.copyfile(HAND_IN_TEMPLATES / name, folder / name)
    return folder


# -- the checks: each runs the student's file --------------------------------------------------

SUCCESS = {
    "03": "your pipeline runs once a month, without catchup",
    "04": "your four tasks run in order, and a run for January is green",
    "05": "a run loads its own month",
    "06": "a rerun leaves raw_trips as it was",
    "07": "retries save a flaky night, a missing month fails at once, and notify always reports",
    "08": "on the class Airflow your DAG id carries your name",
}


def check(wb: Workbook, chapter: str) -> None:
    """Raise Hint unless the student's file has chapter `chapter`'s step. Only that step is
    checked (a check runs the DAG once or twice; all of them would take minutes)."""
    path = student_file(wb)
    need(path.exists(), f"There is no {paths.short(path)} yet: run the cell that creates it.")
    CHECKS[chapter](wb)


def _dag(wb: Workbook):
    try:
        return dag_files.load_dag(student_file(wb), DAG_ID)
    except Exception as err:  # noqa: BLE001 - the message is what the student needs
        raise Hint(f"{err} Fix {DAG_ID}.py and run this check again.") from None


@contextlib.contextmanager
def _scratch(wb: Workbook) -> Iterator[Path]:
    """A fresh warehouse and notifications file for the check's runs (the chapter's stay as
    they are); yields the warehouse path."""
    folder = wb.work / "own_pipeline_check"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = {"TAXI_WAREHOUSE": "taxi.duckdb", "TAXI_NOTIFICATIONS": "notifications.jsonl"}
    with temporary_env({key: str(folder / name) for key, name in files.items()}):
        yield folder / "taxi.duckdb"


def _counts(path: Path) -> dict[str, int]:
    student = os.environ.get("AIRFLOW_STUDENT") or "default"
    return warehouse.month_counts(path, warehouse.schema_name(student)) if path.exists() else {}


def _run(wb: Workbook, logical_date: str, **kwargs) -> RunReport:
    try:
        return wb.run(DAG_ID, logical_date, **kwargs)
    except Exception as err:  # noqa: BLE001 - the message is what the student needs
        raise Hint(f"Running {DAG_ID} raised {type(err).__name__}: {err}") from None


def _check_schedule(wb: Workbook) -> None:
    dag = _dag(wb)
    shown = dag_files.schedule_text(dag.schedule)
    need(
        shown == "@monthly",
        f'{DAG_ID} has schedule {shown}; one run per month is schedule="@monthly".',
    )
    need(dag.catchup is False, "Keep catchup=False, written out.")


def _check_order(wb: Workbook) -> None:
    dag = _dag(wb)
    order = ("ingest_taxi_month", "dbt_run", "dbt_test", "notify")
    for first, then in zip(order, order[1:], strict=False):
        need(
            then in dag.get_task(first).downstream_task_ids,
            f"{then} does not wait for {first}: chain the four tasks with >> in run order.",
        )
    with _scratch(wb):
        run = _run(wb, "2024-01-01")
    need(run.succeeded, f"The run for 2024-01 failed at {run.failed_tasks}; read wb.log(...).")


def _check_logical_date(wb: Workbook) -> None:
    with _scratch(wb) as path:
        run = _run(wb, "2024-03-01")
        loaded = sorted(_counts(path))
    need(run.succeeded, f"The run for 2024-03 failed at {run.failed_tasks}; read wb.log(...).")
    need(
        loaded == ["2024-03"],
        f"A run for the logical date 2024-03-01 loaded {loaded}; it should load 2024-03 only. "
        "Ask the run for its month (_run_month()) instead of writing one down.",
    )


def _check_idempotent(wb: Workbook) -> None:
    with _scratch(wb) as path:
        _run(wb, "2024-02-01")
        once = _counts(path).get("2024-02", 0)
        _run(wb, "2024-02-01")
        twice = _counts(path).get("2024-02", 0)
    need(once > 0, "The first run for 2024-02 loaded no rows; read its log with wb.log(...).")
    need(
        twice == once,
        f"After one run raw_trips had {once} rows for 2024-02, after a rerun {twice}. Delete the "
        "month's rows before inserting them, in the same transaction.",
    )


def _check_failures(wb: Workbook) -> None:
    with _scratch(wb) as path:
        gone = _run(wb, "2024-05-01", conf={"month": UNPUBLISHED_MONTH})
        notes = _notifications(path.parent / "notifications.jsonl", gone.run_id)
        wb.source.faults({"2024-04": {"transient": 2}})
        try:
            flaky = _run(wb, "2024-04-01")
        finally:
            wb.source.faults({})
    tries = gone.tasks["ingest_taxi_month"].tries
    need(
        tries == 1,
        f"A month that is not published (403) was tried {tries} times. A retry cannot publish "
        "it: raise AirflowFailException for 403 and 404.",
    )
    need(
        notes and notes[-1].get("status") == "failed",
        "A failed run sent no notification: notify must run whatever happened upstream "
        '(trigger_rule="all_done").',
    )
    tries = flaky.tasks["ingest_taxi_month"].tries
    need(
        flaky.succeeded and tries == 3,
        f"With two 503s from the source, ingest_taxi_month ran {tries} time(s) and the run "
        f"{'succeeded' if flaky.succeeded else 'failed'}. Give the DAG retries in default_args.",
    )


def _notifications(path: Path, run_id: str) -> list[dict]:
    """What notify recorded for one run (the check's own notifications file)."""
    if not path.exists():
        return []
    notes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [n for n in notes if n.get("run_id") == run_id]


def _check_namespace(wb: Workbook) -> None:
    student = os.environ.get("AIRFLOW_STUDENT") or "ada_lovelace"
    folder = wb.work / "own_pipeline_check" / "dags" / student
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copyfile(student_file(wb), folder / f"{DAG_ID}.py")
    found = sorted(dag_files.parse_dag_file(folder).dags)
    need(
        found == [f"{student}_{DAG_ID}"],
        f"In dags/{student}/ on the class Airflow your file defines {found}; it should define "
        f'{student}_{DAG_ID}. Use dag_id=dag_id_for("{DAG_ID}").',
    )
    _dag(wb)  # on the laptop it is still my_taxi_pipeline


CHECKS: dict[str, Callable[[Workbook], None]] = {
    "03": _check_schedule,
    "04": _check_order,
    "05": _check_logical_date,
    "06": _check_idempotent,
    "07": _check_failures,
    "08": _check_namespace,
}
