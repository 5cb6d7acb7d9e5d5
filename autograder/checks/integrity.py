"""Integrity: the DAG imports cleanly and is wired and configured the way the course asks."""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime

from autograder.checks.context import DAG_FILE_NAME, REQUIRED_TASKS, SINGLE_DAG, Context
from autograder.checks.logs import clean_log, without_library_frames
from autograder.checks.needs import DAG, DAG_FILE, DAG_IMPORT
from autograder.checks.outcome import Outcome, listing
from autograder.checks.registry import check
from autograder.submission import DAG_ID, is_contract_dag_id

RUN_ON_FAILURE_RULES = {"all_done", "one_failed", "all_failed", "one_done", "always"}
MAX_PARSE_SECONDS = 5.0
MAX_IMPORT_OUTPUT = 64 << 10
COURSE_START = datetime.fromisoformat("2024-01-01T00:00:00+00:00")


def _import_error(ctx: Context) -> str | None:
    snapshot = ctx.snapshot
    if snapshot is None:
        return None
    errors = {
        f: e for f, e in snapshot.import_errors.items() if "AirflowDagCycleException" not in e
    }
    error = errors.get(DAG_FILE_NAME) or (next(iter(errors.values())) if errors else None)
    if error is None:
        return None
    return "\n".join(without_library_frames(clean_log(error).splitlines()))


@check(
    id="integrity_imports",
    rules=["R-dag-file"],
    points=4,
    visibility="public",
    tier="minimum",
    needs=[DAG_IMPORT],
    teaches="06_testing_dags.ipynb#Three-ways-to-break-a-DAG-file",
    hint="Run `python dags/taxi_pipeline.py` (or `workbook run taxi_pipeline`) and fix the first "
    "error it prints. Nothing at the top of the file may wait, loop or need a network.",
)
def imports(ctx: Context) -> Outcome:
    """The DAG file imports without errors, in time"""
    if ctx.submission.dag_file is None:
        return Outcome.fail("dags/taxi_pipeline.py is missing from the submission.")
    if ctx.source.syntax_error:
        return Outcome.fail(f"Python cannot read the file: {ctx.source.syntax_error}.")
    snapshot = ctx.snapshot
    if snapshot is None:
        reason = ctx.evidence.failure or ctx.evidence.snapshot_error or "no answer"
        return Outcome.fail(f"Importing the DAG did not finish: {reason}.")
    if snapshot.fatal:
        first = snapshot.fatal.splitlines()[0]
        return Outcome.fail(
            f"Importing the file stopped the interpreter ({first}). A DAG file must not call "
            "sys.exit() or exit() at the top level.",
            clean_log(snapshot.fatal),
        )
    error = _import_error(ctx)
    if error is None:
        return Outcome.ok()
    last = error.strip().splitlines()[-1] if error.strip() else error
    if "DagBag import timeout" in error or "AirflowTaskTimeout" in error:
        why = (
            f"Importing took longer than {ctx.options.import_timeout:.0f} s: something at the "
            "top level of the file waits, loops or downloads."
        )
    elif "MemoryError" in error:
        why = (
            f"Importing ran out of memory (the limit is {ctx.options.memory_mb} MB): the file "
            "allocates a lot at the top level."
        )
    elif "Resource temporarily unavailable" in error or "BlockingIOError" in error:
        why = "Importing tried to start too many processes."
    elif "SystemExit" in error:
        why = (
            f"The file calls sys.exit() while it is imported ({last}); a DAG file must never "
            "stop the process that imports it."
        )
    elif missing := _missing_module(error):
        why = (
            f"not available in the grading environment: {missing}. The grader has only the "
            "packages assignment/CONTRACT.md (section 4) lists; your laptop may have more. This "
            "is a limit of the grading environment: use one of those packages, or ask your "
            "teacher."
        )
    else:
        why = f"Importing failed: {last}"
    return Outcome.fail(why, error)


# What a submission may import at grading time (assignment/CONTRACT.md, section 4 lists them).
GRADING_MODULES = (
    "airflow",
    "airflow.providers.standard",
    "airflow.providers.postgres",
    "airflow.providers.celery",
    "dbt",
    "duckdb",
    "pyarrow",
    "pandas",
    "requests",
    "psycopg2",
    "sqlalchemy",
    "pendulum",
)
_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def _missing_module(error: str) -> str | None:
    """The module a ModuleNotFoundError names, when it is not one the grader provides."""
    found = _NO_MODULE.search(error)
    if found is None:
        return None
    module = found.group(1)
    if importlib.util.find_spec(module.split(".")[0]) is not None and module.startswith(
        GRADING_MODULES
    ):
        return None  # a module of an installed package: a wrong name, not a missing package
    return module


