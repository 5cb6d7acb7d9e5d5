"""Self-checks of chapter 07, Monitoring and Debugging."""

from __future__ import annotations

import re
import shutil
from typing import TYPE_CHECKING

from workbook.env_vars import temporary_env
from workbook.selfchecks import own_pipeline
from workbook.selfchecks.registry import (
    answer_dict,
    exercise,
    filled,
    mentions,
    need,
    text_answer,
)

if TYPE_CHECKING:
    from workbook.runner import RunReport
    from workbook.session import Workbook

DBT_FAILURE = re.compile(r"\d+ of \d+ FAIL \d+ (\S+)")
RESPONSES = {
    "the source answers 503 Service Unavailable": "retry",
    "the source answers 403 for next month's file": "fix",
    "dbt: Referenced column not found": "fix",
    "the connection to the source timed out": "retry",
    "dbt test unique_stg_trips_trip_key failed": "fix",
}
RUNBOOK_SECTIONS = {
    "trigger": ("trigger", "manual", "run a month", "by hand"),
    "backfill": ("backfill",),
    "logs": ("log",),
    "failures": ("fail", "problem", "error", "incident"),
}


@exercise("ch07_fix_model", success="with that fix, dbt_run and dbt_test are green again")
def fix_model(wb: Workbook, wrong: object, right: object) -> None:
    filled(wrong, "ex_wrong_name")
    filled(right, "ex_right_name")
    need(isinstance(wrong, str) and isinstance(right, str), "Give both names as strings.")
    project = wb.work / "fix_check" / "taxi_dbt"
    shutil.rmtree(project.parent, ignore_errors=True)
    shutil.copytree(wb.dbt_project, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "staging" / "stg_trips.sql"
    broken = model.read_text().replace("and fare_amount >= 0", "and fare_amnt >= 0")
    need(
        str(wrong) in broken,
        f"{wrong!r} does not appear in the broken model: copy the name from the error message.",
    )
    model.write_text(broken.replace(str(wrong), str(right)))
    # A schema of its own: only May, whatever else this notebook loaded meanwhile.
    with temporary_env({"TAXI_DBT_PROJECT_DIR": str(project), "AIRFLOW_STUDENT": "fix_check"}):
        report = wb.run("ch07_taxi_pipeline", "2024-05-01")
    need(
        report.tasks["dbt_run"].state == "success",
        f"With {wrong!r} replaced by {right!r}, dbt_run still fails. Which column does "
        "raw_trips really have? The error message suggests one.",
    )
    need(report.succeeded, f"dbt_run works now, but the run still failed: {report.failed_tasks}")


@exercise("ch07_read_the_log", success="found from the report and the log, not by guessing")
def read_the_log(
    wb: Workbook, report: RunReport, failed_task: object, failing_test: object
) -> None:
    filled(failed_task, "ex_failed_task")
    filled(failing_test, "ex_failing_test")
    failed = [t for t, r in report.tasks.items() if r.state == "failed" and t != "notify"]
    need(
        failed_task in failed,
        f"{failed_task!r} did not fail in that run. Look at the run's table: which task is red "
        "(other than notify, which only reports)?",
    )
    failing = set(DBT_FAILURE.findall(wb.log(report, str(failed_task))))
    need(
        failing_test in failing,
        f"{failing_test!r} is not one of the tests that failed. Search the task's log for lines "
        "containing FAIL.",
    )


@exercise("ch07_retry_or_fix", success="retries for the transient, a person for the rest")
def retry_or_fix(wb: Workbook, answers: object) -> None:
    given_answers = answer_dict(answers, "ex_response")
    for failure, response in RESPONSES.items():
        given = str(given_answers.get(failure, "")).strip()
        need(given in {"retry", "fix"}, f"{given!r}: answer 'retry' or 'fix'.")
        need(
            given == response,
            f"Think again about “{failure}”: would the very same request succeed a minute later?",
        )


@exercise("ch07_runbook", success="four sections, enough detail to hand it over; saved")
def runbook(wb: Workbook, text: object) -> None:
    written = text_answer(
        text, "ex_runbook", "ex_runbook should be Markdown text in triple quotes."
    )
    need("..." not in written, "The runbook still contains `...`: replace every placeholder.")
    need("fill in" not in written.lower(), "The runbook still says 'fill in' somewhere.")
    headings = [h.lower() for h in re.findall(r"^##\s+(.+)$", written, flags=re.M)]
    for section, words in RUNBOOK_SECTIONS.items():
        need(
            any(mentions(h, *words) for h in headings),
            f"There is no ## section about {section} yet (a heading mentioning "
            f"{' or '.join(repr(w) for w in words)}).",
        )
    items = re.findall(r"^\s*(?:[-*]|\d+[.)])\s+\S", _failures_section(written), flags=re.M)
    need(len(items) >= 3, "List at least three failures (as - bullets or 1. numbers).")
    visible = len(_visible_text(written))
    need(visible >= 400, f"The runbook has {visible} characters of text; aim for at least 400.")
    need(
        mentions(written, "wb.run", "airflow dags trigger", "workbook run", "astro"),
        "Show the exact command or call that triggers a run, so a classmate can copy it.",
    )
    target = wb.work / "RUNBOOK.md"
    target.write_text(written.strip() + "\n")


def _failures_section(runbook: str) -> str:
    """The part of the runbook under its `## ...failures...` heading ("" if there is none)."""
    for part in re.split(r"^##\s+", runbook, flags=re.M):
        heading = part.splitlines()[0] if part.strip() else ""
        if mentions(heading, *RUNBOOK_SECTIONS["failures"]):
            return part
    return ""


def _visible_text(markdown: str) -> str:
    without_comments = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"[#*`>_\-\[\]()|]", " ", without_comments)).strip()


@exercise("ch07_own_pipeline", success=own_pipeline.SUCCESS["07"])
def own_pipeline_step(wb: Workbook) -> None:
    own_pipeline.check(wb, "07")
