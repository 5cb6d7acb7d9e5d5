"""Behaviour: the DAG really runs (dag.test() in the sandbox, the local HTTP source, DuckDB).

The evidence for every check comes from the grader's own reading of the sandbox's files after
each run: warehouse fingerprints (row counts and order-independent content checksums) compared
with the answer key, task states from the Airflow metadata DB, and the source's request log.
"""

from __future__ import annotations

from autograder.checks.context import Context, Run
from autograder.checks.needs import steps, warehouses
from autograder.checks.outcome import Outcome, sentence
from autograder.checks.registry import check
from autograder.scenarios import (
    BACKFILL_MONTHS,
    BROKEN_ROWS_STEP,
    FAILED_INGEST_STEPS,
    IN_ORDER_STEPS,
    MANUAL_MONTH,
    MANUAL_STEP,
    PERMANENT_STEP,
    RERUN_STEP,
    REVERSE_ORDER,
    REVERSE_STEPS,
    TRANSIENT_STEP,
    UNPUBLISHED_STEP,
    in_order_step,
    reverse_step,
    unpublished_month,
)

TABLES = ("raw_trips", "stg_trips", "fct_trips")
FIRST = BACKFILL_MONTHS[0]
LAST_IN_ORDER = in_order_step(BACKFILL_MONTHS[-1])
LAST_REVERSE = reverse_step(REVERSE_ORDER[-1])
NEVER_RAN = {None, "upstream_failed", "skipped", "removed", "none"}
FAILED_WORDS = {"failed", "failure", "error", "failing"}


def _needs_dag(ctx: Context) -> Outcome | None:
    return None if ctx.dag is not None else Outcome.fail(ctx.no_dag_reason())


def _compare(ctx: Context, run: Run, months: tuple[str, ...] | list[str]) -> dict[str, str]:
    """For each table, '' if it matches the key for exactly `months`, else what is wrong."""
    problems = {}
    warehouse = run.warehouse
    for table in TABLES:
        rows, checksum = ctx.key.expected(list(months), table)
        found = run.table(table)
        if warehouse is None or not warehouse.exists:
            problems[table] = "there is no warehouse file"
        elif warehouse.error:
            problems[table] = f"the warehouse could not be read ({warehouse.error})"
        elif found is None:
            where = ", ".join(f"{s}: {t}" for s, t in warehouse.other_schemas.items())
            problems[table] = f"{table} does not exist in schema {warehouse.schema_name}" + (
                f" (tables found elsewhere: {where}; use AIRFLOW_STUDENT)" if where else ""
            )
        elif found.rows != rows:
            problems[table] = f"{table} has {found.rows} rows, expected {rows}"
        elif found.checksum != checksum and ctx.content_compared(table):
            problems[table] = (
                f"{table} has the right number of rows ({rows}) but different content "
                "(columns, types, values or their order differ from the contract)"
            )
        else:
            problems[table] = ""
    return problems


def _table_report(ctx: Context, run: Run, months) -> str:
    lines = [f"{'table':<10} {'expected rows':>14} {'found rows':>11}  content"]
    for table in TABLES:
        rows, checksum = ctx.key.expected(list(months), table)
        found = run.table(table)
        got = str(found.rows) if found else "-"
        same = "same" if found and found.checksum == checksum and found.rows == rows else "differs"
        lines.append(f"{table:<10} {rows:>14} {got:>11}  {same if found else 'missing'}")
    return "\n".join(lines)


def _fingerprint(run: Run) -> dict[str, tuple[int, str] | None]:
    return {t: ((x.rows, x.checksum) if (x := run.table(t)) else None) for t in TABLES}


def _log(ctx: Context, run: Run) -> str:
    return run.failing_log(ctx.options.output_lines)


