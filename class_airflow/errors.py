"""The one domain error of the class Airflow; the CLI turns it into a message and an exit code."""

from __future__ import annotations


class ClassError(Exception):
    """A problem the teacher can fix: the message says what is wrong, where, and the fix.

    Real bugs raise other exceptions and keep their traceback.
    """
