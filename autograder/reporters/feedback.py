"""feedback/<student>.md and .html: what the student may see.

Public checks: title, points, and for a failed one what was found, the hint, the workbook
section that teaches it, the check to fix first if it could not run, and a short piece of
output (the student's own log or traceback, truncated). Hidden checks: only how many there
are, how many passed and the points, never their names, hints, output or expectations.

What the student may see is decided once, in `feedback_view`; the Markdown and the HTML page
(`templates/feedback.html.j2`) are two layouts of that view.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder import workbook_links
from autograder.files import atomic_write_text
from autograder.options import GradingOptions
from autograder.reporters.html import render
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


def mark(check: CheckResult) -> str:
    if check.passed:
        return "PASS"
    return "PART" if check.score > 0 else "FAIL"


@dataclass(frozen=True)
class PublicCheck:
    mark: str  # PASS | PART | FAIL
    title: str
    score: float
    points: float


@dataclass(frozen=True)
class Lesson:
    """The workbook section that teaches a check's subject."""

    label: str
    href: str


@dataclass(frozen=True)
class Fix:
    """A failed public check, with everything the student needs to fix it."""

    title: str
    score: float
    points: float
    message: str
    hint: str
    output: str  # already truncated
    lesson: Lesson | None = None
    fix_first: str = ""  # the title of the check that stopped this one from running


def lesson_of(check: CheckResult) -> Lesson | None:
    if not check.teaches:
        return None
    section = workbook_links.parse(check.teaches)
    return Lesson(section.label, section.href)


def _fix(check: CheckResult, result: SubmissionResult, options: GradingOptions) -> Fix:
    blocker = result.check(check.blocked_by) if check.blocked_by else None
    return Fix(
        check.title,
        check.score,
        check.points,
        check.message,
        check.hint,
        truncate(check.output, options.output_lines) if check.output else "",
        lesson_of(check),
        blocker.title if blocker else "",
    )


@dataclass(frozen=True)
class FeedbackView:
    """Everything a student's feedback shows, and nothing else."""

    student: str
    score: float
    max_score: float
    tier: str  # as students read it
    error: str | None
    warnings: tuple[str, ...]
    checks: tuple[PublicCheck, ...]
    hidden: str  # the hidden checks as a count and points, or ""
    fixes: tuple[Fix, ...]


def feedback_view(result: SubmissionResult, options: GradingOptions) -> FeedbackView:
    public = result.public()
    return FeedbackView(
        student=result.student,
        score=result.score,
        max_score=result.max_score,
        tier=TIER_NAMES.get(result.tier, result.tier),
        error=result.error,
        warnings=result.warnings,
        checks=tuple(PublicCheck(mark(c), c.title, c.score, c.points) for c in public),
        hidden=hidden_summary(result),
        fixes=tuple(_fix(c, result, options) for c in public if not c.passed),
    )


def render_markdown(result: SubmissionResult, options: GradingOptions) -> str:
    view = feedback_view(result, options)
    lines = [
        f"# Week 11 autograder: feedback for {view.student}",
        "",
        f"**Score: {view.score:g} / {view.max_score:g}**  ·  Tier reached: **{view.tier}**",
        "",
    ]
    if view.error:
        lines += [f"> Your submission could not be graded: {view.error}", ""]
    for warning in view.warnings:
        lines.append(f"> Note: {warning}")
    if view.warnings:
        lines.append("")
    lines += ["| | check | points |", "|---|---|---|"]
    for check in view.checks:
        lines.append(f"| {check.mark} | {check.title} | {check.score:g} / {check.points:g} |")
    lines.append("")
    if view.hidden:
        lines += [view.hidden, ""]
    if view.fixes:
        lines += ["## What to fix", ""]
    for fix in view.fixes:
        lines += [f"### {fix.title} ({fix.score:g} / {fix.points:g})", ""]
        if fix.fix_first:
            lines += [f"**Fix first:** {fix.fix_first} (this check could not run without it)", ""]
        if fix.message:
            lines += [fix.message, ""]
        lines += [f"**Hint:** {fix.hint}", ""]
        if fix.lesson:
            lines += [f"**Learn it:** [{fix.lesson.label}]({fix.lesson.href})", ""]
        if fix.output:
            lines += ["```text", fix.output, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_html(result: SubmissionResult, options: GradingOptions) -> str:
    return render("feedback.html.j2", view=feedback_view(result, options))


def write_feedback(out_dir: Path, result: SubmissionResult, options: GradingOptions) -> None:
    folder = out_dir / "feedback"
    atomic_write_text(folder / f"{result.student}.md", render_markdown(result, options))
    atomic_write_text(folder / f"{result.student}.html", render_html(result, options))
