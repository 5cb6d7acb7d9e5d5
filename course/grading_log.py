"""The grading report: per student, what happened in the last `course grade` and why.

Written by `course grade` (grading/report.json, atomically), read by the exporter and by
`course status`. It is the one place a teacher looks when a score looks wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from course.autograder_results import write_json_atomic
from course.errors import CourseError

Status = Literal["graded", "repaired", "missing", "failed"]


class StudentReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student: str
    status: Status
    problems: list[str] = Field(default_factory=list)
    tier: str = "none"
    check_score: float = 0.0
    check_max: float = 0.0


class CheckEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    cell: str  # the notebook cell (grade_id) that records it; opaque for hidden checks
    points: float
    tier: str
    hidden: bool


class GradingReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignment: str
    graded_at: str
    checks: list[CheckEntry] = Field(default_factory=list)
    students: dict[str, StudentReport] = Field(default_factory=dict)
    seconds: dict[str, float] = Field(default_factory=dict)  # last run: autograder, autograde
    isolation: str = ""  # last run: the sandbox the autograder ran in ("" if it did not run)
    regrades: list[str] = Field(default_factory=list)  # last run with --regrade: what changed
    regrade_report: str | None = None  # ... and the file that keeps it

    def save(self, path: Path) -> None:
        write_json_atomic(path, self.model_dump(mode="json"))

    @classmethod
    def load(cls, path: Path) -> GradingReport | None:
        if not path.exists():
            return None
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CourseError(
                f"{path} is damaged ({str(exc).splitlines()[0]}). Run `course grade` again."
            ) from None
