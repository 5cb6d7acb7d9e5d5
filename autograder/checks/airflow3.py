"""Airflow 3 idioms: current import paths, nothing that Airflow 3 removed."""

from __future__ import annotations

from autograder.checks.context import Context
from autograder.checks.needs import DAG_FILE
from autograder.checks.outcome import Outcome, listing
from autograder.checks.registry import check


@check(
    id="airflow3_imports",
    rules=["R-airflow3"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG_FILE],
    teaches='10_gotchas_and_pitfalls.ipynb#10.-"Airflow-2-code-still-runs"',
    hint="Import dag, task, Param, Variable and get_current_context from airflow.sdk, and "
    "operators from airflow.providers.standard.operators.* (Airflow 2 paths are deprecated).",
)
def imports(ctx: Context) -> Outcome:
    """Imports use Airflow 3 paths (airflow.sdk, airflow.providers.standard)"""
    if ctx.submission.dag_file is None:
        return Outcome.fail("dags/taxi_pipeline.py is missing.")
    findings = list(ctx.source.legacy_imports) + ctx.ruff.moved()
    warnings = []
    if ctx.snapshot is not None:
        warnings = [w for w in ctx.snapshot.warnings if "deprecat" in w.lower()]
    if findings or warnings:
        text = listing(findings)
        if warnings:
            text += (
                ("\n" if text else "")
                + "Airflow warned while importing:\n"
                + "\n".join(w.split(": ", 1)[-1][:200] for w in warnings[:5])
            )
        return Outcome.fail("The file uses Airflow 2 import paths.", text)
    return Outcome.ok(output="" if ctx.ruff.available else f"(ruff not run: {ctx.ruff.error})")


@check(
    id="airflow3_no_removed_features",
    rules=["R-airflow3"],
    points=2,
    visibility="public",
    tier="target",
    needs=[DAG_FILE],
    teaches='10_gotchas_and_pitfalls.ipynb#10.-"Airflow-2-code-still-runs"',
    hint="Airflow 3 removed schedule_interval, execution_date, next_ds/prev_ds, days_ago and "
    "provide_context: use schedule=, logical_date / data_interval_start and a fixed start_date.",
)
def no_removed_features(ctx: Context) -> Outcome:
    """No arguments, macros or helpers that Airflow 3 removed"""
    if ctx.submission.dag_file is None:
        return Outcome.fail("dags/taxi_pipeline.py is missing.")
    findings = list(ctx.source.removed_words) + ctx.ruff.removed()
    if findings:
        return Outcome.fail("The file uses things Airflow 3 removed.", listing(findings))
    return Outcome.ok()
