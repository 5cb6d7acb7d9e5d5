"""nbgrader, driven through its Python API (`NbGraderAPI`), with the course's config loaded.

In-process rather than one `nbgrader ...` subprocess per step and student: nbgrader's start-up
costs ~3.5 s per command, which adds up over a class of 30.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from course.errors import CourseError
from course.layout import ASSIGNMENT, COURSE_ID, Course


@dataclass(frozen=True)
class StepResult:
    """One nbgrader step: did it work, and what it logged."""

    success: bool
    log: str
    error: str = ""

    def problem(self, limit: int = 12) -> str:
        """The lines of the log (or traceback) that say what went wrong."""
        lines = [
            line
            for line in (self.log + "\n" + self.error).splitlines()
            if "ERROR" in line or "CRITICAL" in line or "Error" in line or "Exception" in line
        ]
        return "\n".join(lines[-limit:]) or (self.error or self.log)[-2000:]


def ensure_tools_on_path() -> None:
    """nbgrader runs the `alembic` command by name when it creates a gradebook; without the
    venv's bin/ on PATH that fails with "No such file or directory: 'alembic'"."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


def open_gradebook(course: Course):
    """nbgrader's Gradebook of the course (created on first use), for a `with` block."""
    from nbgrader.api import Gradebook

    ensure_tools_on_path()
    return Gradebook(course.db_url, COURSE_ID)


def load_config(course: Course):
    from traitlets.config.loader import PyFileConfigLoader

    if not course.config_file.exists():
        raise CourseError(
            f"{course.config_file} does not exist. Pass --root with the course folder (the one "
            "with nbgrader_config.py), or set WEEK11_COURSE_ROOT to it."
        )
    return PyFileConfigLoader(course.config_file.name, path=str(course.root)).load_config()


class Nbgrader:
    """The nbgrader steps the teacher commands need, each returning a StepResult."""

    def __init__(self, course: Course) -> None:
        ensure_tools_on_path()
        # nbgrader's gradebook code trips SQLAlchemy's autoflush warnings on a first autograde;
        # they are about nbgrader's internals and say nothing a teacher can act on.
        from sqlalchemy.exc import SAWarning

        warnings.filterwarnings("ignore", category=SAWarning)
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        self.course = course
        self.config = load_config(course)
        self.coursedir = CourseDirectory(config=self.config)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=self.config)

    @staticmethod
    def ignore_patterns(course: Course) -> list[str]:
        """The course's `CourseDirectory.ignore`: files never copied around (warehouse, ...)."""
        from nbgrader.coursedir import CourseDirectory

        return list(CourseDirectory(config=load_config(course)).ignore)

    @staticmethod
    def _result(raw: dict) -> StepResult:
        return StepResult(bool(raw.get("success")), raw.get("log", ""), raw.get("error", ""))

    @contextlib.contextmanager
    def _attrs(self, **values: str) -> Iterator[None]:
        from nbgrader.utils import temp_attrs

        with temp_attrs(self.coursedir, **values):
            yield

    def _exchange_app(self, name: str, **values: object) -> StepResult:
        """Run an exchange step with options the API does not expose (e.g. force)."""
        from nbgrader.utils import capture_log

        app = getattr(self.api.exchange, name)(
            coursedir=self.coursedir, authenticator=self.api.authenticator, parent=self.api
        )
        for key, value in values.items():
            setattr(app, key, value)
        return self._result(capture_log(app))

    def generate_assignment(self) -> StepResult:
        return self._result(self.api.generate_assignment(ASSIGNMENT, force=True, create=True))

    def release_assignment(self) -> StepResult:
        with self._attrs(assignment_id=ASSIGNMENT):
            return self._exchange_app("ReleaseAssignment", force=True)

    def collect(self) -> StepResult:
        return self._result(self.api.collect(ASSIGNMENT, update=True))

    def autograde(self, student: str, submitted_directory: str | None = None) -> StepResult:
        if submitted_directory is None:
            return self._result(self.api.autograde(ASSIGNMENT, student, force=True, create=True))
        with self._attrs(submitted_directory=submitted_directory):
            return self._result(self.api.autograde(ASSIGNMENT, student, force=True, create=True))

    def generate_feedback(self, student: str) -> StepResult:
        return self._result(self.api.generate_feedback(ASSIGNMENT, student, force=True))

    def release_feedback(self, student: str) -> StepResult:
        with self._attrs(assignment_id=ASSIGNMENT, student_id=student):
            return self._exchange_app("ReleaseFeedback")

    def export(self, to: Path) -> StepResult:
        """What `nbgrader export` does with the course's plugin, without its start-up."""
        import traceback

        from course.export import GradesCsvExport

        plugin = GradesCsvExport(config=self.config, to=str(to))
        try:
            with self.api.gradebook as gb:
                plugin.export(gb)
        except Exception:  # the plugin's own errors, reported like nbgrader's steps
            return StepResult(False, "", traceback.format_exc())
        return StepResult(True, f"exported to {to}")
