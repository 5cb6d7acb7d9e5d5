"""A student's side of the local exchange: the nbgrader config a student's folder needs.

On JupyterHub the admin configures this once for everyone. On one machine (a teacher trying the
loop, a classroom lab, the end-to-end test) each student folder gets its own nbgrader_config.py,
and `nbgrader fetch_assignment / submit / fetch_feedback` run from that folder.
"""

from __future__ import annotations

from pathlib import Path

from course.layout import COURSE_ID, Course
from course.nbapi import Nbgrader


def student_config(course: Course) -> str:
    ignore = Nbgrader.ignore_patterns(course)
    return (
        '"""nbgrader settings for a student of week11 on this machine (written by `course\n'
        'student-setup`). Run nbgrader fetch_assignment / submit / fetch_feedback here."""\n\n'
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(course.exchange)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        "# What running the pipeline leaves behind is not handed in.\n"
        f"c.CourseDirectory.ignore = {ignore!r}\n"
    )


def setup_student(course: Course, folder: Path) -> Path:
    """Write `folder`/nbgrader_config.py for a student using this course's local exchange."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nbgrader_config.py"
    path.write_text(student_config(course), encoding="utf-8")
    return path
