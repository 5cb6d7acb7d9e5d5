"""Environment variables set for the length of a `with` block (the pipeline reads its settings
from the environment when a task runs, so a check or a test run points it elsewhere this way)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def temporary_env(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in `os.environ`, and put back what was there (or nothing) afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