@check(
    id="integrity_single_dag",
    rules=["R-one-dag", "R-dag-id"],
    points=2,
    visibility="public",
    tier="minimum",
    needs=[DAG],
    teaches="08_deploying_to_shared_airflow.ipynb#What-a-shared-scheduler-changes",
    hint="dags/taxi_pipeline.py must define exactly one DAG, with dag_id='taxi_pipeline' "
    "(dag_id_for('taxi_pipeline') gives '<your id>_taxi_pipeline' on the class Airflow; both "
    "are fine).",
)
def single_dag(ctx: Context) -> Outcome:
    """dags/taxi_pipeline.py defines exactly one DAG, `taxi_pipeline`"""
    blocker = ctx.dag_blocker()
    if blocker is not None and blocker.check_id != SINGLE_DAG:
        return Outcome.fail(blocker.sentence())
    snapshot = ctx.snapshot
    in_file = snapshot.dags_by_file.get(DAG_FILE_NAME, []) if snapshot else []
    if not in_file:
        return Outcome.fail("The file defines no DAG. Is the @dag function called at the end?")
    elsewhere = sorted(
        f
        for f, ids in (snapshot.dags_by_file.items() if snapshot else ())
        if f != DAG_FILE_NAME and any(is_contract_dag_id(i) for i in ids)
    )
    if elsewhere:
        return Outcome.fail(f"'{DAG_ID}' is defined in {', '.join(elsewhere)}, not only here.")
    if len(in_file) > 1:
        return Outcome.fail(
            f"The file defines {len(in_file)} DAGs ({', '.join(in_file)}); keep one."
        )
    if is_contract_dag_id(in_file[0]):
        return Outcome.ok()
    return Outcome.fail(
        f"The file's DAG is called {in_file[0]!r}, but the dag_id must be '{DAG_ID}' (or "
        f"'<your id>_{DAG_ID}' on the class Airflow, CONTRACT.md section 8). Every other check "
        "graded it under its own id: this is the only check the name costs."
    )


@check(
    id="integrity_no_cycles",
    rules=["R-task-order"],
    points=2,
    visibility="public",
    tier="minimum",
    needs=[DAG],
    teaches="06_testing_dags.ipynb#Three-ways-to-break-a-DAG-file",
    hint="Every `>>` must point forward: ingest_taxi_month >> dbt_run >> dbt_test >> notify. "
    "A task may not (indirectly) depend on itself.",
)
def no_cycles(ctx: Context) -> Outcome:
    """The task graph has no cycle"""
    snapshot = ctx.snapshot
    if snapshot is None:
        return Outcome.fail(ctx.no_dag_reason())
    cycles = [e for e in snapshot.import_errors.values() if "AirflowDagCycleException" in e]
    if cycles:
        last = cycles[0].strip().splitlines()[-1]
        return Outcome.fail(f"Airflow found a cycle: {last}")
    if ctx.dag is None:
        return Outcome.fail(ctx.no_dag_reason() + " So it could not be checked for cycles.")
    return Outcome.ok()


@check(
    id="integrity_required_tasks",
    rules=["R-task-order"],
    points=3,
    visibility="public",
    tier="minimum",
    needs=[DAG],
    teaches="04_sequential_pipeline_steps.ipynb#The-taxi-pipeline",
    hint="Name the tasks exactly ingest_taxi_month, dbt_run and dbt_test (task_id, or the "
    "@task function's name).",
)
def required_tasks(ctx: Context) -> Outcome:
    """The tasks ingest_taxi_month, dbt_run and dbt_test exist"""
    dag = ctx.dag
    if dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    missing = [t for t in REQUIRED_TASKS if dag.task(t) is None]
    parts = [(t not in missing, f"Task '{t}' is missing.") for t in REQUIRED_TASKS]
    return Outcome.from_parts(parts, output=f"Tasks found: {', '.join(dag.task_ids) or 'none'}")


