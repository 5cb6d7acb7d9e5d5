"""The registry: what each check declares about itself is true, and every list is derived from it.

Declared needs are checked against behaviour: take away the DAG file, its import, the DAG or a
document, and exactly the checks that declare (or imply) that need fail; run every check on a
context that records which runs it reads, and each reads exactly the steps it declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from autograder.checks import (
    Context,
    all_checks,
    by_tier,
    check,
    checks_to_run,
    dependents_of,
    run_checks,
    steps_read_by,
    warehouses_read_by,
)
from autograder.checks import needs as need
from autograder.checks.context import Run, UnreadWarehouse
from autograder.sandbox.evidence import (
    MetadataFacts,
    ProbeResult,
    SandboxEvidence,
    StepEvidence,
    StepReply,
    TaskState,
    WarehouseFacts,
)
from autograder.scenarios import (
    BACKFILL_MONTHS,
    FAILED_INGEST_STEPS,
    IN_ORDER_STEPS,
    MANUAL_STEP,
    RERUN_STEP,
    REVERSE_ORDER,
    STEP_IDS,
    TRANSIENT_STEP,
    in_order_step,
    plan,
    reverse_step,
)
from autograder.source_scan import scan_files
from autograder.submission import DAG_FILE, DOCUMENTS, load_submission
from autograder.tiers import TIERS
from tests.autograder.helpers import context, snapshot_with

STATIC = {c.id for c in all_checks().values() if not c.steps}


def test_check_ids_points_and_hints() -> None:
    checks = all_checks()
    assert sum(c.points for c in checks.values()) == 100
    for item in checks.values():
        assert re.fullmatch(r"(integrity|airflow3|docs|behaviour)_[a-z0-9_]+", item.id)
        assert len(item.hint) > 40 and item.title
    assert {c.visibility for c in checks.values()} == {"public", "hidden"}


def test_the_tier_table_lists_every_check_once_in_its_declared_tier() -> None:
    table = by_tier()
    assert tuple(table) == TIERS
    listed = [c for ids in table.values() for c in ids]
    assert sorted(listed) == sorted(all_checks())
    for tier, ids in table.items():
        assert all(all_checks()[c].tier == tier for c in ids)
    assert "docs_runbook" in table["minimum"] and "behaviour_one_month" in table["minimum"]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"id": "quality_docs"}, "category prefix"),
        ({"id": "integrity_imports"}, "registered twice"),
        ({"tier": "gold"}, "tier 'gold'"),
        ({"needs": []}, "declare what it needs"),
        ({"needs": ["step:no_such_step"]}, "unknown need"),
        ({"needs": [need.document("NOTES.md")]}, "unknown need"),
        ({"points": 0}, "points must be positive"),
        ({"rules": ["dag-id"]}, "not contract markers"),
    ],
)
def test_a_wrong_declaration_is_refused_at_import(bad: dict, message: str) -> None:
    declaration = {
        "id": "docs_new_check",
        "points": 1,
        "visibility": "public",
        "tier": "target",
        "needs": [need.document("RUNBOOK.md")],
        "hint": "a hint",
    }
    with pytest.raises(ValueError, match=message):
        check(**{**declaration, **bad})
    assert "docs_new_check" not in all_checks()


def _failed(ctx: Context) -> set[str]:
    results = run_checks(ctx)
    assert not [r.check_id for r in results if r.errored]
    return {r.check_id for r in results if not r.passed}


def test_the_reference_fails_only_the_checks_that_read_runs_when_none_were_made(
    reference: Context,
) -> None:
    assert _failed(reference) == dependents_of(*need.steps(STEP_IDS))


def test_without_the_dag_exactly_its_dependents_fail(tmp_path) -> None:
    cycle = {
        **snapshot_with(),
        "dag": None,
        "import_errors": {"taxi_pipeline.py": "AirflowDagCycleException: Cycle detected"},
    }
    assert _failed(context(tmp_path, snapshot=cycle)) == dependents_of(need.DAG)


def test_without_an_importable_file_exactly_its_dependents_fail(tmp_path) -> None:
    broken = {**snapshot_with(), "dag": None, "import_errors": {"taxi_pipeline.py": "NameError"}}
    failed = _failed(context(tmp_path, snapshot=broken))
    assert failed == dependents_of(need.DAG_IMPORT)
    assert dependents_of(need.DAG_IMPORT) == dependents_of(need.DAG) | {"integrity_imports"}


def test_without_the_dag_file_exactly_its_dependents_fail(tmp_path) -> None:
    reference = context(tmp_path)
    (reference.submission.root / DAG_FILE).unlink()
    ctx = replace(
        reference,
        submission=load_submission(reference.submission.root),
        source=scan_files({}, DAG_FILE),
        evidence=SandboxEvidence(isolation="none", failure="there is no dags/taxi_pipeline.py"),
    )
    assert _failed(ctx) == dependents_of(need.DAG_FILE)
    assert dependents_of(need.DAG_FILE) == set(all_checks()) - {
        c for c in all_checks() if c.startswith("docs_")
    }


@pytest.mark.parametrize("document", DOCUMENTS)
def test_without_a_document_exactly_its_dependents_fail(tmp_path, document: str) -> None:
    ctx = context(tmp_path, **{document.replace(".md", "_md"): None})
    failed = _failed(ctx) & STATIC
    assert failed == dependents_of(need.document(document))
    assert failed and all(c.startswith("docs_") for c in failed)


@dataclass(frozen=True)
class RecordingRun(Run):
    """A run that notes when its warehouse is read."""

    step_id: str = ""
    noted: set[str] = field(default_factory=set)

    @property
    def warehouse(self):
        self.noted.add(self.step_id)
        return super().warehouse


@dataclass(frozen=True)
class RecordingContext(Context):
    """A context that notes which runs, and which of their warehouses, a check reads."""

    read: set[str] = field(default_factory=set)
    warehouses: set[str] = field(default_factory=set)

    def run(self, step_id: str) -> Run:
        self.read.add(step_id)
        return RecordingRun(super().run(step_id).evidence, step_id, self.warehouses)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return context(tmp_path_factory.mktemp("reference"))


@pytest.fixture(scope="module")
def all_succeeded(tmp_path_factory: pytest.TempPathFactory) -> Context:
    """Every step ran and every task succeeded: no check stops before reading what it reads."""
    ctx = context(tmp_path_factory.mktemp("succeeded"))
    tasks = {
        t: TaskState(task_id=t, state="success", try_number=1)
        for t in ("ingest_taxi_month", "dbt_run", "dbt_test", "notify")
    }
    probe = ProbeResult(
        metadata=MetadataFacts(found=True, tasks=tasks),
        warehouse=WarehouseFacts(exists=True, schema_name="airflow_default"),
    )
    for scenario in plan(ctx.options.latest_month):
        for step in scenario.steps:
            ctx.evidence.steps[step.id] = StepEvidence(step, StepReply(status="ok"), probe=probe)
    return ctx


@pytest.mark.parametrize("check_id", sorted(all_checks()))
def test_each_check_reads_exactly_the_runs_it_declares(
    reference: Context, all_succeeded: Context, check_id: str
) -> None:
    declared = all_checks()[check_id]
    for base in (reference, all_succeeded):
        ctx = RecordingContext(**{**base.__dict__, "read": set(), "warehouses": set()})
        declared.func(ctx)
        assert ctx.read == set(declared.steps)
        assert ctx.warehouses <= set(declared.warehouses)
    assert ctx.warehouses == set(declared.warehouses)  # with every run there, all are read


def test_only_the_warehouses_checks_declare_are_read() -> None:
    every = warehouses_read_by(checks_to_run())
    last_reverse = reverse_step(REVERSE_ORDER[-1])
    hidden_only = {last_reverse, *FAILED_INGEST_STEPS, TRANSIENT_STEP}
    public = {in_order_step(m) for m in (BACKFILL_MONTHS[0], BACKFILL_MONTHS[-1])}
    public |= {RERUN_STEP, MANUAL_STEP}
    assert every == public | hidden_only
    assert warehouses_read_by(checks_to_run(public_only=True)) == every - hidden_only


def test_reading_a_warehouse_no_check_declares_fails_loudly(all_succeeded: Context) -> None:
    step_id = in_order_step(BACKFILL_MONTHS[1])
    run = all_succeeded.run(step_id)
    assert run.warehouse is not None and run.warehouse.exists
    unread = Run(replace(run.evidence, warehouse_read=False))
    with pytest.raises(UnreadWarehouse, match=re.escape(f"needs.warehouse('{step_id}')")):
        unread.table("raw_trips")
    assert unread.states == run.states  # the run itself is still there


def test_check_runs_only_the_scenarios_public_checks_read() -> None:
    public = steps_read_by(checks_to_run(public_only=True))
    assert public == {*IN_ORDER_STEPS, RERUN_STEP, MANUAL_STEP}
    assert steps_read_by(checks_to_run()) == set(STEP_IDS)


def test_dependents_of_a_run_are_the_checks_that_read_it() -> None:
    assert dependents_of(need.step(MANUAL_STEP)) == {"behaviour_manual_trigger"}
    assert dependents_of(need.step(RERUN_STEP)) == {"behaviour_rerun_idempotent"}
    with pytest.raises(ValueError, match="unknown need"):
        dependents_of("dag_loaded")


def test_every_document_of_the_submission_is_needed_by_a_check() -> None:
    needed = {n for c in all_checks().values() for n in c.needs if n.startswith("document:")}
    assert needed == {need.document(d) for d in DOCUMENTS}


def test_the_docs_check_table_is_the_registry() -> None:
    """If this fails, a check changed: update the table in docs/autograder.md ("## Checks")."""
    docs = (Path(__file__).resolve().parents[3] / "docs" / "autograder.md").read_text()
    rows = {}
    for line in docs.split("## Checks", 1)[1].split("###", 1)[0].splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 5:
            rows[cells[0].strip("`")] = (float(cells[1]), cells[2], cells[3].lower())
    expected = {c.id: (c.points, c.visibility, c.tier) for c in all_checks().values()}
    assert rows == expected
