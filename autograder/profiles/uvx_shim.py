"""The `uvx` a template sandbox finds on its PATH: a two-line script that runs
`autograder.inside.uvx` (the installed dbt, offline) with the venv's Python."""

from __future__ import annotations

import sys
from pathlib import Path


def write_shim(folder: Path) -> Path:
    """Write `folder/uvx` and return it; put `folder` first on the sandbox's PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "uvx"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -s -m autograder.inside.uvx "$@"\n')
    shim.chmod(0o755)
    return shim
