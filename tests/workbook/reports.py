"""RunReports made by hand, for tests of what reads them (no DAG runs)."""

from __future__ import annotations

from datetime import UTC, datetime

from workbook.runner import RunReport, TaskReport


def report(
    dag_id: str = "taxi_pipeline",
    month: str | None = "2024-01",
    states: dict[str, str] | None = None,
    output: str = "",
    logs: dict[str, str] | None = None,
) -> RunReport:
    """A run of `dag_id` for the first of `month`; every task succeeded unless `states` says."""
    states = states or {"ingest_taxi_month": "success", "dbt_run": "success"}
    when = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC) if month else None
    tasks = {
        task_id: TaskReport(task_id, state, 1, 0.5, (logs or {}).get(task_id, ""))
        for task_id, state in states.items()
    }
    return RunReport(dag_id, f"manual__{month}", when, when, "success", tasks, 1.25, output)
