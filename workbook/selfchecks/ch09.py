"""Self-checks of chapter 09, Practice: the reference pipeline, run, backfilled, rerun, tested."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from workbook import paths
from workbook.selfchecks.ch07 import DBT_FAILURE, runbook
from workbook.selfchecks.registry import (
    compared,
    exercise,
    filled,
    first_failure_line,
    need,
    prediction,
    run_report,
    run_reports,
)

if TYPE_CHECKING:
    from workbook.runner import RunReport
    from workbook.session import Workbook

SEVEN_MONTHS = [f"2024-{m:02d}" for m in range(1, 8)]
# The predict-then-run exercises' choices (the first of RERUN_GIVES is what happens).
FCT_VS_RAW = ("more rows than raw_trips", "as many rows as raw_trips", "fewer rows than raw_trips")
RERUN_GIVES = ("the same rows", "twice the rows", "seven more months of rows")
FLAKY_ENDS = (
    "one try, the run fails",
    "three tries, the run succeeds",
    "three tries, the run fails",
)
INTEGRITY_TESTS = ("test_no_import_errors", "test_taxi_pipeline_has_tags")
REFERENCE_TAGS = 'tags=["week11", "taxi", f"student:{STUDENT}"]'
# test -> (the bug it must catch, how to put that bug into a copy of the dags folder)
FOLDER_MUTANTS: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "test_no_import_errors": (
        "a file that does not import",
        # DagBag only imports files that mention both "airflow" and "dag".
        lambda folder: (folder / "broken.py").write_text("from airflow.sdk import dag, taks\n"),
    ),
    "test_taxi_pipeline_has_tags": (
        "taxi_pipeline without tags",
        lambda folder: (folder / "taxi_pipeline.py").write_text(
            (folder / "taxi_pipeline.py").read_text().replace(REFERENCE_TAGS, "tags=[]")
        ),
    ),
}


def _taxi_report(report: object, what: str, month: str) -> RunReport:
    run = run_report(report, what, f"{what} should hold the report wb.run(...) returns.")
    need(run.dag_id == "taxi_pipeline", "Use the reference DAG, taxi_pipeline.")
    need(
        run.logical_date is not None and f"{run.logical_date:%Y-%m}" == month,
        f"Run it for the logical date {month}-01.",
    )
    return run


def _seven_runs(value: object, what: str) -> list[RunReport]:
    runs = run_reports(value, what, f"{what} should hold what wb.backfill(...) returns.")
    months = [f"{r.logical_date:%Y-%m}" for r in runs if r.logical_date]
    need(months == SEVEN_MONTHS, f"{what} ran {months}; it should run 2024-01 to 2024-07.")
    need(
        all(r.dag_id == "taxi_pipeline" for r in runs),
        "Backfill the reference DAG, taxi_pipeline.",
    )
    failed = [m for m, r in zip(months, runs, strict=True) if not r.succeeded]
    need(not failed, f"These months failed: {failed}. Read their logs.")
    return runs


def _fingerprint(value: object, what: str) -> dict[str, Any]:
    filled(value, what)
    need(
        isinstance(value, dict) and "raw_trips" in value,
        f"{what} should hold what wb.fingerprint() returns.",
    )
    return dict(cast("dict[str, Any]", value))


@exercise("ch09_first_run", success="January 2024 is loaded, modelled and tested")
def first_run(wb: Workbook, report: object, predicted: object = ...) -> str:
    guess = prediction(predicted, "ex1_prediction", FCT_VS_RAW)
    run = _taxi_report(report, "ex1_report", "2024-01")
    need(run.succeeded, f"The run failed at {run.failed_tasks}; read their logs.")
    need("2024-01" in wb.counts(), "raw_trips has no January rows in this notebook's warehouse.")
    tables = wb.fingerprint()
    raw, fct = tables["raw_trips"][0], tables["fct_trips"][0]
    happened = FCT_VS_RAW[0] if fct > raw else FCT_VS_RAW[1] if fct == raw else FCT_VS_RAW[2]
    return compared(
        guess,
        happened,
        f"raw_trips keeps every row of the file ({raw}), filed under the file's month; the dbt "
        f"models keep the trips picked up in that month that pass the cleaning rules ({fct}).",
    )


@exercise("ch09_backfill", success="seven green runs, seven months in raw_trips")
def backfill(wb: Workbook, runs: object) -> None:
    _seven_runs(runs, "ex2_runs")
    counts = wb.counts()
    missing = [m for m in SEVEN_MONTHS if not counts.get(m)]
    need(not missing, f"raw_trips has no rows for {missing}.")


@exercise("ch09_idempotent", success="identical before and after: the rerun changed nothing")
def idempotent(
    wb: Workbook, before: object, rerun: object, after: object, predicted: object = ...
) -> str:
    guess = prediction(predicted, "ex3_prediction", RERUN_GIVES)
    first = _fingerprint(before, "ex3_before")
    last = _fingerprint(after, "ex3_after")
    _seven_runs(rerun, "ex3_rerun")
    need(first["raw_trips"][0] > 0, "ex3_before was taken on an empty warehouse.")
    changed = [t for t in first if first[t] != last.get(t)]
    need(
        not changed,
        f"These tables changed with the rerun: {changed}. Did something else run in between, "
        "or is the load appending?",
    )
    return compared(
        guess,
        RERUN_GIVES[0],
        "each run deletes its own month before inserting the file again, in one transaction, "
        "so a rerun replaces the month instead of adding it.",
    )


@exercise("ch09_integrity_test", success="green on the real folder, red on both broken ones")
def integrity_test(wb: Workbook) -> None:
    path = wb.work / "test_integrity.py"
    need(path.exists(), "There is no test_integrity.py yet: run the %%writefile cell first.")
    good = wb.pytest(path)
    for test in INTEGRITY_TESTS:
        need(test in good.passed + good.failed + good.skipped, f"Keep the test named {test}.")
        need(test not in good.skipped, f"{test} still skips: replace its pytest.skip(...) line.")
        need(
            test not in good.failed,
            f"{test} fails on the real dags/ folder: {first_failure_line(good.output, test)}",
        )
    for test, (bug, mutate) in FOLDER_MUTANTS.items():
        folder = wb.work / "mutants" / test
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(paths.dags_folder(), folder, ignore=shutil.ignore_patterns("__pycache__"))
        mutate(folder)
        result = wb.pytest(path, env={"DAGS_UNDER_TEST": str(folder)})
        need(test in result.failed, f"{test} still passes on a folder with {bug}.")


@exercise("ch09_find_the_failure", success="the failing task and every failing test, from the log")
def find_the_failure(wb: Workbook, report: RunReport, task: object, tests: object) -> None:
    filled(task, "ex5_failed_task")
    filled(tests, "ex5_failing_tests")
    need(
        task == "dbt_test",
        f"{task!r} is not the task that found the problem. Which task is red in the run's table "
        "(notify only reports)?",
    )
    need(isinstance(tests, list | tuple | set), "ex5_failing_tests should be a list of names.")
    failing = set(DBT_FAILURE.findall(wb.log(report, "dbt_test")))
    given = {str(t).strip() for t in cast("Iterable[object]", tests)}
    wrong = sorted(given - failing)
    need(not wrong, f"These did not fail in that run: {wrong}.")
    need(
        given == failing,
        f"You found {len(given)} of the {len(failing)} failing tests. Search the dbt_test log "
        "for every line with FAIL.",
    )


@exercise("ch09_flaky_source", success="two 503s, three tries, one green run")
def flaky_source(wb: Workbook, report: object, predicted: object = ...) -> str:
    guess = prediction(predicted, "ex6_prediction", FLAKY_ENDS)
    run = _taxi_report(report, "ex6_report", "2024-06")
    tries = run.tasks["ingest_taxi_month"].tries
    need(
        tries == 3,
        f"ingest_taxi_month needed {tries} tries. Make the source answer 503 to the first two "
        'requests: wb.source.faults({"2024-06": {"transient": 2}}), before the run.',
    )
    need(run.succeeded, f"The run should succeed after the retries; failed: {run.failed_tasks}")
    need(
        not wb.source.current_faults(),
        "The source still has faults set: clear them with wb.source.faults({}).",
    )
    return compared(
        guess,
        FLAKY_ENDS[1],
        "a 503 raises an ordinary error, which Airflow retries (retries=2 gives three tries); "
        "only AirflowFailException, kept for 403 and 404, skips the retries.",
    )


exercise("ch09_runbook", success="four sections, enough detail to hand it over; saved")(runbook)