@check(
    id="behaviour_one_month",
    rules=["R-logical-month", "R-raw-trips", "R-schema"],
    points=8,
    visibility="public",
    tier="minimum",
    needs=warehouses([in_order_step(FIRST)]),
    teaches="04_sequential_pipeline_steps.ipynb#The-taxi-pipeline",
    hint="Run one month yourself (`workbook run taxi_pipeline --date 2024-01-01`) and compare "
    "raw_trips with the file: all 19 columns plus source_month (the file's month, a DATE), "
    "in the schema airflow_<AIRFLOW_STUDENT>; dbt must build stg_trips and fct_trips.",
)
def one_month(ctx: Context) -> Outcome:
    """One month (2024-01) runs end to end and the warehouse holds exactly its rows"""
    if missing := _needs_dag(ctx):
        return missing
    run = ctx.run(in_order_step(FIRST))
    if not run.states:
        return Outcome.fail(f"The run for {FIRST} did not complete: {run.problem}.")
    problems = _compare(ctx, run, [FIRST])
    parts = [(run.succeeded, f"Not every task succeeded ({run.state_summary()}).")]
    parts += [(not problems[t], sentence(problems[t])) for t in TABLES]
    output = _table_report(ctx, run, [FIRST])
    fetched = sorted(set(run.requested_months))
    if fetched != [FIRST]:
        output += f"\nMonths the run fetched from the source: {', '.join(fetched) or 'none'}"
    if not run.succeeded:
        output += "\n" + _log(ctx, run)
    return Outcome.from_parts(parts, output)


@check(
    id="behaviour_rerun_idempotent",
    rules=["R-replace-partition"],
    points=8,
    visibility="public",
    tier="target",
    needs=warehouses([LAST_IN_ORDER, RERUN_STEP]),
    teaches="04_sequential_pipeline_steps.ipynb#Running-it-twice-changes-nothing",
    hint="A rerun must replace the month, not add it again: delete the month's partition "
    "(WHERE source_month = the run's month) and insert the file in one transaction.",
)
def rerun_idempotent(ctx: Context) -> Outcome:
    """Running a month again leaves the warehouse exactly as it was"""
    if missing := _needs_dag(ctx):
        return missing
    before, after = ctx.run(LAST_IN_ORDER), ctx.run(RERUN_STEP)
    if not before.succeeded:
        return Outcome.fail(
            f"The backfill's last run did not succeed ({before.state_summary()}), so there was "
            "nothing to rerun against."
        )
    old, new = _fingerprint(before), _fingerprint(after)
    changed = [t for t in TABLES if old[t] != new[t]]
    if not changed and after.succeeded:
        return Outcome.ok()
    details = []
    for table in changed:
        was, now = old[table], new[table]
        if was and now and now[0] > was[0]:
            details.append(f"{table} grew from {was[0]} to {now[0]} rows")
        elif was and now and now[0] < was[0]:
            details.append(f"{table} shrank from {was[0]} to {now[0]} rows")
        else:
            details.append(f"{table} changed")
    message = f"Rerunning {FIRST} changed the warehouse: {'; '.join(details)}." if details else ""
    if not after.succeeded:
        message = f"Rerunning {FIRST} failed ({after.state_summary()}). " + message
    return Outcome.fail(message.strip(), _log(ctx, after) if not after.succeeded else "")


@check(
    id="behaviour_backfill",
    rules=["R-raw-trips", "R-replace-partition"],
    points=8,
    visibility="public",
    tier="target",
    needs=steps(IN_ORDER_STEPS) + warehouses([LAST_IN_ORDER]),
    teaches="05_parameterized_runs_and_backfills.ipynb#Backfilling-January-to-July-2024",
    hint="Backfill 2024-01..2024-07 yourself (`workbook backfill taxi_pipeline --from 2024-01 "
    "--to 2024-07`): every run must succeed and raw_trips must then hold exactly those seven "
    "months, each once.",
)
def backfill(ctx: Context) -> Outcome:
    """The 7-run backfill (2024-01 to 2024-07) gives exactly those 7 months"""
    if missing := _needs_dag(ctx):
        return missing
    runs = {m: ctx.run(in_order_step(m)) for m in BACKFILL_MONTHS}
    last = runs[BACKFILL_MONTHS[-1]]
    raw = last.table("raw_trips")
    found_months = (raw.months or {}) if raw else {}
    good, notes = 0, []
    for month, run in runs.items():
        expected = ctx.key.months[month].tables["raw_trips"]
        got = found_months.get(month)
        if run.succeeded and got is not None and tuple(got) == tuple(expected):
            good += 1
        elif not run.succeeded:
            notes.append(f"the run for {month} failed ({run.state_summary()})")
        elif got is None:
            notes.append(f"{month} is not in raw_trips")
        else:
            notes.append(f"{month} has {got[0]} rows in raw_trips, expected {expected[0]}")
    extra = sorted(set(found_months) - set(BACKFILL_MONTHS))
    models = _compare(ctx, last, BACKFILL_MONTHS)
    models_ok = [not models[t] for t in ("stg_trips", "fct_trips")]
    fraction = 0.7 * good / len(BACKFILL_MONTHS) + 0.15 * sum(models_ok)
    if extra:
        notes.append(f"raw_trips also holds {', '.join(extra[:5])}")
        fraction *= 0.5
    notes += [models[t] for t in ("stg_trips", "fct_trips") if models[t]]
    if raw is not None and raw.months is None:
        notes.append("raw_trips has no source_month column, so months cannot be told apart")
    report = _table_report(ctx, last, BACKFILL_MONTHS)
    return Outcome.partial(fraction, sentence("; ".join(notes[:8])), report)


