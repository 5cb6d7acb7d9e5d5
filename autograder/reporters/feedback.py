"""feedback/<student>.md and .html: what the student may see.

Public checks: title, points, and for a failed one what was found, the hint and a short piece
of output (the student's own log or traceback, truncated). Hidden checks: only how many there
are, how many passed and the points, never their names, hints, output or expectations.
"""

from __future__ import annotations

import html
from pathlib import Path

from autograder.files import atomic_write_text
from autograder.options import GradingOptions
from autograder.results import CheckResult, SubmissionResult

TIER_NAMES = {"none": "none yet", "minimum": "Minimum", "target": "Target", "stretch": "Stretch"}
MAX_CHARS = 4000


def truncate(text: str, lines: int) -> str:
    """At most `lines` lines: the beginning (a summary) and the end (where logs fail)."""
    rows = text.splitlines()
    if len(rows) > lines:
        head = lines // 3
        cut = len(rows) - lines
        rows = [*rows[:head], f"[... {cut} lines cut ...]", *rows[-(lines - head) :]]
    text = "\n".join(rows)
    return (
        text
        if len(text) <= MAX_CHARS
        else text[: MAX_CHARS // 3] + "\n[...]\n" + text[-(2 * MAX_CHARS // 3) :]
    )


def hidden_summary(result: SubmissionResult) -> str:
    hidden = result.hidden()
    if not hidden:
        return ""
    passed = sum(1 for c in hidden if c.passed)
    score = sum(c.score for c in hidden)
    total = sum(c.points for c in hidden)
    noun = "check" if len(hidden) == 1 else "checks"
    return f"{len(hidden)} hidden {noun}: {passed} passed, {score:g}/{total:g} pts."


def _mark(check: CheckResult) -> str:
    if check.passed:
        return "PASS"
    return "PART" if check.score > 0 else "FAIL"


def render_markdown(result: SubmissionResult, options: GradingOptions) -> str:
    lines = [
        f"# Week 11 autograder: feedback for {result.student}",
        "",
        f"**Score: {result.score:g} / {result.max_score:g}**  ·  Tier reached: "
        f"**{TIER_NAMES.get(result.tier, result.tier)}**",
        "",
    ]
    if result.error:
        lines += [f"> Your submission could not be graded: {result.error}", ""]
    for warning in result.warnings:
        lines.append(f"> Note: {warning}")
    if result.warnings:
        lines.append("")
    lines += ["| | check | points |", "|---|---|---|"]
    for check in result.public():
        lines.append(f"| {_mark(check)} | {check.title} | {check.score:g} / {check.points:g} |")
    lines.append("")
    if summary := hidden_summary(result):
        lines += [summary, ""]
    failed = [c for c in result.public() if not c.passed]
    if failed:
        lines += ["## What to fix", ""]
    for check in failed:
        lines += [f"### {check.title} ({check.score:g} / {check.points:g})", ""]
        if check.message:
            lines += [check.message, ""]
        lines += [f"**Hint:** {check.hint}", ""]
        if check.output:
            lines += ["```text", truncate(check.output, options.output_lines), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_html(result: SubmissionResult, options: GradingOptions) -> str:
    e = html.escape
    colour = {"PASS": "#2e7d32", "PART": "#ef6c00", "FAIL": "#c62828"}
    rows = "".join(
        f"<tr><td style='color:{colour[_mark(c)]};font-weight:bold'>{_mark(c)}</td>"
        f"<td>{e(c.title)}</td><td>{c.score:g} / {c.points:g}</td></tr>"
        for c in result.public()
    )
    details = []
    for check in (c for c in result.public() if not c.passed):
        block = f"<h3>{e(check.title)} ({check.score:g} / {check.points:g})</h3>"
        if check.message:
            block += f"<p>{e(check.message)}</p>"
        block += f"<p><b>Hint:</b> {e(check.hint)}</p>"
        if check.output:
            block += f"<pre>{e(truncate(check.output, options.output_lines))}</pre>"
        details.append(block)
    notes = "".join(f"<p class='note'>Note: {e(w)}</p>" for w in result.warnings)
    if result.error:
        notes = (
            f"<p class='note'>Your submission could not be graded: {e(result.error)}</p>" + notes
        )
    hidden = hidden_summary(result)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback for {e(result.student)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: .25rem .75rem; border-bottom: 1px solid #ddd; }}
pre {{ background: #f5f5f5; padding: .75rem; overflow-x: auto; font-size: .85rem; }}
.note {{ background: #fff8e1; padding: .5rem; }}
</style></head><body>
<h1>Week 11 autograder: feedback for {e(result.student)}</h1>
<p><b>Score: {result.score:g} / {result.max_score:g}</b> &middot; Tier reached:
<b>{e(TIER_NAMES.get(result.tier, result.tier))}</b></p>
{notes}
<table><tr><th></th><th>check</th><th>points</th></tr>{rows}</table>
{f"<p>{e(hidden)}</p>" if hidden else ""}
{"<h2>What to fix</h2>" if details else ""}{"".join(details)}
</body></html>
"""


def write_feedback(out_dir: Path, result: SubmissionResult, options: GradingOptions) -> None:
    folder = out_dir / "feedback"
    atomic_write_text(folder / f"{result.student}.md", render_markdown(result, options))
    atomic_write_text(folder / f"{result.student}.html", render_html(result, options))
