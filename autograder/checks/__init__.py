"""The check registry. Each check is a small function registered with `@check(...)`.

A check reads the `Context` (the submission's files, static facts, and the evidence the sandbox
brought back) and returns an `Outcome`: the fraction of its points earned, a message saying what
was found, and optional output (a log tail, a table). Checks run in the grading process, never
in the sandbox. Their ids are gradebook columns: never rename one after release.
"""

from __future__ import annotations

import re
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from autograder.answer_key import AnswerKey
from autograder.options import GradingOptions
from autograder.ruff import RuffReport
from autograder.sandbox import SandboxEvidence, StepEvidence
from autograder.snapshot import DagFacts, DagSnapshot
from autograder.source_scan import SourceFacts
from autograder.submission import Submission

CATEGORIES = {
    "integrity": "DAG integrity",
    "airflow3": "Airflow 3 idioms",
    "docs": "Documents",
    "behaviour": "Behaviour (the DAG really runs)",
}
REQUIRED_TASKS = ("ingest_taxi_month", "dbt_run", "dbt_test")
_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
_SANDBOX_PATH = re.compile(re.escape(tempfile.gettempdir()) + r"/autograder-\w+/s-\w+")
_LOG_STAMP = re.compile(r"^(\x1b\[\d*m)*(\d{4}-\d\d-\d\dT[\d:.]+Z |\d\d:\d\d:\d\d  )")
# Airflow's own bookkeeping lines in a task log (not what went wrong).
_PLUMBING = re.compile(
    r"^\[(info|debug)\s*\].*\[(airflow\.|task\]|py\.warnings)|::(end)?group::|\[py\.warnings\]"
)
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+')
_TELLING = re.compile(r"\bFAIL\b|\bERROR\b|Failure in|Error:|Exception:|answered \d{3}|Traceback")


@dataclass(frozen=True)
class Outcome:
    fraction: float
    message: str = ""
    output: str = ""

    @classmethod
    def ok(cls, message: str = "", output: str = "") -> Outcome:
        return cls(1.0, message, output)

    @classmethod
    def fail(cls, message: str, output: str = "") -> Outcome:
        return cls(0.0, message, output)

    @classmethod
    def partial(cls, fraction: float, message: str, output: str = "") -> Outcome:
        return cls(max(0.0, min(1.0, fraction)), message, output)

    @classmethod
    def from_parts(cls, parts: list[tuple[bool, str]], output: str = "") -> Outcome:
        """Equal-weight parts: (passed, what is wrong if it did not pass)."""
        if not parts:
            return cls.ok(output=output)
        failed = [why for passed, why in parts if not passed]
        fraction = (len(parts) - len(failed)) / len(parts)
        return cls(fraction, " ".join(dict.fromkeys(w for w in failed if w)), output)


@dataclass(frozen=True)
class Check:
    order: int
    id: str
    points: float
    visibility: Literal["public", "hidden"]
    hint: str
    title: str
    func: Callable[[Context], Outcome]

    @property
    def category(self) -> str:
        return self.id.split("_", 1)[0]


REGISTRY: dict[str, Check] = {}


def clean_log(text: str) -> str:
    """Logs as a student should read them: no timestamps, and the sandbox's random folder
    shown as <sandbox> (so feedback does not change when nothing else did)."""
    text = _SANDBOX_PATH.sub("<sandbox>", text)
    return "\n".join(_LOG_STAMP.sub("", line) for line in text.splitlines())


def sentence(text: str) -> str:
    """`text` as a sentence: capitalised (unless it starts with an identifier) and ended."""
    text = text.strip()
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if "_" not in first and "." not in first and not first.startswith("`"):
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def without_library_frames(lines: list[str]) -> list[str]:
    """Drop traceback frames (and their source lines) that are not the student's code."""
    kept, in_library_frame = [], False
    for line in lines:
        frame = _FRAME.match(line)
        if frame:
            path = frame.group(1)
            in_library_frame = any(x in path for x in ("site-packages", "/lib/python", "<frozen"))
        elif not line.startswith("    "):
            in_library_frame = False
        if not in_library_frame:
            kept.append(line)
    return kept


