"""A grading session's sandboxes, and one submission's scenarios run in order.

`SandboxSession` holds what all submissions of one grading session share (the isolation found on
this host, the template metadata DB, the pool of user ids, the processes running now, the
evidence of identical DAG folders). `run_submission` starts one submission's sandbox, inspects
the DAG, runs every scenario step, copies each step's files out, and has the probe read them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from autograder.errors import AutograderError
from autograder.files import ensure_private_dir
from autograder.options import GradingOptions
from autograder.sandbox.dbt_seed import SEED_NAME, DbtSeed
from autograder.sandbox.environment import SCHEMA, base_env, harness_env
from autograder.sandbox.evidence import (
    ProbeResult,
    SandboxEvidence,
    StepEvidence,
    StepReply,
    run_report_of,
    snapshot_of,
)
from autograder.sandbox.isolation import UidPool, detect_isolation
from autograder.sandbox.session import (
    ALIAS,
    DBT_PROJECT,
    LIVE,
    NAMESPACE_PORT,
    LiveProcesses,
    Sandbox,
    Workspace,
    sandbox_contract,
)
from autograder.sandbox.source_files import SourceFiles
from autograder.sandbox.template_profile import TemplateServices, make_sandbox
from autograder.sandbox.warm_start import WarmStart
from autograder.scenarios import Scenario
from autograder.submission import Submission


class SandboxSession:
    """Shared by all submissions of one grading session: template DB, isolation, user ids."""

    def __init__(self, options: GradingOptions, hide: list[Path], submissions: int = 1) -> None:
        self.options = options
        self.isolation = detect_isolation(options.isolation)
        scratch = options.resolved_scratch_dir()
        self.root = Path(tempfile.mkdtemp(prefix="autograder-", dir=scratch))
        os.chmod(self.root, 0o711)  # sandboxes can reach their own folder, not list the others
        self.private = ensure_private_dir(self.root.with_name(self.root.name + "-private"))
        self.hide = tuple(p.resolve() for p in hide)
        self.uids = UidPool(Path(tempfile.gettempdir()) / "autograder-uids")
        self.processes = LiveProcesses()
        self.template: Path | None = None
        self._template_lock = threading.Lock()
        self._dedupe: dict[str, SandboxEvidence] = {}
        self._dedupe_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.template_services = TemplateServices(self.root, self.private)
        self.warm_start: WarmStart | None = None
        self.dbt_seed: DbtSeed | None = None  # made alongside the warm start
        self.source_files = SourceFiles(options.latest_month)
        # The zygote's own start (~3-4 s) pays off from the second submission on.
        self.warm = options.warm_start and submissions > 1

    @property
    def closing(self) -> bool:
        """Grading was interrupted: no new sandbox starts, running ones are being killed."""
        return self.processes.closing

    def notes(self) -> tuple[str, ...]:
        """What the teacher reads once per class about this session's set-up: the isolation's
        notes, and any speed-up that failed (grading went on without it; grades do not depend
        on it, only the time does)."""
        notes = list(self.isolation.warnings)
        if self.warm_start is not None and self.warm_start.failure:
            notes.append(
                "the warm start failed, so every sandbox imported Airflow itself (slower, same "
                f"grades): {_last_line(self.warm_start.failure)}"
            )
        if self.dbt_seed is not None and self.dbt_seed.failure:
            notes.append(
                "dbt's saved parse could not be made, so each sandbox parsed the dbt project "
                f"itself (slower, same grades): {_last_line(self.dbt_seed.failure)}"
            )
        return tuple(notes)

    def interrupt(self) -> None:
        self.processes.closing = True
        self.processes.kill_all()

    def close(self) -> None:
        self.processes.kill_all()
        if self.warm_start is not None:
            self.warm_start.close()
        self.template_services.close()
        if not self.options.keep_sandboxes:
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(self.private, ignore_errors=True)

    def template_db(self) -> Path:
        """An empty Airflow metadata DB, made once (trusted code, no DAGs), copied per sandbox."""
        with self._template_lock:
            if self.template is None:
                cache_dir = ensure_private_dir(self.options.resolved_cache_dir())
                target = cache_dir / f"airflow-template-{_airflow_version()}.db"
                if not target.exists():
                    _make_template(Path(tempfile.mkdtemp(dir=self.private)), target)
                self.template = target
            return self.template

    def _warm_start(self) -> WarmStart | None:
        """The zygote, made on first use when the session grades several submissions
        (sandboxes with namespaces only: a forked harness joins its supervisor's namespaces,
        which is how it gets inside)."""
        if not (self.warm and self.isolation.namespaces):
            return None
        with self._lock:
            if self.warm_start is None:
                self.warm_start = WarmStart(
                    self.options, self.isolation, self.private, self.private / SEED_NAME
                )
                self.dbt_seed = _start_dbt_seed(self.options, self.root, self.private)
        return self.warm_start

    def workspace(self) -> Workspace:
        warm_start = self._warm_start()
        return Workspace(
            warm_start=warm_start,
            dbt_seed=self.dbt_seed.path if self.dbt_seed else None,
            options=self.options,
            isolation=self.isolation,
            root=self.root,
            private=self.private,
            template=self.template_db(),
            hide=self.hide,
            processes=self.processes,
        )

    def evidence_for(
        self,
        submission: Submission,
        scenarios: tuple[Scenario, ...],
        warehouses: Collection[str] | None = None,
    ) -> SandboxEvidence:
        """Run the submission, or reuse the evidence of an identical DAG folder (same session).
        `warehouses`: the steps whose warehouses are read (None: every step's)."""
        if not self.options.dedupe:
            return run_submission(submission, scenarios, self, warehouses)
        key = (
            submission.runnable_hash,
            tuple(s.id for scenario in scenarios for s in scenario.steps),
            None if warehouses is None else tuple(sorted(warehouses)),
        )
        with self._lock:
            lock = self._dedupe_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._dedupe:
                self._dedupe[key] = run_submission(submission, scenarios, self, warehouses)
            return self._dedupe[key]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else text[:300]


def _start_dbt_seed(options: GradingOptions, root: Path, private: Path) -> DbtSeed:
    """dbt's saved parse at the path sandboxes see their folder at, in a harness's environment."""
    inside = root / ALIAS
    contract = sandbox_contract(inside, NAMESPACE_PORT, LIVE)
    env = harness_env(inside, options.import_timeout, contract)
    return DbtSeed(inside, env, DBT_PROJECT, private / SEED_NAME)


@cache
def _airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def _make_template(folder: Path, target: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autograder.sandbox.template_db", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        env=base_env(folder),
    )
    if result.returncode != 0 or not (folder / "airflow.db").exists():
        raise AutograderError(
            "could not create the Airflow metadata DB template:\n" + result.stderr[-2000:]
        )
    shutil.copy(folder / "airflow.db", target.with_suffix(".tmp"))
    os.replace(target.with_suffix(".tmp"), target)


# ---------------------------------------------------------------- the whole run


def run_submission(
    submission: Submission,
    scenarios: tuple[Scenario, ...],
    session: SandboxSession,
    warehouses: Collection[str] | None = None,
) -> SandboxEvidence:
    """Start a sandbox, inspect the DAG, run every scenario, probe the evidence, clean up.
    Only the warehouses of the steps in `warehouses` (None: of every step) are read."""
    started = time.monotonic()
    # The isolation's own notes concern the grading set-up, not the student: the teacher gets
    # them once per class (ClassResult.notes), not in every student's feedback.
    evidence = SandboxEvidence(isolation=session.isolation.kind)
    if submission.dag_file is None:
        evidence.failure = "there is no dags/taxi_pipeline.py to run"
        return evidence
    lease = session.uids.lease() if session.isolation.separate_user else contextlib.nullcontext()
    with lease as uid:
        sandbox, notes = make_sandbox(
            submission, session.workspace(), uid, session.template_services
        )
        sandbox.served_files = session.source_files.for_scenarios(scenarios)
        evidence.warnings.extend(notes)
        evidence.warehouse_engine = sandbox.warehouse_engine
        evidence.profile = sandbox.profile
        try:
            _drive(sandbox, scenarios, evidence, started, warehouses)
        finally:
            stop_started = time.monotonic()
            sandbox.stop()
            sandbox.cleanup()
            evidence.phases["stop"] = time.monotonic() - stop_started
    probe_started = time.monotonic()
    _probe(sandbox, evidence)
    evidence.phases["probe"] = time.monotonic() - probe_started
    if not session.options.keep_sandboxes:
        shutil.rmtree(sandbox.evidence_dir, ignore_errors=True)
    evidence.seconds = time.monotonic() - started
    return evidence


def _not_run(evidence: SandboxEvidence, step, why: str) -> None:
    evidence.steps[step.id] = StepEvidence(step, StepReply(status="not_run", detail=why))


def _drive(
    sandbox: Sandbox,
    scenarios: tuple[Scenario, ...],
    evidence: SandboxEvidence,
    started: float,
    warehouses: Collection[str] | None,
) -> None:
    options = sandbox.options
    sandbox.prepare()
    ready = sandbox.start()
    evidence.phases["start"] = time.monotonic() - started
    evidence.startup = ready
    if ready.status != "ok":
        evidence.failure = f"the sandbox could not start: {ready.detail}"
        return
    evidence.warnings.extend(w for w in ready.detail.splitlines() if w)
    inspect = _inspect_command(options)
    reply = sandbox.command("inspect", inspect, options.startup_timeout)
    evidence.startup = reply
    evidence.phases["inspect"] = time.monotonic() - started - evidence.phases["start"]
    snapshot, problem = snapshot_of(reply)
    evidence.snapshot, evidence.snapshot_error = snapshot, problem
    if snapshot is None or snapshot.dag is None:
        return
    crashes = 0
    budget_end = started + options.submission_timeout
    pending = [(scenario, step) for scenario in scenarios for step in scenario.steps]
    alive = True
    current: str | None = None
    folder = LIVE
    for scenario, step in pending:
        if sandbox.workspace.processes.closing:
            alive = False
        if not alive:
            _not_run(evidence, step, f"not run: the sandbox crashed or hung {crashes} times")
            continue
        left = budget_end - time.monotonic()
        if left <= 0:
            why = f"not run: the submission used up its {options.submission_timeout:.0f} s"
            _not_run(evidence, step, why)
            continue
        if scenario.warehouse != current:
            if current is not None:
                reset_started = time.monotonic()
                folder = _next_warehouse(sandbox, scenario, folder)
                spent = time.monotonic() - reset_started
                evidence.phases["reset"] = evidence.phases.get("reset", 0.0) + spent
            current = scenario.warehouse
        command = {
            "op": "run",
            "step": step.id,
            "logical_date": step.logical_date,
            "run_after": step.run_after,
            "env": sandbox.contract(folder),
        }
        step_started = time.monotonic()
        reply = sandbox.command("run", command, min(options.run_timeout, left), faults=step.faults)
        item = StepEvidence(step, reply, seconds=time.monotonic() - step_started)
        item.run, item.run_error = run_report_of(reply)
        item.warehouse_read = warehouses is None or step.id in warehouses
        item.copied = sandbox.collect(step, folder, warehouse=item.warehouse_read)
        item.notifications, item.notifications_error = sandbox.notifications(folder)
        evidence.steps[step.id] = item
        phase = f"scenario:{scenario.name}"
        evidence.phases[phase] = evidence.phases.get(phase, 0.0) + time.monotonic() - step_started
        if reply.status != "ok":
            crashes += 1
            alive = crashes <= options.max_restarts and _restart(sandbox, options)


def _inspect_command(options: GradingOptions) -> dict:
    return {
        "op": "inspect",
        "retry_delay": options.retry_delay_seconds,
        "warm_dbt": options.warm_dbt,
    }


def _next_warehouse(sandbox: Sandbox, scenario: Scenario, folder: str) -> str:
    """Give the next scenario an empty warehouse. The harness first lets go of the old file;
    if it cannot (another dbt-duckdb), the scenario gets a folder of its own instead."""
    reply = sandbox.command("reset", {"op": "reset"}, 60)
    if reply.status == "ok" and reply.harness and reply.harness.get("closed") is True:
        sandbox.fresh_warehouse(LIVE)
        return LIVE
    sandbox.fresh_warehouse(scenario.warehouse)
    return scenario.warehouse


def _restart(sandbox: Sandbox, options: GradingOptions) -> bool:
    if not sandbox.restart():
        return False
    inspect = _inspect_command(options)
    reply = sandbox.command("inspect", inspect, options.startup_timeout)
    snapshot, _ = snapshot_of(reply)
    return snapshot is not None and snapshot.dag is not None


def _probe(sandbox: Sandbox, evidence: SandboxEvidence) -> None:
    """Read the copied warehouses and metadata DBs in a separate process (they are untrusted)."""
    requests = []
    # The DAG graded is the one the harness loaded: its id may be prefixed (CONTRACT.md §8).
    dag = evidence.snapshot.dag if evidence.snapshot else None
    for step_id, item in evidence.steps.items():
        copied = item.copied
        requests.append(
            {
                "id": step_id,
                "warehouse": copied.get("warehouse"),
                "metadata": copied.get("metadata"),
                "dag_id": dag.dag_id if dag else None,
                "run_id": item.run.run_id if item.run else None,
                "schema": SCHEMA,
            }
        )
    if not requests:
        return
    try:
        result = subprocess.run(
            [sys.executable, "-m", "autograder.sandbox.probe"],
            input=json.dumps(requests),
            capture_output=True,
            text=True,
            timeout=300,
            env=base_env(sandbox.evidence_dir),
        )
        answers = json.loads(result.stdout or "{}")
    except (subprocess.TimeoutExpired, ValueError, OSError) as err:
        answers = {}
        evidence.warnings.append(f"reading the warehouses failed: {err}")
    for step_id, item in evidence.steps.items():
        try:
            item.probe = ProbeResult.model_validate(answers.get(step_id) or {})
        except ValidationError as err:
            item.probe = ProbeResult()
            evidence.warnings.append(f"{step_id}: unreadable probe result: {str(err)[:200]}")
