"""Grading options: typed defaults, overridable from the CLI or the Python API."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from autograder.scenarios import PUBLIC, HiddenParameters
from autograder.secret import draw

Isolation = Literal["auto", "namespaces", "none"]
Profile = Literal["auto", "plain", "template"]


class GradingOptions(BaseModel):
    """Limits and switches for one grading session. Every field has a safe default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    public_only: bool = Field(
        False, description="Run only the public checks (what `autograder check` does)."
    )
    import_timeout: float = Field(
        30.0, gt=0, description="Seconds the DAG file may take to import (Airflow's own limit)."
    )
    startup_timeout: float = Field(
        180.0, gt=0, description="Seconds for the sandbox to start and import the DAG."
    )
    run_timeout: float = Field(180.0, gt=0, description="Seconds one DAG run may take.")
    submission_timeout: float = Field(
        1200.0, gt=0, description="Seconds all of one submission's runs may take together."
    )
    memory_mb: int = Field(4096, ge=1024, description="Address-space limit per sandbox process.")
    max_processes: int = Field(
        256, ge=32, description="Processes and threads the sandbox user may have."
    )
    max_file_mb: int = Field(256, ge=16, description="Largest file a submission may write.")
    cpu_seconds: int = Field(1200, ge=30, description="CPU seconds per sandbox process.")
    retry_delay_seconds: float = Field(
        0.05, ge=0, description="Retry delay used while grading (the DAG's own is checked first)."
    )
    max_restarts: int = Field(
        2, ge=0, description="Sandbox restarts after a crash or hang before giving up."
    )
    isolation: Isolation = Field(
        "auto",
        description="'auto' and 'namespaces' run each submission in its own network, PID and "
        "mount namespaces and refuse to grade where the host has none; 'none' (asked for by "
        "name, development only) uses plain subprocesses.",
    )
    profile: Profile = Field(
        "auto",
        description="'plain' (CONTRACT.md), 'template' (the course's Astro project template: "
        "the azure_pg connection, the CDN URL, dbt via uvx) or 'auto': each submission's "
        "shape decides, and its feedback says which.",
    )
    latest_month: str = Field(
        "2025-06", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Last month the source serves."
    )
    output_lines: int = Field(25, ge=5, description="Lines of a log shown in feedback.")
    warm_dbt: bool = Field(
        True,
        description="Answer a submission's `dbt` commands (BashOperator, subprocess) from the "
        "sandbox's already imported dbt instead of a new dbt process (same output and exit code).",
    )
    warm_start: bool = Field(
        True,
        description="When a session grades several submissions, fork each sandbox's harness "
        "from one process that has already imported Airflow, dbt and DuckDB "
        "(autograder.inside.zygote); False starts every harness as a new interpreter.",
    )
    dedupe: bool = Field(
        True,
        description="Run identical DAG folders once per session and share the evidence "
        "(deterministic, so the grades are the same).",
    )
    cache_dir: Path | None = Field(None, description="Where the answer key is cached.")
    scratch_dir: Path | None = Field(
        None,
        description="Where the sandboxes' folders are made. None: /dev/shm when it is a memory "
        "file system with room for them, else the system's temporary folder.",
    )
    keep_sandboxes: bool = Field(False, description="Keep sandbox folders (debugging).")
    secret: SecretStr | None = Field(
        None,
        description="The teacher's secret the hidden scenarios' parameters are drawn from "
        "(`autograder.secret.read_secret`); None: the public values of scenarios.py.",
    )

    def hidden_parameters(self) -> HiddenParameters:
        """The hidden scenarios' parameters: drawn from the secret, or the public ones."""
        if self.secret is None:
            return PUBLIC
        return draw(self.secret.get_secret_value(), self.latest_month)

    def resolved_cache_dir(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir.expanduser().resolve()
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base).expanduser().resolve() / "week11-autograder"

    def resolved_scratch_dir(self) -> Path:
        if self.scratch_dir is not None:
            return self.scratch_dir.expanduser().resolve()
        return memory_scratch() or Path(tempfile.gettempdir())


# A DAG run commits to the sandbox's SQLite metadata DB and checkpoints its DuckDB warehouse
# dozens of times, and on a disk each commit waits for its fsync: sandboxes in memory grade a
# class ~6% faster. `grade --jobs 2` holds ~260 MB there at its peak; a container's default
# /dev/shm (64 MB) is too small, so it is used only with this much room.
MEMORY_SCRATCH = Path("/dev/shm")
MEMORY_SCRATCH_MIN_FREE = 2 * 1024**3


def memory_scratch(path: Path = MEMORY_SCRATCH) -> Path | None:
    """`path` when it is a tmpfs mount this process may write to, with room to spare."""
    try:
        with open("/proc/self/mounts", encoding="utf-8") as mounts:
            tmpfs = any(
                fields[1] == str(path) and fields[2] == "tmpfs"
                for fields in (line.split() for line in mounts)
                if len(fields) > 2
            )
        room = os.statvfs(path)
    except OSError:
        return None
    if not tmpfs or not os.access(path, os.W_OK | os.X_OK):
        return None
    return path if room.f_bavail * room.f_frsize >= MEMORY_SCRATCH_MIN_FREE else None
