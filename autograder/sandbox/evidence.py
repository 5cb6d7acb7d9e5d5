"""The evidence types: what comes back from a sandbox, validated before any check looks at it.

The harness runs in the same process as the student's code, so everything it reports is
untrusted input: pydantic models with limits, and anything that does not validate becomes a
"the sandbox reported nonsense" result instead of an exception. Task states reported by the
harness are cross-checked against the sandbox's Airflow metadata DB, which the parent reads
itself (`probe.py`). `SandboxEvidence` holds it all for one submission; the checks read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from autograder.scenarios import Step

ShortText = Annotated[str, StringConstraints(max_length=20_000)]
Name = Annotated[str, StringConstraints(max_length=250)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TaskFacts(_Model):
    task_id: Name
    operator: Name = ""
    upstream: list[Name] = Field(default_factory=list, max_length=500)
    downstream: list[Name] = Field(default_factory=list, max_length=500)
    trigger_rule: Name = "all_success"
    retries: int = 0
    retry_delay_seconds: float | None = None


class DagFacts(_Model):
    dag_id: Name
    file: Name
    schedule: Name | None = None
    timetable: Name = ""
    timetable_expression: Name | None = None
    start_date: Name | None = None
    start_tz: Name | None = None
    catchup: bool | None = None
    max_active_runs: int | None = None
    tags: list[Name] = Field(default_factory=list, max_length=200)
    tasks: list[TaskFacts] = Field(default_factory=list, max_length=500)

    def task(self, task_id: str) -> TaskFacts | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    @property
    def task_ids(self) -> list[str]:
        return [t.task_id for t in self.tasks]

    def ancestors(self, task_id: str) -> set[str]:
        by_id = {t.task_id: t for t in self.tasks}
        seen: set[str] = set()
        todo = list(by_id[task_id].upstream) if task_id in by_id else []
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(by_id[current].upstream if current in by_id else [])
        return seen


class DagSnapshot(_Model):
    """The DAG as Airflow parsed it inside the sandbox (the `inspect` step)."""

    airflow_version: Name = ""
    airflow_import_seconds: float = 0.0
    parse_seconds: dict[Name, float] = Field(default_factory=dict, max_length=500)
    dags_by_file: dict[Name, list[Name]] = Field(default_factory=dict, max_length=500)
    import_errors: dict[Name, ShortText] = Field(default_factory=dict, max_length=500)
    warnings: list[ShortText] = Field(default_factory=list, max_length=200)
    fatal: ShortText | None = None
    dag: DagFacts | None = None


class TaskState(_Model):
    task_id: Name
    state: Name | None = None
    try_number: int = 0


class RunReport(_Model):
    """What the harness says happened in one `dag.test()` call (cross-checked later)."""

    run_id: Name | None = None
    logical_date: Name | None = None
    state: Name | None = None
    tasks: list[TaskState] = Field(default_factory=list, max_length=500)
    error: ShortText | None = None


class OutputCapture(_Model):
    """Console output of the sandbox during one step, capped by the supervisor."""

    bytes: int = 0
    head: Annotated[str, StringConstraints(max_length=70_000)] = ""
    tail: Annotated[str, StringConstraints(max_length=270_000)] = ""


class SourceRequest(_Model):
    month: Name
    attempt: int
    status: int


ReplyStatus = Literal["ok", "timeout", "died", "protocol_error", "not_run"]


class StepReply(_Model):
    """The supervisor's answer to one command (trusted: our code, outside the student's reach)."""

    status: ReplyStatus
    detail: ShortText = ""
    harness: dict | None = None
    output: OutputCapture = OutputCapture()
    source_requests: list[SourceRequest] = Field(default_factory=list, max_length=10_000)


class WarehouseTable(_Model):
    rows: int
    checksum: Name
    columns: list[Name] = Field(default_factory=list)
    months: dict[Name, tuple[int, Name]] | None = None


class WarehouseFacts(_Model):
    """Read by the parent (probe) from a copy of the sandbox's DuckDB file after a step."""

    exists: bool = False
    error: ShortText | None = None
    schema_name: Name = ""
    tables: dict[Name, WarehouseTable] = Field(default_factory=dict)
    other_schemas: dict[Name, list[Name]] = Field(default_factory=dict)
    stray_rows: dict[Name, int] | None = None


class MetadataFacts(_Model):
    """Task states read by the parent from a copy of the sandbox's Airflow metadata DB."""

    found: bool = False
    error: ShortText | None = None
    logical_date: Name | None = None
    tasks: dict[Name, TaskState] = Field(default_factory=dict)


class ProbeResult(_Model):
    warehouse: WarehouseFacts = WarehouseFacts()
    metadata: MetadataFacts = MetadataFacts()


# ---------------------------------------------------------------- one submission's evidence


@dataclass
class StepEvidence:
    step: Step
    reply: StepReply
    run: RunReport | None = None
    run_error: str | None = None
    probe: ProbeResult = field(default_factory=ProbeResult)
    notifications: list[dict] = field(default_factory=list)
    notifications_error: str | None = None
    copied: dict[str, str | None] = field(default_factory=dict)
    seconds: float = 0.0  # timing only, never graded
    # False when no check reads this step's warehouse: it was neither copied out nor read.
    warehouse_read: bool = True


@dataclass
class SandboxEvidence:
    """Everything the behaviour and integrity checks need from the sandbox."""

    isolation: str
    warnings: list[str] = field(default_factory=list)
    startup: StepReply | None = None
    snapshot: DagSnapshot | None = None
    snapshot_error: str | None = None
    steps: dict[str, StepEvidence] = field(default_factory=dict)
    failure: str | None = None
    seconds: float = 0.0
    # "postgres" for the course-template profile: dbt built the models there (issue #13)
    warehouse_engine: str = "duckdb"
    profile: str = "plain"  # "template": hints in the course template's words
    # Where the seconds went: start, inspect, scenario:<name>, probe (bench/grade_class.py).
    phases: dict[str, float] = field(default_factory=dict)


def snapshot_of(reply: StepReply) -> tuple[DagSnapshot | None, str | None]:
    """The DAG snapshot in an `inspect` reply, or why there is none."""
    if reply.status != "ok" or not reply.harness:
        return None, reply.detail or reply.status
    try:
        return DagSnapshot.model_validate(reply.harness.get("snapshot") or {}), None
    except ValidationError as err:
        return None, f"the sandbox reported an unreadable DAG snapshot: {str(err)[:300]}"


def run_report_of(reply: StepReply) -> tuple[RunReport | None, str | None]:
    """The run report in a `run` reply, or why there is none."""
    if reply.status != "ok" or not reply.harness:
        return None, reply.detail or reply.status
    try:
        return RunReport.model_validate(reply.harness.get("run") or {}), None
    except ValidationError as err:
        return None, f"the sandbox reported an unreadable run: {str(err)[:300]}"