@check(
    id="behaviour_logical_date",
    rules=["R-logical-month"],
    points=4,
    visibility="public",
    tier="target",
    needs=steps(IN_ORDER_STEPS),
    teaches="03_scheduling_and_triggers.ipynb#Logical-date,-data-interval,-run_after",
    hint="Each run must fetch the month of its own logical date (data_interval_start / {{ ds }}), "
    "whatever today's date is.",
)
def logical_date(ctx: Context) -> Outcome:
    """Each run loads the month of its logical date, not of today"""
    if missing := _needs_dag(ctx):
        return missing
    parts = []
    for month in BACKFILL_MONTHS:
        run = ctx.run(in_order_step(month))
        asked = sorted(set(run.requested_months))
        if not run.states:
            parts.append((False, f"The run for {month} did not complete: {run.problem}."))
        else:
            parts.append(
                (
                    asked == [month],
                    f"The run for logical date {month}-01 fetched "
                    f"{', '.join(asked) or 'nothing'} instead of {month}.",
                )
            )
    return Outcome.from_parts(parts)


@check(
    id="behaviour_backfill_any_order",
    rules=["R-replace-partition"],
    points=4,
    visibility="hidden",
    tier="target",
    needs=steps(IN_ORDER_STEPS + REVERSE_STEPS) + warehouses([LAST_IN_ORDER, LAST_REVERSE]),
    teaches="05_parameterized_runs_and_backfills.ipynb#A-load-that-is-not-idempotent",
    hint="Loading the months in another order must give the same warehouse: a run may only "
    "touch its own month's partition.",
)
def backfill_any_order(ctx: Context) -> Outcome:
    """The same 7 runs in reverse order give the same warehouse"""
    if missing := _needs_dag(ctx):
        return missing
    forward = {m: ctx.run(in_order_step(m)) for m in BACKFILL_MONTHS}
    backward = {m: ctx.run(reverse_step(m)) for m in REVERSE_ORDER}
    failed = [f"{m} (reverse)" for m, r in backward.items() if not r.succeeded]
    failed += [f"{m} (in order)" for m, r in forward.items() if not r.succeeded]
    if failed:
        return Outcome.fail(
            f"Some runs failed, so the orders cannot be compared: {', '.join(failed[:6])}."
        )
    a = _fingerprint(forward[BACKFILL_MONTHS[-1]])
    b = _fingerprint(backward[REVERSE_ORDER[-1]])
    parts = [(a[t] == b[t], f"{t} differs between the two orders.") for t in TABLES]
    return Outcome.from_parts(parts, f"in order: {a}\nreverse:  {b}")


@check(
    id="behaviour_neighbouring_month_rows",
    rules=["R-file-month-partition"],
    points=4,
    visibility="hidden",
    tier="target",
    needs=warehouses([LAST_IN_ORDER, LAST_REVERSE]),
    teaches="04_sequential_pipeline_steps.ipynb#Running-it-twice-changes-nothing",
    hint="Every file has a few trips whose pickup is in the previous or next month. Partition "
    "raw_trips by the file's month (source_month), not by the pickup time, and let dbt filter.",
)
def neighbouring_month_rows(ctx: Context) -> Outcome:
    """Trips from a neighbouring month inside a file neither vanish nor duplicate"""
    if missing := _needs_dag(ctx):
        return missing
    expected = {m: ctx.key.months[m].stray_rows for m in BACKFILL_MONTHS}
    parts = []
    for label, step in (
        ("in order", LAST_IN_ORDER),
        ("in reverse", LAST_REVERSE),
    ):
        run = ctx.run(step)
        warehouse = run.warehouse
        if not run.succeeded or warehouse is None:
            parts.append((False, f"The backfill {label} did not finish successfully."))
            continue
        found = warehouse.stray_rows
        if found is None:
            parts.append((False, "raw_trips has no source_month or pickup column to check."))
            continue
        wrong = [
            f"{m}: {found.get(m, 0)} instead of {n}"
            for m, n in expected.items()
            if found.get(m, 0) != n
        ]
        parts.append(
            (
                not wrong,
                f"After the backfill {label}, the out-of-month trips per file month are wrong "
                f"({'; '.join(wrong[:4])}).",
            )
        )
    return Outcome.from_parts(parts)


