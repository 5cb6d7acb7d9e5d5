"""The assignment's tiers as sets of checks. A student reaches a tier when every check of it and
of the tiers below it passes.

Minimum  the DAG imports, has the three tasks in order, runs one month end to end; RUNBOOK.md.
Target   + the schedule and DAG settings the course asks for, Airflow 3 idioms, the idempotent
           7-run backfill (in order, in reverse, with neighbouring-month rows, by logical date),
           and the report with row counts and the AI log.
Stretch  + notify on failure, retries proven against a flaky source, failures stop dbt, dbt
           tests stop bad data, and a manual run without a logical date.
"""

from __future__ import annotations

TIERS: dict[str, tuple[str, ...]] = {
    "minimum": (
        "integrity_imports",
        "integrity_single_dag",
        "integrity_no_cycles",
        "integrity_required_tasks",
        "integrity_task_order",
        "behaviour_one_month",
        "docs_runbook",
    ),
    "target": (
        "integrity_schedule_monthly",
        "integrity_start_date",
        "integrity_catchup_and_concurrency",
        "integrity_retries",
        "integrity_light_import",
        "integrity_no_wall_clock",
        "integrity_no_stubs",
        "airflow3_imports",
        "airflow3_no_removed_features",
        "behaviour_rerun_idempotent",
        "behaviour_backfill",
        "behaviour_logical_date",
        "behaviour_backfill_any_order",
        "behaviour_neighbouring_month_rows",
        "docs_assignment_report",
        "docs_report_row_counts",
        "docs_ai_assist",
    ),
    "stretch": (
        "integrity_notify_task",
        "behaviour_notify_on_failure",
        "behaviour_retries_transient",
        "behaviour_failure_gates_dbt",
        "behaviour_dbt_test_gates_bad_data",
        "behaviour_manual_trigger",
    ),
}
ORDER = ("minimum", "target", "stretch")


def tier_of(check_id: str) -> str:
    for tier, ids in TIERS.items():
        if check_id in ids:
            return tier
    return "target"


def achieved_tier(passed: set[str], graded: set[str]) -> str:
    """The highest tier whose checks (and those of lower tiers) all passed.

    Checks that were not graded (hidden ones in `autograder check`) do not count against it.
    """
    reached = "none"
    for tier in ORDER:
        needed = {c for c in TIERS[tier] if c in graded}
        if needed - passed:
            break
        reached = tier
    return reached
