"""
### grade_assignment: grade a class's `taxi_pipeline` submissions on the grading workers

Trigger with the params below. One `grade_student` task per student (the Grid view names each
by its student); each runs the same sandboxed grading as `autograder grade` on a worker of
the Celery queue `grading`. `collect` writes the CLI's class outputs into `out`; `notify` logs
one line (and appends it to `$GRADING_NOTIFICATIONS`).

- **Regrade one student**: clear their `grade_student` task *with its downstream tasks*, so
  `collect` and `notify` run again and the class outputs are rebuilt.
- A failing check is a grade, not a failed task. A task fails (and is retried twice) only when
  the grader could not finish: a sandbox that did not start, a lost worker, the task timeout.
- More capacity: `airflow celery worker -q grading` on another machine with this checkout.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

QUEUE = "grading"
# Above the grader's own limits for one submission (startup 180 s + all runs 1200 s), which
# turn a hanging submission into a grade long before this backstop fires.
TASK_TIMEOUT = timedelta(minutes=30)


def _tasks():
    # Imported when a task runs, on the worker: parsing this file needs only Airflow.
    from autograder.airflow_grading import tasks

    return tasks


@dag(
    dag_id="grade_assignment",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["grading"],
    # Not the class's per-DAG cap (4): the grading workers' slots and the scheduler-wide
    # parallelism are what should limit a class being graded.
    max_active_tasks=64,
    doc_md=__doc__,
    default_args={"owner": "teacher", "queue": QUEUE, "retries": 0},
    params={
        "submissions": Param(
            None, type=["null", "string"], description="Folder with one sub-folder per student."
        ),
        "repository": Param(
            None,
            type=["null", "string"],
            description="Or the class DAG repository: each dags/<id>/ at `commit` is graded.",
        ),
        "commit": Param("main", type="string", description="Branch, tag or commit to grade."),
        "out": Param(None, type=["null", "string"], description="Folder for the outputs."),
        "public_only": Param(False, type="boolean", description="Only the public checks."),
        "import_timeout": Param(30.0, type="number", exclusiveMinimum=0),
        "run_timeout": Param(180.0, type="number", exclusiveMinimum=0),
    },
)
def grade_assignment():
    @task
    def discover(params=None) -> list[str]:
        """The student folders to grade; builds the answer key once for all of them."""
        tasks = _tasks()
        return tasks.discover_class(tasks.request_from(params))

    @task(
        retries=2,
        retry_delay=timedelta(seconds=30),
        execution_timeout=TASK_TIMEOUT,
        map_index_template="{{ student }}",
    )
    def grade_student(student: str, params=None) -> dict:
        """Grade one student in a sandbox; writes their result and feedback."""
        get_current_context()["student"] = student  # the Grid view's name for this task
        tasks = _tasks()
        return tasks.grade_student(tasks.request_from(params), student)

    @task(trigger_rule="all_done")
    def collect(students: list[str], params=None, ti=None, dag_run=None) -> dict:
        """grades.csv, summary.json and the class report from every student's result."""
        tasks = _tasks()
        timings = {}
        for index, student in enumerate(students):
            graded = ti.xcom_pull(task_ids="grade_student", map_indexes=index)
            if isinstance(graded, dict):
                timings[student] = graded["seconds"]
        seconds = (pendulum.now("UTC") - dag_run.start_date).total_seconds()
        return tasks.collect_class(tasks.request_from(params), students, timings, seconds)

    @task(trigger_rule="all_done")
    def notify(ti=None, run_id=None) -> None:
        """One line for the teacher; fails (the run turns red) if anyone was not graded."""
        summary = ti.xcom_pull(task_ids="collect")
        note = _tasks().notification(run_id, summary)
        log.info(note["line"])
        if summary is None or summary["ungraded"]:
            raise AirflowFailException(note["line"])

    students = discover()
    summary = collect(students)
    grade_student.expand(student=students) >> summary >> notify()


grade_assignment()