@check(
    id="behaviour_retries_transient",
    rules=["R-5xx-retries", "R-retries"],
    points=4,
    visibility="hidden",
    tier="stretch",
    needs=warehouses([TRANSIENT_STEP]),
    teaches="07_monitoring_and_debugging.ipynb#A-flaky-source:-the-retry-that-saves-the-night",
    hint="A 5xx or an unreachable source is transient: raise an error (not AirflowFailException) "
    "so Airflow retries, and give ingest_taxi_month retries.",
)
def retries_transient(ctx: Context) -> Outcome:
    """A source that answers 503 at first is retried and the run succeeds"""
    if missing := _needs_dag(ctx):
        return missing
    run = ctx.run(TRANSIENT_STEP)
    if not run.states:
        return Outcome.fail(f"The run did not complete: {run.problem}.")
    month, failures = ctx.params.transient_month, ctx.params.transient_failures
    statuses = [r.status for r in run.evidence.reply.source_requests if r.month == month]
    parts = [
        (
            run.states.get("ingest_taxi_month") == "success"
            and run.tries("ingest_taxi_month") >= failures + 1,
            f"ingest_taxi_month ended {run.states.get('ingest_taxi_month')} after "
            f"{run.tries('ingest_taxi_month')} tries.",
        ),
        (
            statuses[:failures] == [503] * failures and 200 in statuses,
            f"The source saw these answers: {statuses}.",
        ),
        (
            run.succeeded and not _compare(ctx, run, [month])["raw_trips"],
            "After the retries the month was not loaded correctly.",
        ),
    ]
    return Outcome.from_parts(parts, f"task states: {run.state_summary()}\n" + _log(ctx, run))


@check(
    id="behaviour_failure_gates_dbt",
    rules=["R-ingest-gates-dbt"],
    points=3,
    visibility="hidden",
    tier="stretch",
    needs=warehouses(FAILED_INGEST_STEPS),
    teaches="07_monitoring_and_debugging.ipynb#Failures-a-retry-cannot-fix",
    hint="When ingest_taxi_month fails, dbt_run and dbt_test must not run (the default "
    "trigger rule all_success does this); a 403 for an unpublished month must fail the task.",
)
def failure_gates_dbt(ctx: Context) -> Outcome:
    """A failed ingest (server error, unpublished month) stops dbt_run and dbt_test"""
    if missing := _needs_dag(ctx):
        return missing
    parts = []
    unpublished = unpublished_month(ctx.options.latest_month)
    for step, label in (
        (PERMANENT_STEP, f"a permanent server error for {ctx.params.permanent_month}"),
        (UNPUBLISHED_STEP, f"the unpublished month {unpublished}"),
    ):
        run = ctx.run(step)
        states = run.states
        if not states:
            parts.append((False, f"With {label}, the run did not complete: {run.problem}."))
            continue
        dbt_states = {t: states.get(t) for t in ("dbt_run", "dbt_test")}
        models = [t for t in ("stg_trips", "fct_trips") if run.table(t) is not None]
        ok = (
            states.get("ingest_taxi_month") == "failed"
            and all(s in NEVER_RAN for s in dbt_states.values())
            and not models
        )
        parts.append(
            (
                ok,
                f"With {label}: ingest_taxi_month={states.get('ingest_taxi_month')}, "
                f"dbt_run={dbt_states['dbt_run']}, dbt_test={dbt_states['dbt_test']}"
                + (f", and dbt built {', '.join(models)}" if models else "")
                + ".",
            )
        )
    return Outcome.from_parts(parts)


