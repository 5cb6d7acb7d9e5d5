"""Building blocks for the autograder's fast tests: contexts without a sandbox run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from autograder.answer_key import TABLES, AnswerKey, MonthKey
from autograder.checks import Context, all_checks
from autograder.options import GradingOptions
from autograder.results import CheckResult, SubmissionResult
from autograder.ruff import RuffReport
from autograder.sandbox.evidence import DagSnapshot, SandboxEvidence
from autograder.scenarios import BACKFILL_MONTHS
from autograder.source_scan import scan_files
from autograder.submission import DAG_FILE, load_submission
from tests.corpus import REFERENCE, REFERENCE_DAG_FILE, build_submission
from tests.corpus.build import REPO

# Short limits for sandbox tests whose submissions stop early (nothing here runs for minutes).
FAST = GradingOptions(import_timeout=15, run_timeout=20, max_restarts=0)
REFERENCE_DAG = REFERENCE_DAG_FILE.read_text()

# What the harness reports for the reference DAG (as in a real sandbox run).
REFERENCE_SNAPSHOT = {
    "airflow_version": "3.3.2",
    "parse_seconds": {"taxi_pipeline.py": 0.09},
    "dags_by_file": {"taxi_pipeline.py": ["taxi_pipeline"]},
    "dag": {
        "dag_id": "taxi_pipeline",
        "file": "taxi_pipeline.py",
        "schedule": "@monthly",
        "timetable": "CronTriggerTimetable",
        "start_date": "2024-01-01T00:00:00+00:00",
        "start_tz": "UTC",
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["student:grader", "taxi", "week11"],
        "tasks": [
            {
                "task_id": task,
                "upstream": [before] if before else [],
                "downstream": [after] if after else [],
                "trigger_rule": "all_done" if task == "notify" else "all_success",
                "retries": 2,
                "retry_delay_seconds": 300.0,
            }
            for before, task, after in [
                (None, "ingest_taxi_month", "dbt_run"),
                ("ingest_taxi_month", "dbt_run", "dbt_test"),
                ("dbt_run", "dbt_test", "notify"),
                ("dbt_test", "notify", None),
            ]
        ],
    },
}


# An answer key of the right shape (no check here compares a real warehouse with it).
ANSWER_KEY = AnswerKey(
    version="test",
    inputs_hash="test",
    months={
        month: MonthKey(tables={t: (1, f"{i:016x}") for t in TABLES}, stray_rows=0)
        for i, month in enumerate(BACKFILL_MONTHS)
    },
)


def submission_with(tmp_path: Path, dag_source: str | None = None, **documents: str | None):
    """A copy of the reference submission with the DAG and/or documents replaced."""
    root = build_submission(REFERENCE, tmp_path / "student")
    if dag_source is not None:
        (root / DAG_FILE).write_text(dag_source)
    for name, text in documents.items():
        path = root / name.replace("_md", ".md")
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
    return load_submission(root)


def context(
    tmp_path: Path,
    dag_source: str | None = None,
    snapshot: dict | None = None,
    **documents: str | None,
) -> Context:
    submission = submission_with(tmp_path, dag_source, **documents)
    sources = {p: submission.read_text(p) for p in submission.dag_folder_files if p.endswith(".py")}
    evidence = SandboxEvidence(isolation="root-namespaces")
    evidence.snapshot = DagSnapshot.model_validate(
        REFERENCE_SNAPSHOT if snapshot is None else snapshot
    )
    return Context(
        submission=submission,
        source=scan_files(sources, DAG_FILE),
        ruff=RuffReport(available=True),
        evidence=evidence,
        key=ANSWER_KEY,
        options=GradingOptions(),
    )


def run_check(check_id: str, ctx: Context):
    return all_checks()[check_id].func(ctx)


def snapshot_with(**dag_fields) -> dict:
    snapshot = {**REFERENCE_SNAPSHOT, "dag": {**REFERENCE_SNAPSHOT["dag"], **dag_fields}}
    return snapshot


def scan(source: str):
    """The static facts of `source` as the DAG file."""
    return scan_files({DAG_FILE: source}, DAG_FILE)


def with_dag(old: str, new: str) -> str:
    """The reference DAG with `old` (which must occur once) replaced by `new`."""
    assert REFERENCE_DAG.count(old) == 1, old
    return REFERENCE_DAG.replace(old, new)


def submission_result(**scores: float) -> SubmissionResult:
    """A result for ada with one 4-point check per keyword; behaviour_retries*/notify* hidden."""
    checks = []
    for check_id, score in scores.items():
        hidden = check_id.startswith("behaviour_retries") or check_id.startswith("behaviour_notify")
        checks.append(
            CheckResult(
                check_id=check_id,
                title=f"Title of {check_id}",
                category=check_id.split("_")[0],
                visibility="hidden" if hidden else "public",
                tier="target",
                points=4,
                score=score,
                hint=f"HINT-{check_id}",
                message=f"MESSAGE-{check_id}" if score < 4 else "",
                output=f"OUTPUT-{check_id}\n" * 3,
            )
        )
    return SubmissionResult("ada", "abc", "1.0.0+x", tuple(checks), "minimum", ("a note",))


def run_python(code: str) -> subprocess.CompletedProcess:
    """`code` in a Python process of its own (for process-wide patches), which must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-1500:]
    return done


def driver_runs(folder: Path, mode: str, dag_file: str, dag_source: str, driver: str) -> list:
    """Real `dag.test()` runs made by `driver` in a Python process of its own (for process-wide
    patches): its arguments are an Airflow home, a DAG folder holding `dag_source` as
    `dag_file`, and `mode`; its last line of output is JSON, returned."""
    dags = folder / mode / "dags"
    dags.mkdir(parents=True)
    (dags / dag_file).write_text(textwrap.dedent(dag_source))
    done = subprocess.run(
        [sys.executable, "-c", driver, str(folder / mode / "home"), str(dags), mode],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])
