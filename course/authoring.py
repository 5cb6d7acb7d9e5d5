"""Keeping the source notebook's check cells in step with the autograder's checks."""

from __future__ import annotations

import os
import tempfile

import nbformat

from course import autograder_link
from course.assignment_notebook import sync_check_cells
from course.layout import NOTEBOOK, Course


def sync_source_notebook(course: Course) -> bool:
    """Regenerate the check cells of source/taxi_pipeline.ipynb. True if the file changed."""
    path = course.source / NOTEBOOK
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    synced = sync_check_cells(nb, autograder_link.registry())
    after = nbformat.writes(synced) + "\n"
    if after == before:
        return False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(after)
    os.replace(tmp, path)
    return True