@check(
    id="integrity_task_order",
    rules=["R-task-order"],
    points=3,
    visibility="public",
    tier="minimum",
    needs=[DAG],
    teaches="04_sequential_pipeline_steps.ipynb#Wiring-tasks",
    hint="Chain the tasks in this order: ingest_taxi_month >> dbt_run >> dbt_test (>> notify). "
    "dbt must not start before the month is loaded, and the tests run on fresh models.",
)
def task_order(ctx: Context) -> Outcome:
    """The tasks run in the order ingest_taxi_month >> dbt_run >> dbt_test (>> notify)"""
    dag = ctx.dag
    if dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    pairs = [("ingest_taxi_month", "dbt_run"), ("dbt_run", "dbt_test")]
    if dag.task("notify") is not None:
        pairs.append(("dbt_test", "notify"))
    parts = []
    for before, after in pairs:
        if dag.task(before) is None or dag.task(after) is None:
            parts.append((False, f"{before} >> {after} cannot be checked: a task is missing."))
            continue
        parts.append((before in dag.ancestors(after), f"{after} does not wait for {before}."))
    edges = sorted(f"{t.task_id} >> {d}" for t in dag.tasks for d in t.downstream)
    return Outcome.from_parts(parts, output="Dependencies found: " + ("; ".join(edges) or "none"))


@check(
    id="integrity_schedule_monthly",
    rules=["R-schedule"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG],
    teaches="03_scheduling_and_triggers.ipynb#Cron-in-five-fields",
    hint='One file is published per month, so the DAG runs once a month: schedule="@monthly".',
)
def schedule_monthly(ctx: Context) -> Outcome:
    """The DAG is scheduled @monthly"""
    dag = ctx.dag
    if dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    if dag.schedule == "@monthly" or dag.timetable_expression == "0 0 1 * *":
        return Outcome.ok()
    return Outcome.fail(f"The schedule is {dag.schedule!r}, not '@monthly'.")


@check(
    id="integrity_start_date",
    rules=["R-start-date"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG],
    teaches='10_gotchas_and_pitfalls.ipynb#5.-"A-start-date-without-a-time-zone-means-UTC"',
    hint='Use a fixed, timezone-aware start: start_date=pendulum.datetime(2024, 1, 1, tz="UTC"). '
    "A start computed from today moves every time the file is parsed.",
)
def start_date(ctx: Context) -> Outcome:
    """start_date is fixed, timezone-aware and no later than 2024-01-01"""
    dag = ctx.dag
    if dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    parts = []
    verdicts = ctx.source.start_dates
    naive = [v for v in verdicts if v.verdict == "naive"]
    dynamic = [v for v in verdicts if v.verdict == "dynamic"]
    parts.append(
        (
            not naive and dag.start_tz is not None,
            "start_date has no timezone"
            + (f" (line {naive[0].line}: {naive[0].source})" if naive else "")
            + "; Airflow then guesses one.",
        )
    )
    parts.append(
        (
            not dynamic,
            "start_date is computed from the clock"
            + (f" (line {dynamic[0].line}: {dynamic[0].source})." if dynamic else "."),
        )
    )
    early = False
    if dag.start_date:
        try:
            early = datetime.fromisoformat(dag.start_date) <= COURSE_START
        except ValueError:
            early = False
    parts.append(
        (early, f"start_date is {dag.start_date}; the course's backfill starts at 2024-01-01.")
    )
    return Outcome.from_parts(parts)


@check(
    id="integrity_catchup_and_concurrency",
    rules=["R-catchup-and-concurrency"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG],
    teaches="03_scheduling_and_triggers.ipynb#Catchup:-the-flood-of-old-runs",
    hint="Pass catchup=False explicitly (backfills are made on purpose) and max_active_runs=1 "
    "(two runs of dbt at once clash) in the @dag(...) call.",
)
def catchup_and_concurrency(ctx: Context) -> Outcome:
    """catchup=False is set explicitly and max_active_runs=1"""
    dag = ctx.dag
    if dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    explicit = [value for _, value in ctx.source.catchup]
    parts = [
        (
            explicit == [False] and dag.catchup is False,
            "catchup=False is not set explicitly in the DAG call."
            if not explicit
            else f"catchup is set to {explicit[0]!r}, not False.",
        ),
        (dag.max_active_runs == 1, f"max_active_runs is {dag.max_active_runs}, not 1."),
    ]
    return Outcome.from_parts(parts)


@check(
    id="integrity_retries",
    rules=["R-retries"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG],
    teaches="07_monitoring_and_debugging.ipynb#A-flaky-source:-the-retry-that-saves-the-night",
    hint='Put "retries": 2 (or more) and a "retry_delay" (e.g. timedelta(minutes=5)) in '
    "default_args, so every task retries transient failures.",
)
def retries(ctx: Context) -> Outcome:
    """Each pipeline task retries at least twice, with a delay"""
    dag = ctx.dag
    if dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    parts = []
    for task_id in REQUIRED_TASKS:
        task = dag.task(task_id)
        if task is None:
            parts.append((False, f"{task_id} is missing."))
            continue
        delay = task.retry_delay_seconds or 0
        parts.append(
            (
                task.retries >= 2 and delay > 0,
                f"{task_id} has retries={task.retries} and retry_delay={delay:g} s.",
            )
        )
    return Outcome.from_parts(parts)


