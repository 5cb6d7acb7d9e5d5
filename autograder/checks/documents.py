"""Documents: RUNBOOK.md, ASSIGNMENT_REPORT.md and AI_ASSIST.md are there and filled in.

Checked the way the course's own grader does (at least 400 visible characters, no TODO outside
HTML comments, so starter comments do not count), plus the sections each document must have,
each with its own hint. Only the text is read; nothing is rendered or executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from autograder.checks.context import Context
from autograder.checks.needs import document
from autograder.checks.outcome import Outcome
from autograder.checks.registry import check

MIN_VISIBLE = 400
PLACEHOLDER = re.compile(
    r"\bTODO\b|\bTBD\b|\bfill[ -]in\b|your (answer|text) here|lorem ipsum", re.I
)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Document:
    name: str
    text: str  # without HTML comments
    visible: int  # characters a reader sees (markup and whitespace runs removed)
    placeholders: list[str]

    def sections(self) -> list[tuple[str, str]]:
        """(heading, body) pairs; text before the first heading has the heading ''."""
        parts: list[tuple[str, str]] = []
        heading, body = "", []
        for line in self.text.splitlines():
            match = re.match(r"^\s{0,3}#{1,6}\s+(.*)$", line)
            if match:
                parts.append((heading, "\n".join(body)))
                heading, body = match.group(1).strip(), []
            else:
                body.append(line)
        parts.append((heading, "\n".join(body)))
        return parts

    def mentions(self, pattern: str) -> bool:
        return re.search(pattern, self.text, re.I) is not None

    def section(self, pattern: str) -> str | None:
        """The body of the first section whose heading matches `pattern`."""
        for heading, body in self.sections():
            if heading and re.search(pattern, heading, re.I):
                return body
        return None


def read_document(ctx: Context, name: str) -> Document | None:
    path = ctx.submission.document(name)
    if path is None:
        return None
    raw = ctx.submission.read_text(path.relative_to(ctx.submission.root).as_posix())
    text = HTML_COMMENT.sub("", raw)
    plain = re.sub(r"[#*_`>|\-\[\]()!]+", " ", text)
    visible = len(re.sub(r"\s+", " ", plain).strip())
    placeholders = [line.strip()[:80] for line in text.splitlines() if PLACEHOLDER.search(line)]
    return Document(name, text, visible, placeholders)


def _filled(doc: Document) -> list[tuple[bool, str]]:
    return [
        (
            doc.visible >= MIN_VISIBLE,
            f"{doc.name} has {doc.visible} visible characters; write at least {MIN_VISIBLE}.",
        ),
        (
            not doc.placeholders,
            f"{doc.name} still has placeholders (TODO / fill in): "
            + "; ".join(doc.placeholders[:3]),
        ),
    ]


def _list_items(body: str) -> int:
    items = re.findall(r"^\s*(?:[-*+]|\d+[.)])\s+\S", body, re.M)
    subheadings = re.findall(r"^\s{0,3}#{3,6}\s+\S", body, re.M)
    return max(len(items), len(subheadings))


@check(
    id="docs_runbook",
    rules=["R-runbook", "R-documents-filled"],
    points=4,
    visibility="public",
    tier="minimum",
    needs=[document("RUNBOOK.md")],
    teaches="09_practice.ipynb#Exercise-7-·-Hand-it-over",
    hint="RUNBOOK.md must let a classmate operate the DAG alone: how to trigger a run, how to "
    "backfill, where to read task logs, and the top 3 likely failures with the first response "
    "to each (a heading such as '## Top 3 failures' and a list of three).",
)
def runbook(ctx: Context) -> Outcome:
    """RUNBOOK.md is filled in and covers trigger, backfill, logs and the top 3 failures"""
    doc = read_document(ctx, "RUNBOOK.md")
    if doc is None:
        return Outcome.fail("RUNBOOK.md is missing from the top of the submission folder.")
    failures = doc.section(r"fail|error|problem|troubleshoot|incident")
    parts = _filled(doc) + [
        (doc.mentions(r"trigger"), "It does not say how to trigger a run."),
        (doc.mentions(r"backfill"), "It does not say how to run a backfill."),
        (doc.mentions(r"\blogs?\b"), "It does not say where to read the task logs."),
        (
            failures is not None and _list_items(failures) >= 3,
            "It has no section on likely failures listing at least three, each with a first "
            "response.",
        ),
    ]
    return Outcome.from_parts(parts)


@check(
    id="docs_assignment_report",
    rules=["R-report", "R-documents-filled"],
    points=3,
    visibility="public",
    tier="target",
    needs=[document("ASSIGNMENT_REPORT.md")],
    teaches="09_practice.ipynb#What-you-hand-in",
    hint="ASSIGNMENT_REPORT.md needs: the schedule and why, the task order and why it matters, "
    "the dbt project used, and one debugging story (symptom, what the log showed, the fix).",
)
def assignment_report(ctx: Context) -> Outcome:
    """ASSIGNMENT_REPORT.md is filled in and has the required sections"""
    doc = read_document(ctx, "ASSIGNMENT_REPORT.md")
    if doc is None:
        return Outcome.fail(
            "ASSIGNMENT_REPORT.md is missing from the top of the submission folder."
        )
    parts = _filled(doc) + [
        (doc.mentions(r"schedul|@monthly|cron"), "It does not explain the schedule."),
        (
            doc.mentions(r"depend|order|>>|graph"),
            "It does not explain the task order (dependencies).",
        ),
        (doc.mentions(r"\bdbt\b"), "It does not name the dbt project used."),
        (
            doc.mentions(r"debug|symptom") and doc.mentions(r"\blogs?\b") and doc.mentions(r"fix"),
            "It has no debugging story (symptom, log evidence, fix).",
        ),
    ]
    return Outcome.from_parts(parts)


@check(
    id="docs_report_row_counts",
    rules=["R-report"],
    points=2,
    visibility="public",
    tier="target",
    needs=[document("ASSIGNMENT_REPORT.md")],
    teaches="05_parameterized_runs_and_backfills.ipynb#The-proof:-run-the-backfill-again",
    hint="For the Target tier, the report shows how the run's month comes from the logical date "
    "({{ ds }} or data_interval_start), the backfill command you ran, and row counts before and "
    "after rerunning it (they must match).",
)
def report_row_counts(ctx: Context) -> Outcome:
    """The report proves idempotency: logical date use, backfill command, row counts"""
    doc = read_document(ctx, "ASSIGNMENT_REPORT.md")
    if doc is None:
        return Outcome.fail("ASSIGNMENT_REPORT.md is missing.")
    count_lines = [
        re.sub(r"\d{4}-\d{2}(-\d{2})?", "", line)  # dates are not row counts
        for line in doc.text.splitlines()
        if "|" in line or re.search(r"\brows?\b|count", line, re.I)
    ]
    numbers = [n for line in count_lines for n in re.findall(r"\b\d[\d,_]{2,}\b", line)]
    parts = [
        (
            doc.mentions(r"\{\{\s*ds\s*\}\}|logical[_ ]date|data_interval"),
            "It does not show how the month comes from the logical date.",
        ),
        (
            doc.mentions(r"backfill") and doc.mentions(r"`[^`\n]*backfill[^`\n]*`|```"),
            "It does not show the backfill command (in a code span or block).",
        ),
        (
            doc.mentions(r"before") and doc.mentions(r"after") and len(numbers) >= 2,
            "It does not give row counts before and after the rerun.",
        ),
    ]
    return Outcome.from_parts(parts)


@check(
    id="docs_ai_assist",
    rules=["R-ai-log", "R-documents-filled"],
    points=3,
    visibility="public",
    tier="target",
    needs=[document("AI_ASSIST.md")],
    teaches="09_practice.ipynb#What-you-hand-in",
    hint="AI_ASSIST.md records each time you used an AI assistant: the prompt, what it answered, "
    "and what you kept, changed or threw away, and why. If you used none, say so and why.",
)
def ai_assist(ctx: Context) -> Outcome:
    """AI_ASSIST.md records prompts, answers and what was kept or changed, and why"""
    doc = read_document(ctx, "AI_ASSIST.md")
    if doc is None:
        return Outcome.fail("AI_ASSIST.md is missing from the top of the submission folder.")
    declined = doc.mentions(r"did not use|didn't use|no ai|not used any")
    parts = [
        (
            doc.visible >= (150 if declined else MIN_VISIBLE),
            f"AI_ASSIST.md has only {doc.visible} visible characters.",
        ),
        (not doc.placeholders, "AI_ASSIST.md still has placeholders (TODO / fill in)."),
        (declined or doc.mentions(r"prompt"), "No entry shows the prompt you sent."),
        (
            declined or doc.mentions(r"answer|response|suggest|replied|output"),
            "No entry says what the assistant answered.",
        ),
        (
            declined
            or (
                doc.mentions(r"kept|keep|changed|discard|rejected|threw|adapted")
                and doc.mentions(r"because|since|why|reason")
            ),
            "No entry says what you kept, changed or discarded, and why.",
        ),
    ]
    return Outcome.from_parts(parts)
