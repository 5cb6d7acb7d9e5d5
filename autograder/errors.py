"""The autograder's one domain error. `cli.py` turns it into a message and an exit code."""

from __future__ import annotations


class AutograderError(Exception):
    """A problem the teacher or student can fix (a wrong path, a bad option, a broken setup).

    The message says what is wrong, where, and how to fix it. Real bugs raise other exceptions
    and keep their traceback.
    """
