"""Grading options: nonsense is refused, defaults resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.options import GradingOptions, memory_scratch


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        GradingOptions(latest_month="2025-13")
    with pytest.raises(ValueError):
        GradingOptions(memory_mb=10)
    assert GradingOptions(cache_dir=Path("/x")).resolved_cache_dir() == Path("/x")


def test_sandboxes_go_where_the_teacher_says_else_to_memory_only_when_it_is_a_tmpfs(
    tmp_path: Path,
) -> None:
    assert GradingOptions(scratch_dir=tmp_path).resolved_scratch_dir() == tmp_path
    # A folder that is not itself a tmpfs mount is never taken for one.
    assert memory_scratch(tmp_path) is None
    assert memory_scratch(tmp_path / "missing") is None
    mounts = Path("/proc/self/mounts").read_text().split("\n")
    shm_is_tmpfs = any(line.split()[1:3] == ["/dev/shm", "tmpfs"] for line in mounts if line)
    if not shm_is_tmpfs:
        assert memory_scratch() is None
