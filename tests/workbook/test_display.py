"""What a notebook shows: plain text, Markdown, tables (HTML escaped) and a list of runs."""

from __future__ import annotations

from datetime import datetime

from tests.workbook.reports import report
from workbook.display import Markdown, RunList, Table, Text, cell_text


class Printer:
    def __init__(self) -> None:
        self.printed = ""

    def text(self, value: str) -> None:
        self.printed += value


def shown(value: object) -> str:
    printer = Printer()
    value._repr_pretty_(printer, False)  # type: ignore[attr-defined]
    return printer.printed


def test_text_and_markdown_are_strings_that_jupyter_shows_as_such() -> None:
    assert shown(Text("a\nb")) == "a\nb"
    assert Markdown("**x**")._repr_markdown_() == "**x**"
    assert Text("x") == "x"


def test_cells_show_none_times_and_floats_briefly() -> None:
    assert cell_text(None) == "—"
    assert cell_text(datetime(2024, 3, 1, 6, 0, 59)) == "2024-03-01 06:00"
    assert cell_text(2 / 3) == "0.67"
    assert cell_text(7) == "7"


def test_a_table_lines_up_its_columns_as_text() -> None:
    table = Table([{"month": "2024-01", "rows": 10}, {"month": "2024-02", "late": None}], "t")
    assert str(table).splitlines() == [
        "t",
        "month    rows  late",
        "2024-01  10    —   ",
        "2024-02  —     —   ",
    ]
    assert shown(table) == str(table)


def test_a_table_escapes_html() -> None:
    html = Table([{"<b>": "<script>alert(1)</script>"}], title="a & b")._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "<th>&lt;b&gt;</th>" in html and "a &amp; b" in html


def test_a_run_list_is_one_line_per_run() -> None:
    runs = RunList(
        [
            report(month="2024-01"),
            report(month="2024-02", states={"ingest_taxi_month": "failed", "notify": "success"}),
        ]
    )
    assert len(runs) == 2
    assert runs.table() == [
        {"logical date": "2024-01-01", "result": "success", "seconds": 1.2},
        {"logical date": "2024-02-01", "result": "FAILED: ingest_taxi_month", "seconds": 1.2},
    ]
    assert "FAILED: ingest_taxi_month" in runs._repr_html_()
