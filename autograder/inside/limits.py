"""The rlimits of a harness, set by whoever starts it (the supervisor, or the warm start)."""

from __future__ import annotations

import resource


def apply_limits(limits: dict) -> None:
    """The harness's rlimits: memory, file size, CPU time, no core dumps, processes."""
    pairs = [
        (resource.RLIMIT_AS, limits["memory_bytes"]),
        (resource.RLIMIT_FSIZE, limits["file_bytes"]),
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_CORE, 0),
    ]
    if limits.get("processes"):
        pairs.append((resource.RLIMIT_NPROC, limits["processes"]))
    for which, value in pairs:
        resource.setrlimit(which, (value, value))
