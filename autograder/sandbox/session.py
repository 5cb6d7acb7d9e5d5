"""One submission's sandbox: its folder, its supervisor process, the timeouts, and copying out.

`Sandbox.prepare` builds the folder the submission runs in, `start` launches the supervisor
(`autograder.inside.supervisor`) in new namespaces, `command` sends one command and waits for
the answer no longer than its timeout (the supervisor enforces it; this side is the backstop),
and after each step `collect` copies the step's files out, never following a symlink.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from autograder.files import copy_out, read_inside
from autograder.options import GradingOptions
from autograder.sandbox.dbt_seed import SEED_NAME
from autograder.sandbox.environment import base_env, contract_env, harness_env
from autograder.sandbox.evidence import StepReply
from autograder.sandbox.isolation import REPO_ROOT, Isolation, mount_plan, tasks_of
from autograder.sandbox.warm_start import WarmStart
from autograder.scenarios import Step
from autograder.submission import Submission
from taxi_source.server import files_to_json

DBT_PROJECT = REPO_ROOT / "include" / "taxi_dbt"
LIVE = "live"  # the warehouse folder every scenario uses, emptied in between
# Inside its mount namespace each sandbox's folder is shown at `<session root>/sandbox`: the
# same path in every sandbox of a session, so dbt's saved parse (`dbt_seed`) is valid in each.
ALIAS = "sandbox"
NAMESPACE_PORT = 8765  # the DAG's default source port; free inside a private network namespace
SUPERVISOR = "autograder.inside.supervisor"
HARNESS = "autograder.inside.harness"


class LiveProcesses:
    """The supervisors running now, so that an interrupted grading session can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen] = set()
        self.closing = False  # set when grading is interrupted: start nothing new

    def register(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._live.add(process)
        if self.closing:
            kill_group(process)

    def unregister(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._live.discard(process)

    def kill_all(self) -> None:
        with self._lock:
            live = list(self._live)
        for process in live:
            kill_group(process)


@dataclass(frozen=True)
class Workspace:
    """What a submission's sandbox gets from its grading session (`runner.SandboxSession`)."""

    options: GradingOptions
    isolation: Isolation
    root: Path  # sandbox folders go here (0711: each can reach its own, none can list them)
    private: Path  # evidence copies, readable by the grader only
    template: Path  # the empty Airflow metadata DB each sandbox starts from
    hide: tuple[Path, ...] = ()  # the grader's folders, invisible inside
    dbt_seed: Path | None = None  # dbt's saved parse of the course's project (`dbt_seed`)
    processes: LiveProcesses = field(default_factory=LiveProcesses)
    warm_start: WarmStart | None = None  # the session's zygote; None: every harness starts cold


def sandbox_contract(inside: Path, port: int, warehouse: str) -> dict[str, str]:
    """The contract's variables in a sandbox whose processes see its folder at `inside`, for a
    run against the warehouse folder `work/<warehouse>`."""
    return contract_env(
        source_url=f"http://127.0.0.1:{port}/trip-data",
        dbt_dir=inside / "dbt",
        warehouse=inside / "work" / warehouse / "taxi.duckdb",
        notifications=inside / "work" / warehouse / "notifications.jsonl",
    )


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sandbox:
    """One submission's folder, supervisor process and protocol."""

    warehouse_engine = "duckdb"
    profile = "plain"  # autograder/profiles: which conventions the submission is graded by

    def __init__(self, submission: Submission, workspace: Workspace, uid: int | None) -> None:
        self.submission = submission
        self.workspace = workspace
        self.options = workspace.options
        self.uid = uid
        self.dir = Path(tempfile.mkdtemp(prefix="s-", dir=workspace.root))
        self.evidence_dir = Path(tempfile.mkdtemp(prefix="e-", dir=workspace.private))
        self.process: subprocess.Popen | None = None
        self.served_files: dict[tuple[str, int], bytes] = {}  # the taxi source's, made once
        self.seq = 0
        self.stderr_path = self.evidence_dir / "supervisor.log"
        self.port = NAMESPACE_PORT if workspace.isolation.namespaces else _free_port()
        # Where the sandbox's own processes see its folder (`ALIAS`); without a mount namespace
        # the folder itself.
        self.inside = workspace.root / ALIAS if workspace.isolation.namespaces else self.dir

    # -- folder -----------------------------------------------------------------------------

    def prepare(self) -> None:
        for name in ("home", "tmp", "airflow", "submission", "work", f"work/{LIVE}"):
            (self.dir / name).mkdir()
        shutil.copy(self.workspace.template, self.dir / "airflow" / "airflow.db")
        for relative in self.submission.files:
            if relative.startswith(("dags/", "include/")) and not relative.startswith(
                "include/taxi_dbt/"
            ):
                target = self.dir / "submission" / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.submission.root / relative, target)
        (self.dir / "submission" / "dags").mkdir(exist_ok=True)
        shutil.copytree(
            DBT_PROJECT,
            self.dir / "dbt",
            ignore=shutil.ignore_patterns("target", "logs", ".user.yml"),
        )
        for relative in self.submission.extra_dbt_tests:
            name = "student_" + Path(relative).name
            shutil.copyfile(self.submission.root / relative, self.dir / "dbt" / "tests" / name)
        if self.workspace.dbt_seed is not None:
            (self.dir / "dbt" / "target").mkdir()
            shutil.copyfile(self.workspace.dbt_seed, self.dir / "dbt" / "target" / SEED_NAME)
        if self.uid is not None:
            for current, dirs, files in os.walk(self.dir):
                os.chown(current, self.uid, self.uid)
                for name in dirs + files:
                    os.chown(os.path.join(current, name), self.uid, self.uid, follow_symlinks=False)
        os.chmod(self.dir, 0o700)

    def contract(self, warehouse: str) -> dict[str, str]:
        """The contract's variables for a run against the warehouse folder `work/<warehouse>`."""
        return sandbox_contract(self.inside, self.port, warehouse)

    def fresh_warehouse(self, name: str) -> None:
        """An empty warehouse folder `work/<name>` for the next scenario (the old one's files
        were copied out after each of its steps)."""
        folder = self.dir / "work" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        if self.uid is not None:
            os.chown(folder, self.uid, self.uid)

    def cleanup(self) -> None:
        if not self.options.keep_sandboxes:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- process ----------------------------------------------------------------------------

    def start(self) -> StepReply:
        isolation = self.workspace.isolation
        command = isolation.wrap([sys.executable, "-P", "-s", "-m", SUPERVISOR])
        limits = {
            "memory_bytes": self.options.memory_mb << 20,
            "file_bytes": self.options.max_file_mb << 20,
            "cpu_seconds": self.options.cpu_seconds,
            "processes": self.options.max_processes
            + (0 if isolation.separate_user else tasks_of(os.getuid())),
        }
        hide = [*self.workspace.hide, self.workspace.private]
        setup = {
            "network_namespace": isolation.namespaces,
            "pid_namespace": isolation.namespaces,
            "own_session": not isolation.namespaces,
            "mount_plan": (
                mount_plan(self.dir, hide, self.uid, alias=self.inside)
                if isolation.namespaces
                else None
            ),
            "uid": self.uid,
            "limits": limits,
            "harness_argv": [sys.executable, "-P", "-s", "-m", HARNESS],
            "harness_env": harness_env(
                self.inside, self.options.import_timeout, self.contract(LIVE)
            ),
            "harness_cwd": str(self.inside / "home"),
            "latest_month": self.options.latest_month,
            "source_port": self.port,
            "source_files": files_to_json(self.served_files),
        }
        self.extra_setup(setup)
        zygote = self.workspace.warm_start.adopt() if self.workspace.warm_start else None
        if zygote is not None:
            setup["zygote_fd"] = zygote.fileno()
            setup["zygote_namespaces"] = self.workspace.warm_start.namespaces
        stderr = self.stderr_path.open("wb")
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=base_env(self.dir / "home"),
                cwd=str(self.dir),
                start_new_session=True,
                pass_fds=(zygote.fileno(),) if zygote else (),
            )
        finally:
            stderr.close()
            if zygote is not None:
                zygote.close()  # the supervisor has its copy
        self.workspace.processes.register(self.process)
        self._write(setup)
        ready = self._read(deadline=time.monotonic() + 120)
        if ready is None or ready.get("op") != "ready":
            return StepReply(status="died", detail="the sandbox supervisor did not start")
        return StepReply(status="ok", detail="\n".join(ready.get("warnings") or []))

    def extra_setup(self, setup: dict) -> None:
        """What a profile adds to the supervisor's set-up (`template_profile`); nothing here."""

    def _write(self, payload: dict) -> bool:
        try:
            self.process.stdin.write((json.dumps(payload) + "\n").encode())
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def _read(self, deadline: float) -> dict | None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
                    line = self.process.stdout.readline()
                    if not line:
                        return None
                    with contextlib.suppress(ValueError):
                        return json.loads(line)
                elif self.process.poll() is not None:
                    return None
        return None

    def command(
        self, op: str, harness: dict, timeout: float, faults: dict | None = None
    ) -> StepReply:
        self.seq += 1
        payload = {"op": op, "seq": self.seq, "timeout": timeout, "harness": harness}
        if faults is not None:
            payload["faults"] = faults
        if not self._write(payload):
            return StepReply(status="died", detail="the sandbox supervisor is gone")
        # The supervisor enforces `timeout` itself; this is the backstop if it hangs too.
        raw = self._read(deadline=time.monotonic() + timeout + 60)
        if raw is None:
            self.kill()
            return StepReply(status="died", detail="the sandbox supervisor stopped answering")
        try:
            return StepReply.model_validate(raw)
        except ValidationError as err:
            return StepReply(status="protocol_error", detail=str(err)[:500])

    def restart(self) -> bool:
        self.seq += 1
        if not self._write({"op": "restart", "seq": self.seq}):
            return False
        raw = self._read(deadline=time.monotonic() + 60)
        return bool(raw and raw.get("status") == "ok")

    def kill(self) -> None:
        if self.process is not None:
            kill_group(self.process)
            with contextlib.suppress(Exception):
                self.process.wait(timeout=10)
            self.workspace.processes.unregister(self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self._write({"op": "stop"})
        with contextlib.suppress(Exception):
            self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        self.kill()

    # -- evidence ---------------------------------------------------------------------------

    def collect(self, step: Step, folder: str, warehouse: bool = True) -> dict[str, str | None]:
        """Copy this step's files out of the sandbox: the metadata DB, and the warehouse of the
        folder `work/<folder>` if `warehouse`. Returns {kind: copied path or None}."""
        target = self.evidence_dir / step.id
        limit = self.options.max_file_mb << 20
        copied: dict[str, str | None] = {}
        files = [
            ("metadata", "airflow/airflow.db", "airflow.db"),
            ("metadata_wal", "airflow/airflow.db-wal", "airflow.db-wal"),
        ]
        if warehouse:
            files += [
                ("warehouse", f"work/{folder}/taxi.duckdb", "taxi.duckdb"),
                ("wal", f"work/{folder}/taxi.duckdb.wal", "taxi.duckdb.wal"),
            ]
        for kind, relative, name in files:
            try:
                copy_out(self.dir, relative, target / name, limit)
                copied[kind] = str(target / name)
            except OSError:
                copied[kind] = None
        return copied

    def notifications(self, warehouse: str) -> tuple[list[dict], str | None]:
        try:
            raw = read_inside(self.dir, f"work/{warehouse}/notifications.jsonl", 1 << 20)
        except FileNotFoundError:
            return [], None
        except OSError as err:
            return [], f"the notifications file could not be read: {err}"
        records = []
        for line in raw.decode("utf-8", "replace").splitlines()[:1000]:
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records, None
