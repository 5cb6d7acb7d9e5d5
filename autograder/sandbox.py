"""Run one submission in its own sandbox and bring back evidence the parent can trust.

Per submission: a fresh folder (Airflow home from a template DB, the course's dbt project, a
copy of the submission's `dags/`, a warehouse folder that is emptied between scenarios), then

    unshare --net --pid --mount --ipc --uts --fork --kill-child --mount-proc
        python -m autograder.sandbox_entry          (our supervisor, keeps its privileges)
            python -m autograder.harness            (runs the student's DAG, unprivileged)

When the grader runs as root the harness gets its own user id (61000 and up, one per
concurrently running sandbox, so the process limit of one sandbox cannot starve another). As a
normal user `unshare --map-root-user` gives the same namespaces without the separate user id.
Without namespaces at all (`isolation="none"` or no `unshare`) it falls back to plain
subprocesses and records a warning on every result.

After each step the parent copies the warehouse, the notifications file and the metadata DB out
of the sandbox (no symlinks followed, size-capped) into a folder only it can read; `probe.py`
reads them in a separate process at the end. Scores are computed from that, never from what the
harness says about itself.
"""

from __future__ import annotations

import contextlib
import fcntl
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
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from autograder.errors import AutograderError
from autograder.files import copy_out, ensure_private_dir, read_inside
from autograder.options import GradingOptions
from autograder.scenarios import Scenario, Step
from autograder.snapshot import DagSnapshot, ProbeResult, RunReport, StepReply
from autograder.submission import Submission

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO_ROOT / "include" / "taxi_dbt"
STUDENT = "grader"
SCHEMA = f"airflow_{STUDENT}"
LIVE = "live"  # the warehouse folder every scenario uses, emptied in between
NAMESPACE_PORT = 8765  # the DAG's default source port; free inside a private network namespace
UID_FIRST, UID_COUNT = 61000, 1000
# Top-level directories the sandbox sees (read-only); every other one is emptied.
SYSTEM_DIRS = {"bin", "boot", "etc", "lib", "lib32", "lib64", "libx32", "sbin", "usr", "var"}
SYSTEM_DIRS |= {"nix", "gnu", "opt"}  # where some systems install Python itself
_NAMESPACE_FLAGS = [
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount",
    "--mount-proc",
    "--ipc",
    "--uts",
    "--propagation",
    "private",
]
_AIRFLOW_ENV = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
    "AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT": "False",
}


# ---------------------------------------------------------------- isolation


@dataclass(frozen=True)
class Isolation:
    kind: str  # "root-namespaces" | "user-namespaces" | "none"
    warnings: tuple[str, ...] = ()

    @property
    def namespaces(self) -> bool:
        return self.kind != "none"

    @property
    def separate_user(self) -> bool:
        return self.kind == "root-namespaces"


