"""The grading DAG on the class stack (no-Docker twin), for real: triggered through the REST API
on a class of 12 corpus submissions (one hangs at import), graded on the `grading` queue's
worker, and compared with `autograder grade` on the same folder.

A small stack of its own (one student, one class worker, one grading worker with two slots):
the class test's stack of 25 is busy with its own runs. The CLI's side reuses the results the
corpus test already made in this run (same content, same grader), so nothing is graded twice.
The tests run in file order: grade the class, then clear one student's task.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder.cli import app as autograder_app
from autograder.reporters.gradescope import read_result
from tests.autograder.conftest import graded_corpus_dir
from tests.class_airflow.stacks import ClassStack, running_stack, settings_on_free_ports, wait_for
from tests.class_airflow.students import roster_text
from tests.conftest import LATEST_PUBLISHED
from tests.corpus import build_submission

pytestmark = pytest.mark.slow
DAG_ID = "grade_assignment"
CLASS = [
    "reference",
    "hangs_at_import",
    "append_not_idempotent",
    "cycle",
    "import_error",
    "no_retries",
    "wrong_order",
    "missing_runbook",
    "naive_start_date",
    "airflow2_imports",
    "sys_exit",
    "report_unfilled",
]
IMPORT_TIMEOUT = 10  # the corpus test's (tests/autograder/conftest.py: CORPUS_OPTIONS)
FIXED = "append_not_idempotent"  # the student who hands in a fix and is regraded alone
CLASS_FILES = ("grades.csv", "summary.json", "class_report.html", "pass_rates.png")


@pytest.fixture(scope="module")
def stack():
    settings = settings_on_free_ports(
        workers=1,
        worker_concurrency=1,
        grading_workers=1,
        grading_concurrency=2,
        latest_month=LATEST_PUBLISHED,
    )
    with running_stack(roster_text(["ada"]), settings) as running:
        yield running


@pytest.fixture(scope="module")
def submissions(stack: ClassStack) -> Path:
    """The class, under the stack's grading folder (the only place its workers grade)."""
    folder = stack.paths.grading / "week11"
    for name in CLASS:
        build_submission(name, folder / name)
    return folder


