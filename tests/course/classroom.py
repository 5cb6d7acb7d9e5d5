"""A class on one machine: a fresh course root, and students who fetch, work and submit with the
real nbgrader commands, each in their own folder (their own HOME and nbgrader_config.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.assignment_notebook import grade_id
from course.layout import ASSIGNMENT, NOTEBOOK, Course
from course.students import setup_student
from tests.conftest import REPO

BIN = Path(sys.executable).parent

RUNBOOK = """# Runbook: taxi_pipeline

## 1. Trigger a run by hand
From the assignment folder: `workbook run taxi_pipeline --date 2024-03-01`. For a month other
than the logical date's, pass run config `{"month": "2024-03"}` when triggering in the UI.
Success means all four tasks green and a `success` line in warehouse/notifications.jsonl.

## 2. Run a backfill
`workbook backfill taxi_pipeline --from 2024-01 --to 2024-07` creates seven runs, one per
month. Run it twice and compare `SELECT source_month, count(*) FROM raw_trips GROUP BY 1`:
the counts must not change, because each run deletes its month before inserting it.

## 3. Find a task's log
Grid view, click the red square, then Logs; locally `report.log("ingest_taxi_month")`. Read
from the top of the failed try: the real error is usually above the traceback's last line.

## 4. The top 3 likely failures, and the first response to each
1. ingest fails at once with 403: the month is not published yet. No retry helps; pick an
   earlier month and keep catchup off.
2. ingest retries, then fails with 503: the source is down. Check it answers, then clear the
   task so it runs again.
3. dbt_test fails: bad rows in the file. Read the failing test's SQL in the log and fix the
   filter in stg_trips, then rerun the month.
"""

REPORT = """# Assignment report: taxi_pipeline

## Schedule
`@monthly` from 2024-01-01 with catchup=False and max_active_runs=1: one file per month, and
two dbt runs at once would fight over the same tables.

## Tasks and their order
ingest_taxi_month >> dbt_run >> dbt_test >> notify. dbt must not run on a half-loaded month,
and notify runs whatever happens (trigger rule all_done) so failures are recorded.

## The dbt project
include/taxi_dbt: stg_trips (view) and fct_trips (table), with unique/not-null tests and a
singular test that pickups come before dropoffs.

## One debugging case
Symptom: ingest failed with "answered 403". The log showed the URL for 2025-09 on the first
try. Cause: the month is not published. Fix: run an earlier month.

## Deploy
https://github.com/example/shared-airflow/pull/42 - ingest_taxi_month green, dbt orange.

## Target tier: logical dates, backfill and idempotency
Each run loads the month of its logical date ({{ ds }}); a manual run without one uses
run_after. Command: `workbook backfill taxi_pipeline --from 2024-01 --to 2024-07`.

| month | rows before the second backfill | rows after it |
|---|---|---|
| 2024-01 | 2426 | 2426 |
| 2024-02 | 2301 | 2301 |
"""

AI_ASSIST = """# AI assistance log

## Entry 1
- **The prompt I sent**: "In Airflow 3, how does a TaskFlow task find the logical date of its
  run, and what happens on a manual run?"
- **What it answered**: use get_current_context() and read dag_run.logical_date; it said
  manual runs always have one.
- **What I kept, changed or threw away, and why**: I kept get_current_context(), but changed
  the fallback because the answer was wrong for Airflow 3: a manual run may have no logical
  date, so my DAG uses dag_run.run_after then. I checked it with a manual run in the notebook.
"""

ANSWERS = {
    "runbook_unpublished_month": "403 means the month is not published: no retry can fix it, so "
    "the task fails at once. Run an earlier month and wait for the file.",
    "runbook_accidental_reruns": "SELECT count(*), count(DISTINCT trip_key) FROM stg_trips WHERE "
    "source_month = '2024-03'. The delete-then-insert of the month makes reruns harmless.",
    "runbook_dbt_test_failed": "The dbt_test log names the failing test. Bad rows in the file, or "
    "a change in stg_trips that lets duplicates through.",
    "runbook_wrong_schema": "AIRFLOW_STUDENT was not set where the DAG ran; set it and redeploy.",
}


def make_course(root: Path) -> Course:
    """A fresh course root: the repository's nbgrader_config.py, course.toml and source/."""
    root.mkdir(parents=True)
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copy2(REPO / "assignment" / "course.toml", root / "course.toml")
    shutil.copytree(
        REPO / "assignment" / "source",
        root / "source",
        ignore=shutil.ignore_patterns(
            ".airflow", "warehouse", "target", "logs", "__pycache__", ".ipynb_checkpoints"
        ),
    )
    return Course(root)