def check(*, id: str, points: float, visibility: Literal["public", "hidden"], hint: str):  # noqa: A002
    """Register a check. Its docstring's first line is the title students and teachers see."""
    if not re.fullmatch(r"(integrity|airflow3|docs|behaviour)_[a-z0-9_]+", id):
        raise ValueError(f"check id {id!r} needs a category prefix and snake_case")
    if id in REGISTRY:
        raise ValueError(f"check id {id!r} is registered twice")

    def register(func: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        title = (func.__doc__ or id).strip().splitlines()[0]
        REGISTRY[id] = Check(len(REGISTRY), id, points, visibility, hint, title, func)
        return func

    return register


# ---------------------------------------------------------------- context


@dataclass(frozen=True)
class Run:
    """One step's evidence, with task states taken from the metadata DB the parent read."""

    evidence: StepEvidence | None

    @property
    def ran(self) -> bool:
        return self.evidence is not None and self.evidence.reply.status == "ok"

    @property
    def problem(self) -> str:
        """Why there is no usable run, in words (empty if there is one)."""
        if self.evidence is None:
            return "this run was not made (the DAG did not load)"
        reply = self.evidence.reply
        if reply.status == "ok":
            if self.evidence.run and self.evidence.run.error and not self.states:
                first = clean_log(self.evidence.run.error).splitlines()[0][:300]
                return f"the run crashed: {first}"
            return ""
        return {
            "timeout": f"the run did not finish in time ({reply.detail})",
            "died": f"the run crashed the sandbox ({reply.detail})",
            "protocol_error": "the run's report could not be read",
            "not_run": reply.detail or "the run was not made",
        }.get(reply.status, reply.detail)

    @property
    def states(self) -> dict[str, str | None]:
        if self.evidence is None:
            return {}
        meta = self.evidence.probe.metadata
        if meta.found:
            return {t: s.state for t, s in meta.tasks.items()}
        return {}

    def tries(self, task_id: str) -> int:
        if self.evidence is None:
            return 0
        task = self.evidence.probe.metadata.tasks.get(task_id)
        return task.try_number if task else 0

    @property
    def consistent(self) -> bool:
        """The harness's own report agrees with the metadata DB."""
        if self.evidence is None or self.evidence.run is None:
            return False
        reported = {t.task_id: t.state for t in self.evidence.run.tasks}
        return reported == self.states

    @property
    def succeeded(self) -> bool:
        states = self.states
        if not states or any(states.get(t) != "success" for t in REQUIRED_TASKS):
            return False
        return all(s in ("success", "skipped") for s in states.values())

    def state_summary(self) -> str:
        states = self.states
        if not states:
            return self.problem or "no task ran"
        return ", ".join(f"{t}={s}" for t, s in sorted(states.items()))

    @property
    def warehouse(self):
        return self.evidence.probe.warehouse if self.evidence else None

    def table(self, name: str):
        warehouse = self.warehouse
        return warehouse.tables.get(name) if warehouse else None

    @property
    def requested_months(self) -> list[str]:
        if self.evidence is None:
            return []
        return [r.month for r in self.evidence.reply.source_requests]

    @property
    def notifications(self) -> list[dict]:
        return self.evidence.notifications if self.evidence else []

    def task_log(self, task_id: str, lines: int) -> str:
        if self.evidence is None:
            return ""
        output = self.evidence.reply.output
        text = clean_log(output.head + ("\n" if output.tail else "") + output.tail)
        collected: list[str] = []
        current = None
        for line in text.splitlines():
            if start := _TASK_START.search(line):
                current = start.group(1)
                if current == task_id:
                    collected = []
            if current == task_id:
                collected.append(line)
            if _TASK_END.search(line):
                current = None
        return "\n".join(collected[-lines:])

    def failing_log(self, lines: int) -> str:
        """The telling lines of the first failed task's log: errors first, then the end,
        with traceback frames from Airflow's and dbt's own code left out."""
        for task_id, state in self.states.items():
            if state != "failed":
                continue
            log = without_library_frames(self.task_log(task_id, 2000).splitlines())
            log = [line for line in log if not _PLUMBING.search(line)]
            telling = list(dict.fromkeys(line for line in log if _TELLING.search(line)))
            telling = telling[: lines // 2]
            tail = [line for line in log[-(lines - len(telling)) :] if line not in telling]
            return f"--- log of {task_id} ---\n" + "\n".join(telling + ["[...]"] + tail)
        return ""


@dataclass(frozen=True)
class Context:
    submission: Submission
    source: SourceFacts
    ruff: RuffReport
    evidence: SandboxEvidence
    key: AnswerKey
    options: GradingOptions
    import_output_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def snapshot(self) -> DagSnapshot | None:
        return self.evidence.snapshot

    @property
    def dag(self) -> DagFacts | None:
        return self.snapshot.dag if self.snapshot else None

    def run(self, step_id: str) -> Run:
        return Run(self.evidence.steps.get(step_id))

    def no_dag_reason(self) -> str:
        """Why there is no loaded DAG, for checks that need one."""
        if self.submission.dag_file is None:
            return "There is no dags/taxi_pipeline.py in the submission."
        if self.source.syntax_error:
            return f"The DAG file has a syntax error ({self.source.syntax_error})."
        if self.evidence.failure:
            return f"The DAG could not be loaded: {self.evidence.failure}."
        if self.snapshot is None:
            return f"The DAG could not be loaded: {self.evidence.snapshot_error or 'no snapshot'}."
        if self.snapshot.fatal:
            return "Importing the DAG file stopped the interpreter (see integrity_imports)."
        if self.snapshot.import_errors:
            return "The DAG file has import errors (see integrity_imports)."
        return "No DAG with dag_id 'taxi_pipeline' was found (see integrity_single_dag)."


# ---------------------------------------------------------------- running


def run_checks(ctx: Context, public_only: bool = False) -> list:
    """Every registered check (public ones only if asked), as CheckResults, in registry order."""
    from autograder.results import CheckResult
    from autograder.tiers import tier_of

    results = []
    for item in all_checks().values():
        if public_only and item.visibility == "hidden":
            continue
        errored = False
        try:
            outcome = item.func(ctx)
        except Exception:  # noqa: BLE001 - a bug in one check must not stop the others
            errored = True
            ctx.notes.append(f"{item.id}: grader error\n{traceback.format_exc()}")
            outcome = Outcome.fail(
                "The grader could not evaluate this check (an error in the grader, not in your "
                "work). Your teacher has been told."
            )
        results.append(
            CheckResult(
                check_id=item.id,
                title=item.title,
                category=item.category,
                visibility=item.visibility,
                tier=tier_of(item.id),
                points=item.points,
                score=round(item.points * outcome.fraction, 2),
                hint=item.hint,
                message=outcome.message.strip(),
                output=outcome.output.rstrip(),
                errored=errored,
            )
        )
    return results


def all_checks() -> dict[str, Check]:
    """Every check, by category (integrity, airflow3, docs, behaviour), then as defined."""
    _load()
    order = list(CATEGORIES)
    ranked = sorted(REGISTRY.values(), key=lambda c: (order.index(c.category), c.order))
    return {c.id: c for c in ranked}


def listing(findings, limit: int = 8) -> str:
    lines = [str(f) for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more")
    return "\n".join(lines)


def _load() -> None:
    """Register the checks (the modules import this package, so they load after it)."""
    from autograder.checks import airflow3, behaviour, documents, integrity  # noqa: F401


_load()