@pytest.fixture(scope="module")
def cli_out(submissions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`autograder grade` on the class; results the corpus test made this run are kept."""
    out = tmp_path_factory.mktemp("cli-out")
    earlier = graded_corpus_dir(tmp_path_factory)
    for name in CLASS:
        for kind, suffixes in (("results", (".json",)), ("feedback", (".md", ".html"))):
            for suffix in suffixes:
                made = earlier / kind / f"{name}{suffix}"
                if made.exists():
                    (out / kind).mkdir(exist_ok=True)
                    shutil.copy2(made, out / kind / made.name)
    argv = ["grade", str(submissions), "--out", str(out), "--jobs", "2"]
    argv += ["--import-timeout", str(IMPORT_TIMEOUT)]
    result = CliRunner().invoke(autograder_app, argv)
    assert result.exit_code == 0, result.output + _ungraded_logs(out)
    return out


def _ungraded_logs(out: Path) -> str:
    tails = []
    for result in filter(None, (read_result(out, name) for name in CLASS)):
        if not result.error:
            continue
        log = out / "logs" / f"{result.student}.log"
        tail = log.read_text()[-3000:] if log.exists() else "(no log)"
        tails.append(f"--- {result.student}: {result.error}\n{tail}")
    return "\n".join(tails)


def _params(submissions: Path, out: Path) -> dict:
    return {"submissions": str(submissions), "out": str(out), "import_timeout": IMPORT_TIMEOUT}


def _wait_run(stack: ClassStack, run_id: str) -> dict:
    teacher = stack.teacher()
    return wait_for(
        lambda: (run := teacher.dag_run(DAG_ID, run_id))["state"] in ("success", "failed") and run,
        1800,
        f"{DAG_ID} run {run_id}",
    )


def _tasks(stack: ClassStack, run_id: str) -> dict[str, dict]:
    """Task instances by task id, mapped ones as grade_student[<student>]."""
    found = {}
    for ti in stack.teacher().task_instances(DAG_ID, run_id):
        key = ti["task_id"]
        if ti["map_index"] >= 0:
            key = f"{key}[{ti['rendered_map_index']}]"
        found[key] = ti
    return found


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# What differs between any two gradings: the clock, in the task logs feedback quotes
# ("[OK ... in 0.06s]", timestamps) and in measured durations ("Parsing the file took 10.1 s").
CLOCK = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d[.,\d]*(Z|[+-]\d\d:?\d\d)?|\d+\.\d+ ?s\b")


def _steady(page: Path) -> str:
    return CLOCK.sub("<clock>", page.read_text())


def _rows(out: Path) -> dict[str, dict]:
    return {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}


def _checks(out: Path, student: str) -> dict:
    result = read_result(out, student)
    assert result is not None, f"no result for {student} in {out}"
    return {c.check_id: (c.score, c.passed, CLOCK.sub("<clock>", c.message)) for c in result.checks}


class Graded:
    run_id = ""
    out = Path()


def test_the_dag_grades_the_class_like_the_cli(
    stack: ClassStack, submissions: Path, cli_out: Path
) -> None:
    teacher = stack.teacher()
    # The dag-processor parses the grading bundle on its own clock; when the CLI's results
    # were reused from the corpus test, this test can get here before it has.
    dag = wait_for(
        lambda: next((d for d in teacher.dags() if d["dag_id"] == DAG_ID), None),
        300,
        f"{DAG_ID} in /api/v2/dags",
    )
    assert dag["bundle_name"] == "grading"
    teacher.set_paused(DAG_ID, False)
    out = stack.paths.grading / "week11-grades"
    run_id = teacher.trigger(DAG_ID, None, _params(submissions, out))["dag_run_id"]
    run = _wait_run(stack, run_id)
    tasks = _tasks(stack, run_id)
    states = {key: ti["state"] for key, ti in tasks.items()}
    assert run["state"] == "success", states
    Graded.run_id, Graded.out = run_id, out

    # One grading task per student, each on the grading queue, each on its first try: a
    # student's failing checks (and a hanging import) are grades, not task failures.
    graded = {k: ti for k, ti in tasks.items() if k.startswith("grade_student[")}
    assert sorted(graded) == sorted(f"grade_student[{name}]" for name in CLASS)
    assert all(ti["queue"] == "grading" for ti in tasks.values())
    assert {ti["try_number"] for ti in graded.values()} == {1}
    logs = stack.paths.service_logs
    assert "grade_student" in (logs / "grading-worker-1.log").read_text()
    assert "grade_student" not in (logs / "worker-1.log").read_text(), "a class worker graded"

    # Identical to the CLI: the gradebook, every student's checks and feedback (but for the
    # durations and times in the logs it quotes), the tiers.
    assert (out / "grades.csv").read_text() == (cli_out / "grades.csv").read_text()
    for name in CLASS:
        assert _checks(out, name) == _checks(cli_out, name), name
        for suffix in (".md", ".html"):
            page = f"feedback/{name}{suffix}"
            assert _steady(out / page) == _steady(cli_out / page), page
    dag_summary = json.loads((out / "summary.json").read_text())
    cli_summary = json.loads((cli_out / "summary.json").read_text())
    for key in ("students", "ungraded", "mean_score", "median_score", "tiers", "checks"):
        assert dag_summary[key] == cli_summary[key], key
    assert set(CLASS_FILES) <= {p.name for p in out.iterdir()}
    assert _rows(out)["reference"]["total"] == "100"

    # The hanging submission was graded (its import timed out), while the others went on:
    # another student's grading ran at the same time as it.
    hang = read_result(out, "hangs_at_import").check("integrity_imports")
    assert not hang.passed and f"longer than {IMPORT_TIMEOUT} s" in hang.message + hang.output
    spans = {key: (_when(ti["start_date"]), _when(ti["end_date"])) for key, ti in graded.items()}
    hang_start, hang_end = spans.pop("grade_student[hangs_at_import]")
    overlapping = [k for k, (start, end) in spans.items() if start < hang_end and end > hang_start]
    assert overlapping, "no other student was graded while the hanging one was"

    # The teacher's one line, with the counts and the report's path.
    notes = stack.paths.grading_notifications.read_text().splitlines()
    line = json.loads(notes[-1])["line"]
    assert f"{len(CLASS)}/{len(CLASS)} graded" in line and str(out / "class_report.html") in line


def test_clearing_one_students_task_regrades_only_them(
    stack: ClassStack, submissions: Path
) -> None:
    assert Graded.run_id, "needs the class graded by the test before"
    out, run_id = Graded.out, Graded.run_id
    before = _tasks(stack, run_id)
    others = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (out / "results").iterdir()
        if p.stem != FIXED
    }
    assert _rows(out)[FIXED]["behaviour_rerun_idempotent"] == "0"
    # The student hands in a fix: their folder now holds the reference submission.
    shutil.rmtree(submissions / FIXED)
    build_submission("reference", submissions / FIXED)

    index = before[f"grade_student[{FIXED}]"]["map_index"]
    stack.teacher().clear_task_instances(DAG_ID, run_id, [["grade_student", index]])
    run = _wait_run(stack, run_id)
    after = _tasks(stack, run_id)
    assert run["state"] == "success", {k: ti["state"] for k, ti in after.items()}

    tries = {key: (before[key]["try_number"], ti["try_number"]) for key, ti in after.items()}
    rerun = {key for key, (old, new) in tries.items() if new > old}
    assert rerun == {f"grade_student[{FIXED}]", "collect", "notify"}
    fixed = _rows(out)[FIXED]
    assert fixed["total"] == "100" and fixed["behaviour_rerun_idempotent"] != "0"
    assert not read_result(out, FIXED).failed_ids
    unchanged = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (out / "results").iterdir()
        if p.stem != FIXED
    }
    assert unchanged == others, "another student's result was rewritten"
    assert set(_rows(out)) == set(CLASS)
