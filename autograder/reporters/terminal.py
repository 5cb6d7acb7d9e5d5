"""The terminal views (rich): `autograder check`'s report and `autograder list-checks`' table.

Everything from the submission is escaped, so a title or log line with [brackets] prints as
written instead of being read as rich markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder import workbook_links
from autograder.checks import Check
from autograder.options import GradingOptions
from autograder.reporters.feedback import truncate
from autograder.results import SubmissionResult
from autograder.sandbox.isolation import describe


def print_check_report(
    result: SubmissionResult, options: GradingOptions, out: Console, err: Console
) -> None:
    """A student's own check: a table of every check run, then what to fix, then the tier.

    Notes about the submission go to `err`, the report itself to `out`.
    """
    table = Table(title=f"{result.student}: {result.score:g} / {result.max_score:g} (public)")
    table.add_column("")
    table.add_column("check")
    table.add_column("points", justify="right")
    for item in result.checks:
        mark = "[green]PASS[/]" if item.passed else "[red]FAIL[/]"
        table.add_row(mark, escape(item.title), f"{item.score:g}/{item.points:g}")
    out.print(table)
    for item in (c for c in result.checks if not c.passed):
        out.print(f"\n[bold]{escape(item.title)}[/] ({item.check_id})")
        if item.message:
            out.print(escape(item.message))
        if item.blocked_by:
            out.print(f"[yellow]Fix first:[/] {escape(item.blocked_by)} (this check could not run)")
        out.print(f"[cyan]Hint:[/] {escape(item.hint)}")
        if item.teaches:
            section = workbook_links.parse(item.teaches)
            out.print(f"[cyan]Learn it:[/] {escape(section.label)}: {escape(section.href)}")
        if item.output:
            out.print(escape(truncate(item.output, options.output_lines)), highlight=False)
    for warning in result.warnings:
        err.print(f"[yellow]note:[/] {escape(warning)}")
    out.print(
        f"\nTier reached on the public checks: {result.tier} (your teacher's hidden checks "
        "can still lower it)"
    )
    out.print(f"Sandbox: {describe(result.isolation)}", highlight=False)


def print_checks(checks: Iterable[Check], out: Console) -> None:
    """Every check: id, points, visibility, tier, what it checks and the contract rules."""
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("points", "visibility", "tier", "what it checks", "rules (CONTRACT.md)"):
        table.add_column(column)
    for item in checks:
        rules = ", ".join(item.rules)
        table.add_row(item.id, f"{item.points:g}", item.visibility, item.tier, item.title, rules)
    # Wide enough that ids never wrap (they are what teachers copy into scripts).
    Console(width=max(out.width, 140), file=out.file).print(table)
