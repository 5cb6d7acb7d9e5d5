"""Grading options: nonsense is refused, defaults resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.options import GradingOptions


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        GradingOptions(latest_month="2025-13")
    with pytest.raises(ValueError):
        GradingOptions(memory_mb=10)
    assert GradingOptions(cache_dir=Path("/x")).resolved_cache_dir() == Path("/x")