@check(
    id="integrity_light_import",
    rules=["R-light-import", "R-env-at-run-time"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG_FILE],
    teaches='10_gotchas_and_pitfalls.ipynb#7.-"Code-at-the-top-of-a-DAG-file-runs-once"',
    hint="The dag-processor imports the file again and again (every 30 s by default): keep "
    "downloads, database connections, file access, Variable.get() and big prints inside tasks.",
)
def light_import(ctx: Context) -> Outcome:
    """Importing the DAG file does no work: no I/O, connections or long waits at the top level"""
    if ctx.submission.dag_file is None or not ctx.source.parsed:
        return Outcome.fail("Python cannot read the DAG file: fix integrity_imports first.")
    parts = [
        (
            not ctx.source.import_time_io,
            "The file does work while it is imported:\n" + listing(ctx.source.import_time_io),
        )
    ]
    snapshot = ctx.snapshot
    if snapshot is not None:
        seconds = snapshot.parse_seconds.get(DAG_FILE_NAME, 0.0)
        parts.append(
            (
                seconds <= MAX_PARSE_SECONDS,
                f"Parsing the file took {seconds:.1f} s (the limit is {MAX_PARSE_SECONDS:.0f} s).",
            )
        )
        parts.append(
            (
                ctx.import_output_bytes <= MAX_IMPORT_OUTPUT,
                f"Importing the file printed {ctx.import_output_bytes // 1024} KB.",
            )
        )
    outcome = Outcome.from_parts(parts)
    return Outcome(1.0 if outcome.fraction == 1 else 0.0, outcome.message)


@check(
    id="integrity_no_wall_clock",
    rules=["R-logical-month"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG_FILE],
    teaches='10_gotchas_and_pitfalls.ipynb#1.-"The-task-can-use-the-current-date"',
    hint="Take the month from the run (logical_date / data_interval_start, or run_after for a "
    "manual run without one), never from now() or today(): a rerun or backfill must load the "
    "month it is for.",
)
def no_wall_clock(ctx: Context) -> Outcome:
    """The month comes from the run, not from the wall clock"""
    if ctx.submission.dag_file is None or not ctx.source.parsed:
        return Outcome.fail("Python cannot read the DAG file: fix integrity_imports first.")
    if ctx.source.wall_clock_month:
        return Outcome.fail(
            "The month is derived from the clock:\n" + listing(ctx.source.wall_clock_month)
        )
    note = ""
    if ctx.source.wall_clock_other:
        note = "Clock reads that do not pick the month (fine):\n" + listing(
            ctx.source.wall_clock_other
        )
    return Outcome.ok(output=note)


@check(
    id="integrity_no_stubs",
    rules=["R-no-stubs"],
    points=1,
    visibility="public",
    tier="target",
    needs=[DAG_FILE],
    teaches="09_practice.ipynb#What-you-hand-in",
    hint="Replace every NotImplementedError, empty task and 'fill in' placeholder with code.",
)
def no_stubs(ctx: Context) -> Outcome:
    """No stubs or placeholders are left in the code"""
    if ctx.submission.dag_file is None:
        return Outcome.fail("dags/taxi_pipeline.py is missing.")
    if ctx.source.stubs:
        return Outcome.fail("Unfinished code:\n" + listing(ctx.source.stubs))
    return Outcome.ok()


@check(
    id="integrity_notify_task",
    rules=["R-notify-task"],
    points=1,
    visibility="public",
    tier="stretch",
    needs=[DAG],
    teaches="04_sequential_pipeline_steps.ipynb#When-a-step-fails:-trigger-rules",
    hint='Add a task `notify` after dbt_test with trigger_rule="all_done" (or "one_failed"), so '
    "it also runs when something upstream failed.",
)
def notify_task(ctx: Context) -> Outcome:
    """A notify task runs after dbt_test, also when the pipeline failed"""
    dag = ctx.dag
    if dag is None:
        return Outcome.fail(ctx.no_dag_reason())
    notify = dag.task("notify")
    if notify is None:
        return Outcome.fail("There is no task 'notify'.")
    parts = [
        ("dbt_test" in dag.ancestors("notify"), "notify does not come after dbt_test."),
        (
            notify.trigger_rule in RUN_ON_FAILURE_RULES,
            f"notify has trigger_rule={notify.trigger_rule!r}, so it is skipped exactly when "
            "a failure should be reported.",
        ),
    ]
    return Outcome.from_parts(parts)
