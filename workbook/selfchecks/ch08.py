"""Self-checks of chapter 08, Deploying to Shared Airflow."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from workbook.selfchecks import own_pipeline
from workbook.selfchecks.ch00 import check_student_name
from workbook.selfchecks.registry import (
    answer_dict,
    compared,
    exercise,
    filled,
    need,
    prediction,
    run_report,
)

if TYPE_CHECKING:
    from workbook.session import Workbook

ETIQUETTE = {
    "pause a classmate's DAG because its failures clutter the UI": False,
    "tag your DAG with student:<your name>": True,
    "run your DAG and its tests locally before opening the pull request": True,
    "start a backfill of 30 months on the shared scheduler to see if it works": False,
    "clear your own failed task once you know the cause is fixed": True,
}


@exercise("ch08_dry_run", success="your DAG would load on the shared scheduler, under your name")
def dry_run(wb: Workbook, student: object, dry_run: object) -> None:
    check_student_name(student, "ex_student")
    filled(dry_run, "ex_dry_run")
    need(
        hasattr(dry_run, "checks") and hasattr(dry_run, "student"),
        "ex_dry_run should hold what shared_dry_run(...) returns.",
    )
    ran_for = getattr(dry_run, "student", None)
    need(ran_for == student, f"That dry run was for {ran_for!r}, not for you ({student!r}).")
    failing = [c.name for c in getattr(dry_run, "checks", []) if not c.passed]
    need(not failing, f"Your dry run has problems: {failing}. Look at its table.")


MY_RUN_LANDS = ("airflow_default", "airflow_<my name>", "both schemas")


@exercise("ch08_my_run", success="your run loaded into your own schema")
def my_run(wb: Workbook, student: object, report: object, predicted: object = ...) -> str:
    check_student_name(student, "ex_student")
    guess = prediction(predicted, "ex_my_run_prediction", MY_RUN_LANDS)
    run = run_report(report, "ex_my_run", "ex_my_run should hold the report wb.run(...) returns.")
    need(run.dag_id == "taxi_pipeline", "Run the reference DAG, taxi_pipeline.")
    need(
        run.logical_date is not None and f"{run.logical_date:%Y-%m}" == "2024-02",
        "Run it for February 2024 (logical date 2024-02-01).",
    )
    need(run.succeeded, f"The run did not succeed: {run.failed_tasks}")
    schema = f"airflow_{student}"
    months = wb.counts(student=str(student))
    need(
        "2024-02" in months,
        f"There is no February in {schema}.raw_trips. Was AIRFLOW_STUDENT set to "
        f"{student!r} when the run started?",
    )
    need(
        os.environ.get("AIRFLOW_STUDENT") == "default",
        'Set AIRFLOW_STUDENT back to "default" after your run, as the exercise asks.',
    )
    return compared(
        guess,
        MY_RUN_LANDS[1],
        "the DAG reads AIRFLOW_STUDENT when a task runs and writes to airflow_<student>, "
        "so the same file loads into each student's own schema.",
    )


@exercise("ch08_etiquette", success="a good neighbour on the shared scheduler")
def etiquette(wb: Workbook, answers: object) -> None:
    given_answers = answer_dict(answers, "ex_fine")
    for action, fine in ETIQUETTE.items():
        given = given_answers.get(action)
        need(isinstance(given, bool), f"Answer True or False for “{action}”.")
        need(given == fine, f"Think again about “{action}”: who else does it affect?")


@exercise("ch08_own_pipeline", success=own_pipeline.SUCCESS["08"])
def own_pipeline_step(wb: Workbook) -> None:
    own_pipeline.check(wb, "08")