def nbgrader(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    """The nbgrader command as a student runs it: their folder, their HOME."""
    env = {**os.environ, "HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("JUPYTER_CONFIG_DIR", None)
    done = subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done


def _exchange(name: str, home: Path, student: str | None = None) -> None:
    """An nbgrader exchange step run in this process, configured exactly as `nbgrader` would be
    from the student's folder (their nbgrader_config.py, their cache): the CLI minus ~3.5 s of
    start-up per command."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import default as exchange
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(home)).load_config()
    config.CourseDirectory.root = str(home)
    config.Exchange.cache = str(home / ".local" / "share" / "jupyter" / "nbgrader_cache")
    config.Exchange.assignment_dir = str(home)  # the CLI's default "." is its working directory
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = ASSIGNMENT
    if student:
        coursedir.student_id = student
    app = getattr(exchange, name)(
        coursedir=coursedir, authenticator=Authenticator(config=config), config=config
    )
    app.start()


@dataclass(frozen=True)
class Student:
    """One student, and what they do to the fetched assignment before submitting.

    `cli`: use the real `nbgrader` command (one student does, to prove the command line works);
    the others run the same exchange classes in-process. `zipped`: hand in a zip of the folder
    (a student on their own laptop) instead of `nbgrader submit`.
    """

    name: str
    work: Callable[[Path], None]
    cli: bool = False
    zipped: bool = False

    def folder(self, base: Path) -> Path:
        return base / self.name

    def fetch(self, course: Course, base: Path) -> Path:
        home = self.folder(base)
        setup_student(course, home)
        if self.cli:
            nbgrader(["fetch_assignment", ASSIGNMENT], cwd=home, home=home)
        else:
            _exchange("ExchangeFetchAssignment", home)
        return home / ASSIGNMENT

    def submit(self, base: Path) -> None:
        home = self.folder(base)
        if self.zipped:
            inbox = base / "inbox"
            inbox.mkdir(exist_ok=True)
            shutil.make_archive(str(inbox / self.name), "zip", home, ASSIGNMENT)
            return
        if self.cli:
            nbgrader(["submit", ASSIGNMENT, f"--student={self.name}"], cwd=home, home=home)
        else:
            _exchange("ExchangeSubmit", home, student=self.name)

    def fetch_feedback(self, base: Path) -> list[Path]:
        home = self.folder(base)
        nbgrader(["fetch_feedback", ASSIGNMENT, f"--student={self.name}"], cwd=home, home=home)
        return sorted((home / ASSIGNMENT / "feedback").rglob("*.html"))


def run_class(course: Course, base: Path, students: list[Student]) -> None:
    """Every student fetches, works and submits; the command-line student in parallel."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = [pool.submit(_one, course, base, s) for s in students if s.cli]
        for student in students:
            if not student.cli:
                _one(course, base, student)
        for future in pending:
            future.result()


def _one(course: Course, base: Path, student: Student) -> None:
    work_dir = student.fetch(course, base)
    student.work(work_dir)
    student.submit(base)


# What the simulated students do ------------------------------------------------------------


def answer_notebook(folder: Path, answers: dict[str, str]) -> None:
    path = folder / NOTEBOOK
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    nbformat.write(nb, str(path))


def complete_from_reference(folder: Path) -> None:
    """The reference DAG, every document written, every question answered."""
    shutil.copy2(REPO / "dags" / "taxi_pipeline.py", folder / "dags" / "taxi_pipeline.py")
    (folder / "RUNBOOK.md").write_text(RUNBOOK)
    (folder / "ASSIGNMENT_REPORT.md").write_text(REPORT)
    (folder / "AI_ASSIST.md").write_text(AI_ASSIST)
    answer_notebook(folder, ANSWERS)
    # Running the pipeline leaves state behind; none of it may be handed in.
    (folder / "warehouse").mkdir()
    (folder / "warehouse" / "taxi.duckdb").write_bytes(b"\0" * 4096)


def minimum_tier_only(folder: Path) -> None:
    """A working DAG and a runbook; the report, AI log and questions left as released."""
    shutil.copy2(REPO / "dags" / "taxi_pipeline.py", folder / "dags" / "taxi_pipeline.py")
    (folder / "RUNBOOK.md").write_text(RUNBOOK)


def broken_dag(folder: Path) -> None:
    """Documents written, but the DAG has a syntax error (an unclosed bracket on one line)."""
    complete_from_reference(folder)
    dag = folder / "dags" / "taxi_pipeline.py"
    text = dag.read_text().replace("    max_active_runs=1,\n", "    max_active_runs=(1,\n", 1)
    dag.write_text(text)


def empty_notebook(folder: Path) -> None:
    """The reference DAG, but the notebook was saved over with an empty one."""
    complete_from_reference(folder)
    nbformat.write(nbformat.v4.new_notebook(), str(folder / NOTEBOOK))


def invalid_json_notebook(folder: Path) -> None:
    """The reference DAG, but the notebook file was cut off half-way (not valid JSON)."""
    complete_from_reference(folder)
    path = folder / NOTEBOOK
    text = path.read_text()
    path.write_text(text[: len(text) // 2])


def tampering(folder: Path) -> None:
    """A broken DAG, and a cell added at the very top that makes every check report full
    points. Locked cells are restored by nbgrader, but added cells are not."""
    broken_dag(folder)
    path = folder / NOTEBOOK
    nb = nbformat.read(str(path), as_version=4)
    cheat = nbformat.v4.new_code_cell(
        "import course.bridge\n\n"
        "course.bridge.check = lambda check_id, points: print('passed') or float(points)"
    )
    nb.cells.insert(0, cheat)
    nbformat.write(nb, str(path))
