"""The status as a rich table in the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from class_airflow.status import ClassStatus

STATE_STYLE = {"success": "green", "failed": "red", "running": "yellow", "queued": "yellow"}


def render(status: ClassStatus, console: Console) -> None:
    table = Table(title="The class Airflow", show_lines=False)
    for column in ("student", "deployed", "DAG", "held back", "last run", "rows per month"):
        table.add_column(column)
    for row in status.students:
        held = (
            f"{row.held_commit[:7]}: {escape(row.held_reasons[0])}"
            if row.held_commit and row.held_reasons
            else ""
        )
        state = row.last_run_state or ""
        months = ", ".join(f"{m}: {n}" for m, n in row.rows_per_month.items())
        table.add_row(
            escape(row.student),
            (row.deployed_commit or "")[:7],
            escape(", ".join(row.dag_ids)),
            held,
            f"[{STATE_STYLE.get(state, 'white')}]{state}[/]" if state else "",
            months,
        )
    console.print(table)
    for problem in status.problems:
        console.print(f"[yellow]note:[/] {escape(problem)}")