def _failure_record(run: Run, month: str) -> tuple[bool, str]:
    records = run.notifications
    for record in records:
        status = str(record.get("status", "")).lower()
        failed_tasks = record.get("failed_tasks") or []
        month_ok = record.get("month") in (None, month)
        if status in FAILED_WORDS and "ingest_taxi_month" in failed_tasks and month_ok:
            return True, ""
    if not records:
        return False, "no notification was written"
    return False, f"the notifications were {records[-3:]}"


@check(
    id="behaviour_notify_on_failure",
    rules=["R-notification"],
    points=3,
    visibility="hidden",
    tier="stretch",
    needs=steps(FAILED_INGEST_STEPS),
    teaches="04_sequential_pipeline_steps.ipynb#When-a-step-fails:-trigger-rules",
    hint="notify must run after a failure and append a JSON line to $TAXI_NOTIFICATIONS with "
    'status "failed", the month, and failed_tasks naming the task that failed.',
)
def notify_on_failure(ctx: Context) -> Outcome:
    """A failed run records a notification naming the failed task"""
    if missing := _needs_dag(ctx):
        return missing
    if ctx.dag.task("notify") is None:
        return Outcome.fail("There is no notify task.")
    parts = []
    for step, month in (
        (PERMANENT_STEP, ctx.params.permanent_month),
        (UNPUBLISHED_STEP, unpublished_month(ctx.options.latest_month)),
    ):
        found, why = _failure_record(ctx.run(step), month)
        parts.append((found, f"For the failed run of {month}, {why}."))
    return Outcome.from_parts(parts)


@check(
    id="behaviour_dbt_test_gates_bad_data",
    rules=["R-dbt-fails-task"],
    points=4,
    visibility="hidden",
    tier="stretch",
    needs=steps([BROKEN_ROWS_STEP]),
    teaches="07_monitoring_and_debugging.ipynb#Debugging-a-broken-model,-step-by-step",
    hint="dbt_test must fail the task when a dbt test fails (check the dbt result and raise), "
    "so bad rows are stopped loudly instead of reaching the dashboard.",
)
def dbt_test_gates_bad_data(ctx: Context) -> Outcome:
    """A month with broken rows fails at dbt_test, not silently"""
    if missing := _needs_dag(ctx):
        return missing
    run = ctx.run(BROKEN_ROWS_STEP)
    states = run.states
    if not states:
        return Outcome.fail(f"The run did not complete: {run.problem}.")
    parts = [
        (
            states.get("ingest_taxi_month") == "success" and states.get("dbt_run") == "success",
            f"ingest_taxi_month={states.get('ingest_taxi_month')} and dbt_run="
            f"{states.get('dbt_run')}: the month with extra rows should load and build.",
        ),
        (
            states.get("dbt_test") == "failed",
            f"dbt_test={states.get('dbt_test')} on a month of {ctx.params.broken_month} with "
            "rows that break the tests.",
        ),
    ]
    return Outcome.from_parts(parts, f"task states: {run.state_summary()}")


@check(
    id="behaviour_manual_trigger",
    rules=["R-manual-run"],
    points=4,
    visibility="public",
    tier="stretch",
    needs=warehouses([MANUAL_STEP]),
    teaches="05_parameterized_runs_and_backfills.ipynb#The-Airflow-3-trap:-a-manual-run-has-no-ds",
    hint="A manual run in Airflow 3 may have no logical date (ds is None). Fall back to the "
    "run's run_after: dag_run.logical_date or dag_run.run_after.",
)
def manual_trigger(ctx: Context) -> Outcome:
    """A manual run without a logical date works (it loads the month of run_after)"""
    if missing := _needs_dag(ctx):
        return missing
    run = ctx.run(MANUAL_STEP)
    if not run.states:
        return Outcome.fail(f"The run did not complete: {run.problem}.")
    problems = _compare(ctx, run, [MANUAL_MONTH])
    parts = [
        (run.succeeded, f"The run failed ({run.state_summary()})."),
        (
            not problems["raw_trips"],
            f"It should load {MANUAL_MONTH} (the month of run_after): "
            + sentence(problems["raw_trips"]),
        ),
    ]
    output = _log(ctx, run) if not run.succeeded else ""
    return Outcome.from_parts(parts, output)