@cache
def _unshare_works(map_root: bool) -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    command = [unshare, *(["--map-root-user"] if map_root else []), *_NAMESPACE_FLAGS, "true"]
    try:
        return subprocess.run(command, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def detect_isolation(mode: str) -> Isolation:
    if mode != "none":
        if os.geteuid() == 0 and _unshare_works(False):
            return Isolation("root-namespaces")
        if _unshare_works(True):
            return Isolation(
                "user-namespaces",
                (
                    "not run as root: the submission ran with your user id (inside its own "
                    "namespaces, which hide your files and the network, but with no separate "
                    "process limit)",
                ),
            )
        if mode == "namespaces":
            raise AutograderError(
                "isolation='namespaces' was requested but `unshare` cannot create network, PID "
                "and mount namespaces here. Install util-linux, enable unprivileged user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1), or run as root."
            )
    return Isolation(
        "none",
        (
            "no sandbox namespaces: the submission could reach the network and read your "
            "files. Use this for development only.",
        ),
    )


class UidPool:
    """One user id per running sandbox, locked with a file so parallel graders never share."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(PermissionError):
            os.chmod(self.folder, 0o700)

    @contextlib.contextmanager
    def lease(self):
        for uid in range(UID_FIRST, UID_FIRST + UID_COUNT):
            handle = open(self.folder / f"{uid}.lock", "a+")  # noqa: SIM115 - held for the lease
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield uid
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        raise AutograderError("all sandbox user ids are in use; lower --jobs")


# ---------------------------------------------------------------- evidence


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


# ---------------------------------------------------------------- the session


class SandboxSession:
    """Shared by all submissions of one grading session: template DB, isolation, user ids."""

    def __init__(self, options: GradingOptions, hide: list[Path]) -> None:
        self.options = options
        self.isolation = detect_isolation(options.isolation)
        self.root = Path(tempfile.mkdtemp(prefix="autograder-"))
        os.chmod(self.root, 0o711)  # sandboxes can reach their own folder, not list the others
        self.private = ensure_private_dir(self.root.with_name(self.root.name + "-private"))
        self.hide = [p.resolve() for p in hide]
        self.uids = UidPool(Path(tempfile.gettempdir()) / "autograder-uids")
        self.template: Path | None = None
        self._template_lock = threading.Lock()
        self._dedupe: dict[str, SandboxEvidence] = {}
        self._dedupe_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen] = set()
        self.closing = False  # set when grading is interrupted: start nothing new

    def close(self) -> None:
        self.kill_all()
        if not self.options.keep_sandboxes:
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(self.private, ignore_errors=True)

    def kill_all(self) -> None:
        with self._lock:
            live = list(self._live)
        for process in live:
            _kill_group(process)

    def register(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._live.add(process)
        if self.closing:
            _kill_group(process)

    def unregister(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._live.discard(process)

    def template_db(self) -> Path:
        """An empty Airflow metadata DB, made once (trusted code, no DAGs), copied per sandbox."""
        with self._template_lock:
            if self.template is None:
                cache = ensure_private_dir(self.options.resolved_cache_dir())
                target = cache / f"airflow-template-{_airflow_version()}.db"
                if not target.exists():
                    folder = Path(tempfile.mkdtemp(dir=self.private))
                    result = subprocess.run(
                        [sys.executable, "-m", "autograder.harness", "--make-template", folder],
                        capture_output=True,
                        text=True,
                        timeout=300,
                        env=_base_env(folder),
                    )
                    if result.returncode != 0 or not (folder / "airflow.db").exists():
                        raise AutograderError(
                            "could not create the Airflow metadata DB template:\n"
                            + result.stderr[-2000:]
                        )
                    shutil.copy(folder / "airflow.db", target.with_suffix(".tmp"))
                    os.replace(target.with_suffix(".tmp"), target)
                self.template = target
            return self.template

    def evidence_for(self, submission: Submission, scenarios: tuple[Scenario, ...]):
        """Run the submission, or reuse the evidence of an identical DAG folder (same session)."""
        if not self.options.dedupe:
            return run_submission(submission, scenarios, self)
        key = submission.runnable_hash
        with self._lock:
            lock = self._dedupe_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._dedupe:
                self._dedupe[key] = run_submission(submission, scenarios, self)
            return self._dedupe[key]


@cache
def _airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def _base_env(home: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "NO_COLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- one sandbox


class Sandbox:
    """One submission's folder, supervisor process and protocol."""

    def __init__(self, submission: Submission, session: SandboxSession, uid: int | None) -> None:
        self.submission = submission
        self.session = session
        self.options = session.options
        self.uid = uid
        self.dir = Path(tempfile.mkdtemp(prefix="s-", dir=session.root))
        self.evidence_dir = Path(tempfile.mkdtemp(prefix="e-", dir=session.private))
        self.process: subprocess.Popen | None = None
        self.seq = 0
        self.stderr_path = self.evidence_dir / "supervisor.log"
        self.port = NAMESPACE_PORT if session.isolation.namespaces else _free_port()

    # -- folder -----------------------------------------------------------------------------

    def prepare(self) -> None:
        for name in ("home", "tmp", "airflow", "submission", "work", f"work/{LIVE}"):
            (self.dir / name).mkdir()
        shutil.copy(self.session.template_db(), self.dir / "airflow" / "airflow.db")
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
        if self.uid is not None:
            for current, dirs, files in os.walk(self.dir):
                os.chown(current, self.uid, self.uid)
                for name in dirs + files:
                    os.chown(os.path.join(current, name), self.uid, self.uid, follow_symlinks=False)
        os.chmod(self.dir, 0o700)

    def harness_env(self) -> dict[str, str]:
        env = _base_env(self.dir / "home")
        env["TMPDIR"] = str(self.dir / "tmp")
        env["PYTHONHASHSEED"] = "0"
        # Airflow records a user name per task instance; the sandbox user has no passwd entry.
        env["USER"] = env["LOGNAME"] = "student"
        env.update(_AIRFLOW_ENV)
        env.update(
            {
                "AIRFLOW_HOME": str(self.dir / "airflow"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dir / "submission" / "dags"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.dir}/airflow/airflow.db",
                "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": str(self.options.import_timeout),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DO_NOT_TRACK": "1",
            }
        )
        env.update(
            contract_env(
                source_url=f"http://127.0.0.1:{self.port}/trip-data",
                dbt_dir=self.dir / "dbt",
                warehouse=self.dir / "work" / LIVE / "taxi.duckdb",
                notifications=self.dir / "work" / LIVE / "notifications.jsonl",
            )
        )
        return env

    def mount_plan(self) -> dict:
        """The sandbox's view of the file system: an allow-list.

        System directories stay, read-only. Every other top-level directory (homes, /tmp, /run,
        /opt, /srv, the folder holding this repository, ...) is replaced by an empty tmpfs into
        which only what the harness needs is bound back, read-only: the Python installation,
        the virtualenv, and this project's `autograder` and `taxi_source` packages (not the rest
        of the repository: no tests, fixtures, other students or gradebooks). The sandbox's
        own folder is bound back writable.
        """
        keep = {Path(sys.base_prefix).resolve(), Path(sys.prefix), Path(sys.prefix).resolve()}
        keep |= {REPO_ROOT / "autograder", REPO_ROOT / "taxi_source"}
        for entry in sys.path:
            path = Path(entry).resolve() if entry else None
            if path and path.is_dir() and path != REPO_ROOT and REPO_ROOT not in path.parents:
                keep.add(path)
        kept = sorted({str(p) for p in keep})
        kept = [p for p in kept if not any(p != q and p.startswith(q + "/") for q in kept)]
        overlay: dict[str, str] = {}
        read_only: list[str] = []
        for top in sorted(Path("/").iterdir()):
            if top.is_symlink() or not top.is_dir() or top.name in ("proc", "sys", "dev"):
                continue
            if top.name in SYSTEM_DIRS:
                read_only.append(str(top))
            else:
                overlay[str(top)] = "1777" if top.name == "tmp" else "0755"
        # Scratch space stays writable for everyone (a private, empty tmpfs).
        for scratch in ("/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()):
            overlay[scratch] = "1777"
        if self.uid is not None:
            for path in kept:
                for ancestor in _blocking_ancestors(Path(path)):
                    overlay.setdefault(ancestor, "0755")
        return {
            "read_only": read_only,
            "keep_ro": kept,
            "keep_rw": [str(self.dir)],
            "overlay": sorted([path, mode] for path, mode in overlay.items()),
            "hide": [str(p) for p in self.session.hide] + [str(self.session.private)],
        }

    # -- process ----------------------------------------------------------------------------

    def start(self) -> StepReply:
        isolation = self.session.isolation
        command = [sys.executable, "-P", "-s", "-m", "autograder.sandbox_entry"]
        if isolation.namespaces:
            flags = (["--map-root-user"] if isolation.kind == "user-namespaces" else []) + list(
                _NAMESPACE_FLAGS
            )
            command = [shutil.which("unshare") or "unshare", *flags, "--", *command]
        limits = {
            "memory_bytes": self.options.memory_mb << 20,
            "file_bytes": self.options.max_file_mb << 20,
            "cpu_seconds": self.options.cpu_seconds,
            "processes": self.options.max_processes
            + (0 if isolation.separate_user else _tasks_of(os.getuid())),
        }
        setup = {
            "network_namespace": isolation.namespaces,
            "pid_namespace": isolation.namespaces,
            "own_session": not isolation.namespaces,
            "mount_plan": self.mount_plan() if isolation.namespaces else None,
            "uid": self.uid,
            "limits": limits,
            "harness_argv": [sys.executable, "-P", "-s", "-m", "autograder.harness"],
            "harness_env": self.harness_env(),
            "harness_cwd": str(self.dir / "home"),
            "latest_month": self.options.latest_month,
            "source_port": self.port,
        }
        stderr = self.stderr_path.open("wb")
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=_base_env(self.dir / "home"),
                cwd=str(self.dir),
                start_new_session=True,
            )
        finally:
            stderr.close()
        self.session.register(self.process)
        self._write(setup)
        ready = self._read(deadline=time.monotonic() + 120)
        if ready is None or ready.get("op") != "ready":
            return StepReply(status="died", detail="the sandbox supervisor did not start")
        return StepReply(status="ok", detail="\n".join(ready.get("warnings") or []))

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
            _kill_group(self.process)
            with contextlib.suppress(Exception):
                self.process.wait(timeout=10)
            self.session.unregister(self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self._write({"op": "stop"})
        with contextlib.suppress(Exception):
            self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        self.kill()

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

    # -- evidence ---------------------------------------------------------------------------

    def collect(self, step: Step, warehouse: str) -> dict[str, str | None]:
        """Copy this step's files out of the sandbox. Returns {kind: copied path or None}."""
        target = self.evidence_dir / step.id
        limit = self.options.max_file_mb << 20
        copied: dict[str, str | None] = {}
        for kind, relative, name in (
            ("warehouse", f"work/{warehouse}/taxi.duckdb", "taxi.duckdb"),
            ("wal", f"work/{warehouse}/taxi.duckdb.wal", "taxi.duckdb.wal"),
            ("metadata", "airflow/airflow.db", "airflow.db"),
            ("metadata_wal", "airflow/airflow.db-wal", "airflow.db-wal"),
        ):
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


def _tasks_of(uid: int) -> int:
    """Processes and threads `uid` has now (RLIMIT_NPROC counts them all, per user)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                status = (entry / "status").read_text()
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    count += int(fields["Threads"].strip())
    return count


def _blocking_ancestors(path: Path) -> set[str]:
    """Ancestors another user cannot traverse (e.g. /root holding pyenv's Python)."""
    blocked = set()
    for ancestor in path.parents:
        with contextlib.suppress(OSError):
            if not os.stat(ancestor).st_mode & 0o001:
                blocked.add(str(ancestor))
    return blocked


def contract_env(source_url: str, dbt_dir: Path, warehouse: Path, notifications: Path) -> dict:
    """The variables the submission contract promises (assignment/CONTRACT.md), plus their
    Airflow Variable twins (`AIRFLOW_VAR_<NAME>`, read by `Variable.get("<name>")`)."""
    values = {
        "TAXI_SOURCE_URL": source_url,
        "TAXI_WAREHOUSE": str(warehouse),
        "TAXI_DBT_PROJECT_DIR": str(dbt_dir),
        "TAXI_NOTIFICATIONS": str(notifications),
        "TAXI_SCHEMA": SCHEMA,
        "TAXI_DBT_TARGET": "duckdb",
        "AIRFLOW_STUDENT": STUDENT,
    }
    env = dict(values)
    env.update({f"AIRFLOW_VAR_{name}": value for name, value in values.items()})
    return env


# ---------------------------------------------------------------- the whole run


def run_submission(
    submission: Submission, scenarios: tuple[Scenario, ...], session: SandboxSession
) -> SandboxEvidence:
    """Start a sandbox, inspect the DAG, run every scenario, probe the evidence, clean up."""
    started = time.monotonic()
    # The isolation's own notes concern the grading set-up, not the student: the teacher gets
    # them once per class (ClassResult.notes), not in every student's feedback.
    evidence = SandboxEvidence(isolation=session.isolation.kind)
    if submission.dag_file is None:
        evidence.failure = "there is no dags/taxi_pipeline.py to run"
        return evidence
    lease = session.uids.lease() if session.isolation.separate_user else contextlib.nullcontext()
    with lease as uid:
        sandbox = Sandbox(submission, session, uid)
        try:
            _drive(sandbox, scenarios, evidence, started)
        finally:
            sandbox.stop()
            sandbox.cleanup()
    _probe(sandbox, evidence)
    if not session.options.keep_sandboxes:
        shutil.rmtree(sandbox.evidence_dir, ignore_errors=True)
    evidence.seconds = time.monotonic() - started
    return evidence


def _drive(
    sandbox: Sandbox, scenarios: tuple[Scenario, ...], evidence: SandboxEvidence, started: float
) -> None:
    options = sandbox.options
    sandbox.prepare()
    ready = sandbox.start()
    evidence.startup = ready
    if ready.status != "ok":
        evidence.failure = f"the sandbox could not start: {ready.detail}"
        return
    evidence.warnings.extend(w for w in ready.detail.splitlines() if w)
    inspect = {"op": "inspect", "retry_delay": options.retry_delay_seconds}
    reply = sandbox.command("inspect", inspect, options.startup_timeout)
    evidence.startup = reply
    snapshot, problem = _snapshot(reply)
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
        if sandbox.session.closing:
            alive = False
        if not alive:
            evidence.steps[step.id] = StepEvidence(
                step,
                StepReply(
                    status="not_run",
                    detail=f"not run: the sandbox crashed or hung {crashes} times",
                ),
            )
            continue
        left = budget_end - time.monotonic()
        if left <= 0:
            evidence.steps[step.id] = StepEvidence(
                step,
                StepReply(
                    status="not_run",
                    detail="not run: the submission used up its "
                    f"{options.submission_timeout:.0f} s",
                ),
            )
            continue
        if scenario.warehouse != current:
            if current is not None:
                folder = _next_warehouse(sandbox, scenario, folder)
            current = scenario.warehouse
        env = contract_env(
            source_url=f"http://127.0.0.1:{sandbox.port}/trip-data",
            dbt_dir=sandbox.dir / "dbt",
            warehouse=sandbox.dir / "work" / folder / "taxi.duckdb",
            notifications=sandbox.dir / "work" / folder / "notifications.jsonl",
        )
        command = {
            "op": "run",
            "step": step.id,
            "logical_date": step.logical_date,
            "run_after": step.run_after,
            "env": env,
        }
        step_started = time.monotonic()
        reply = sandbox.command("run", command, min(options.run_timeout, left), faults=step.faults)
        item = StepEvidence(step, reply, seconds=time.monotonic() - step_started)
        item.run, item.run_error = _run_report(reply)
        item.copied = sandbox.collect(step, folder)
        item.notifications, item.notifications_error = sandbox.notifications(folder)
        evidence.steps[step.id] = item
        if reply.status != "ok":
            crashes += 1
            alive = crashes <= options.max_restarts and _restart(sandbox, options)


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
    inspect = {"op": "inspect", "retry_delay": options.retry_delay_seconds}
    reply = sandbox.command("inspect", inspect, options.startup_timeout)
    snapshot, _ = _snapshot(reply)
    return snapshot is not None and snapshot.dag is not None


def _snapshot(reply: StepReply) -> tuple[DagSnapshot | None, str | None]:
    if reply.status != "ok" or not reply.harness:
        return None, reply.detail or reply.status
    try:
        return DagSnapshot.model_validate(reply.harness.get("snapshot") or {}), None
    except ValidationError as err:
        return None, f"the sandbox reported an unreadable DAG snapshot: {str(err)[:300]}"


def _run_report(reply: StepReply) -> tuple[RunReport | None, str | None]:
    if reply.status != "ok" or not reply.harness:
        return None, reply.detail or reply.status
    try:
        return RunReport.model_validate(reply.harness.get("run") or {}), None
    except ValidationError as err:
        return None, f"the sandbox reported an unreadable run: {str(err)[:300]}"


def _probe(sandbox: Sandbox, evidence: SandboxEvidence) -> None:
    """Read the copied warehouses and metadata DBs in a separate process (they are untrusted)."""
    requests = []
    for step_id, item in evidence.steps.items():
        copied = item.copied
        requests.append(
            {
                "id": step_id,
                "warehouse": copied.get("warehouse"),
                "metadata": copied.get("metadata"),
                "run_id": item.run.run_id if item.run else None,
                "schema": SCHEMA,
            }
        )
    if not requests:
        return
    try:
        result = subprocess.run(
            [sys.executable, "-m", "autograder.probe"],
            input=json.dumps(requests),
            capture_output=True,
            text=True,
            timeout=300,
            env=_base_env(sandbox.evidence_dir),
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
