"""The one error type of the course package: a problem the teacher can fix, shown as a message."""

from __future__ import annotations


class CourseError(Exception):
    """Something the teacher can fix. The message says what, where and how."""
