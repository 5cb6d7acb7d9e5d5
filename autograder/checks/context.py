"""What a check reads: the submission, static facts about its code, and the sandbox's evidence.

Checks run in the grading process, never in the sandbox. `Context.run(step_id)` gives one
step's run with task states taken from the metadata DB the parent read itself, not from what
the harness reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.answer_key import AnswerKey
from autograder.checks.logs import clean_log, failure_excerpt, task_log
from autograder.options import GradingOptions
from autograder.ruff import RuffReport
from autograder.sandbox.evidence import (
    DagFacts,
    DagSnapshot,
    SandboxEvidence,
    StepEvidence,
    WarehouseFacts,
    WarehouseTable,
)
from autograder.scenarios import PUBLIC, HiddenParameters
from autograder.source_scan import SourceFacts
from autograder.submission import DAG_ID, Submission

REQUIRED_TASKS = ("ingest_taxi_month", "dbt_run", "dbt_test")
DAG_FILE_NAME = "taxi_pipeline.py"  # as Airflow names it, relative to the dags folder
# The checks that say why there is no DAG to grade (the others then cannot run).
IMPORTS = "integrity_imports"
SINGLE_DAG = "integrity_single_dag"


class UnreadWarehouse(RuntimeError):
    """A check read a warehouse the grader did not read, because no check declares it."""

    def __init__(self, step_id: str) -> None:
        super().__init__(
            f"the warehouse of step {step_id!r} was not read: the check must declare "
            f"needs.warehouse({step_id!r})"
        )


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
            if self.states:
                return ""
            if self.evidence.run and self.evidence.run.error:
                first = clean_log(self.evidence.run.error).splitlines()[0][:300]
                return f"the run crashed: {first}"
            return "Airflow's metadata database has no record of its tasks"
        return {
            "timeout": f"the run did not finish in time ({reply.detail})",
            "died": f"the run crashed the sandbox ({reply.detail})",
            "protocol_error": "the run's report could not be read",
            "not_run": reply.detail or "the run was not made",
        }.get(reply.status, clean_log(reply.detail))

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
    def warehouse(self) -> WarehouseFacts | None:
        if self.evidence is None:
            return None
        if not self.evidence.warehouse_read:
            raise UnreadWarehouse(self.evidence.step.id)
        return self.evidence.probe.warehouse

    def table(self, name: str) -> WarehouseTable | None:
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
        console = clean_log(output.head + ("\n" if output.tail else "") + output.tail)
        return task_log(console, task_id, lines)

    def failing_log(self, lines: int) -> str:
        """The telling lines of the first failed task's log: errors first, then the end,
        with traceback frames from Airflow's and dbt's own code left out."""
        for task_id, state in self.states.items():
            if state == "failed":
                excerpt = failure_excerpt(self.task_log(task_id, 2000), lines)
                return f"--- log of {task_id} ---\n{excerpt}"
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
    params: HiddenParameters = PUBLIC  # the hidden scenarios' months and faults

    @property
    def snapshot(self) -> DagSnapshot | None:
        return self.evidence.snapshot

    @property
    def dag(self) -> DagFacts | None:
        return self.snapshot.dag if self.snapshot else None

    def run(self, step_id: str) -> Run:
        return Run(self.evidence.steps.get(step_id))

    def content_compared(self, table: str) -> bool:
        """Whether `table`'s content is compared with the answer key, not only its rows. The
        key's models are built by dbt-duckdb; in the template profile dbt builds them in
        PostgreSQL (and maybe from the student's own project), where types and rounding differ,
        so only raw_trips, which the DAG itself writes, must match value for value."""
        return table == "raw_trips" or self.evidence.warehouse_engine == "duckdb"

    def dag_blocker(self) -> Blocker | None:
        """Why there is no DAG to grade, and which check reports it (None if there is one)."""
        if self.dag is not None:
            return None
        if self.submission.dag_file is None:
            return Blocker(IMPORTS, "There is no dags/taxi_pipeline.py in the submission.")
        if self.source.syntax_error:
            return Blocker(
                IMPORTS, f"The DAG file has a syntax error ({self.source.syntax_error})."
            )
        if self.evidence.failure:
            return Blocker(IMPORTS, f"The DAG could not be loaded: {self.evidence.failure}.")
        snapshot = self.snapshot
        if snapshot is None:
            why = self.evidence.snapshot_error or "no snapshot"
            return Blocker(IMPORTS, f"The DAG could not be loaded: {why}.")
        if snapshot.fatal:
            return Blocker(IMPORTS, "Importing the DAG file stopped the interpreter.")
        if any("AirflowDagCycleException" in e for e in snapshot.import_errors.values()):
            return Blocker("integrity_no_cycles", "The DAG did not load: its tasks form a cycle.")
        if snapshot.import_errors:
            return Blocker(IMPORTS, "The DAG file has import errors.")
        in_file = snapshot.dags_by_file.get(DAG_FILE_NAME, [])
        if not in_file:
            return Blocker(SINGLE_DAG, "dags/taxi_pipeline.py defines no DAG.")
        return Blocker(
            SINGLE_DAG,
            f"dags/taxi_pipeline.py defines {len(in_file)} DAGs ({', '.join(in_file)}) and none "
            f"of them is '{DAG_ID}', so the grader cannot tell which one to grade.",
        )

    def no_dag_reason(self) -> str:
        """Why there is no loaded DAG, for checks that need one, and what to fix first."""
        blocker = self.dag_blocker()
        return blocker.sentence() if blocker else ""


@dataclass(frozen=True)
class Blocker:
    """Something a check needs is missing: why, and the check whose feedback says how to fix it."""

    check_id: str
    reason: str

    def sentence(self) -> str:
        return f"{self.reason} This check could not run: fix {self.check_id} first."
