"""The gate's sandbox, parent side: start `gate/inside.py` walled off, hand it files, collect.

The walls, from outside in:
- `unshare --net --pid --fork --kill-child`: no network at all, its own PID namespace (when
  the sandbox ends, the kernel ends everything a DAG file started); as a normal user the same
  with `--map-root-user`. Without `unshare` it still runs, with a warning in the report;
- a clean environment: no class secrets, a throwaway AIRFLOW_HOME and SQLite path;
- per file (in `inside.py`): its own session, rlimits, the `nobody` user when run as root, and
  a wall-clock limit that ends with SIGKILL.
The parent never imports a student's file; it reads JSON lines and validates them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from class_airflow.paths import REPO_ROOT

NOBODY = 65534
_FLAGS = ["--net", "--pid", "--fork", "--kill-child"]


@dataclass(frozen=True)
class ImportJob:
    id: str
    file: Path
    bundle_root: Path


@dataclass
class ImportEvidence:
    """What importing one file did, as reported by the sandbox (validated shape only)."""

    status: str  # ok | timeout | died | fatal | lost
    dag_ids: list[str] = field(default_factory=list)
    dag_files: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    fatal: str = ""
    detail: str = ""
    output: str = ""
    seconds: float = 0.0

    @classmethod
    def from_reply(cls, reply: dict) -> ImportEvidence:
        def strings(value) -> list[str]:
            return [str(v) for v in value] if isinstance(value, list) else []

        def mapping(value) -> dict[str, str]:
            return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

        status = str(reply.get("status", "lost"))
        return cls(
            status=status if status in ("ok", "timeout", "died", "fatal") else "lost",
            dag_ids=strings(reply.get("dag_ids")),
            dag_files=mapping(reply.get("dag_files")),
            errors=mapping(reply.get("errors")),
            fatal=str(reply.get("fatal", "")),
            detail=str(reply.get("detail", "")),
            output=str(reply.get("output", ""))[-4000:],
            seconds=float(reply.get("seconds", 0) or 0),
        )


@cache
def _unshare_prefix() -> tuple[str, ...] | None:
    unshare = shutil.which("unshare")
    if not unshare:
        return None
    variants = [[unshare, *_FLAGS]] if os.geteuid() == 0 else []
    variants.append([unshare, "--map-root-user", *_FLAGS])
    for prefix in variants:
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=20).returncode == 0:
                return tuple(prefix)
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def isolation_warning() -> str | None:
    if _unshare_prefix() is None:
        return (
            "the gate ran without network and PID namespaces (`unshare` is missing or not "
            "allowed here): DAG files were still imported as a separate user with limits"
        )
    return None


def _environment(home: Path, timeout: float) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": f"{max(1.0, timeout - 1):g}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }


def import_files(
    jobs: list[ImportJob], timeout: float = 10.0, memory_mb: int = 768, parallel: int = 2
) -> dict[str, ImportEvidence]:
    """Import every job's file in the sandbox; evidence per job id (status 'lost' if the
    sandbox itself failed before answering for it)."""
    if not jobs:
        return {}
    uid = NOBODY if os.geteuid() == 0 else None
    with tempfile.TemporaryDirectory(prefix="class-gate-") as tmp:
        home = Path(tmp)
        (home / "airflow").mkdir()
        if uid is not None:
            # The parse itself runs as nobody; it may need to write Airflow's scratch files.
            os.chown(home, uid, uid)
            os.chown(home / "airflow", uid, uid)
        prefix = list(_unshare_prefix() or ())
        setup = {
            "jobs": [
                {"id": j.id, "file": str(j.file), "bundle_root": str(j.bundle_root)} for j in jobs
            ],
            "timeout": timeout,
            "memory_mb": memory_mb,
            "uid": uid,
            "parallel": parallel,
        }
        log = (home / "sandbox.log").open("w+b")
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "class_airflow.gate.inside"],
            env=_environment(home, timeout),
            cwd=home,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
        replies: dict[str, ImportEvidence] = {}
        try:
            process.stdin.write((json.dumps(setup) + "\n").encode())
            process.stdin.close()
            deadline = time.monotonic() + 60 + timeout * (len(jobs) / parallel + 1)
            for line in _lines(process, deadline):
                try:
                    reply = json.loads(line)
                except ValueError:
                    continue
                if isinstance(reply, dict) and reply.get("id") in setup_ids(jobs):
                    replies[reply["id"]] = ImportEvidence.from_reply(reply)
                if len(replies) == len(jobs):
                    break  # no need to wait for Airflow's interpreter teardown
        finally:
            _end(process)
            log.seek(0)
            problem = log.read()[-2000:].decode(errors="replace")
            log.close()
        for job in jobs:
            replies.setdefault(
                job.id,
                ImportEvidence(
                    status="lost", detail=problem.strip() or "the sandbox gave no answer"
                ),
            )
        return replies


def setup_ids(jobs: list[ImportJob]) -> set[str]:
    return {job.id for job in jobs}


def _lines(process: subprocess.Popen, deadline: float):
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    while time.monotonic() < deadline:
        if not selector.select(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
            if process.poll() is not None:
                break
            continue
        chunk = os.read(process.stdout.fileno(), 1 << 16)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line
    selector.close()


def _end(process: subprocess.Popen) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    if process.stdout:
        process.stdout.close()
