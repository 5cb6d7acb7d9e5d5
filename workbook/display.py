"""Values a notebook shows nicely: plain text, Markdown, small tables, a list of runs.

Each one is an ordinary `str` or `list` too, so code (and tests) can use it as data.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbook.runner import RunReport


class Text(str):
    """A string that Jupyter shows as plain text (no quotes, real line breaks)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


class Markdown(str):
    """A string that Jupyter renders as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


class Table(list):
    """Rows of dicts that Jupyter shows as a small HTML table (and as text elsewhere)."""

    def __init__(self, rows: Iterable[dict[str, Any]], title: str = "") -> None:
        super().__init__(rows)
        self.title = title

    def _columns(self) -> list[str]:
        columns: list[str] = []
        for row in self:
            columns += [key for key in row if key not in columns]
        return columns

    def _repr_html_(self) -> str:
        columns = self._columns()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(cell_text(row.get(c)))}</td>" for c in columns)
            + "</tr>"
            for row in self
        )
        title = f"<b>{html.escape(self.title)}</b>" if self.title else ""
        return f"{title}<table><tr>{head}</tr>{body}</table>"

    def __str__(self) -> str:
        columns = self._columns()
        widths = {c: max([len(c)] + [len(cell_text(row.get(c))) for row in self]) for c in columns}
        lines = [self.title] if self.title else []
        lines.append("  ".join(c.ljust(widths[c]) for c in columns))
        for row in self:
            lines.append("  ".join(cell_text(row.get(c)).ljust(widths[c]) for c in columns))
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def cell_text(value: Any) -> str:
    """How a table shows one value: a dash for None, minutes for times, two decimals."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


class RunList(list):
    """The reports of several runs (a backfill); shown as one line per run."""

    def __init__(self, reports: Iterable[RunReport] = ()) -> None:
        super().__init__(reports)

    def table(self) -> Table:
        return Table(
            [
                {
                    "logical date": r.logical_date.strftime("%Y-%m-%d") if r.logical_date else None,
                    "result": "success" if r.succeeded else "FAILED: " + ", ".join(r.failed_tasks),
                    "seconds": round(r.seconds, 1),
                }
                for r in self
            ]
        )

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self.table()))
