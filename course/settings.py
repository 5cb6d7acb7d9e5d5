"""The course's own settings, `course.toml` in the course root: what nbgrader has no place for.

One small typed file, read by every `course` command: the due date and the late policy
(`[deadline]`), the pass mark and the grade per tier (`[grades]`), the manual rubric
(`[rubric.<item>]`), and where the hidden checks' secret is (`[autograder]`). nbgrader's own
options stay in `nbgrader_config.py`. A typo'd key or a wrong value stops the command with
`course.toml: section.key: what` and the fix, never a silent default (nbgrader's traitlets
config only warns about unknown options).
"""

from __future__ import annotations

import math
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from course.errors import CourseError

SETTINGS_FILE = "course.toml"
TIER_ORDER = ("none", "minimum", "target", "stretch")
LatePolicy = Literal["exclude", "penalty"]
Tier = Literal["none", "minimum", "target", "stretch"]


class Deadline(BaseModel):
    """When the assignment is due, and what happens to work handed in after that."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    due: datetime | None = None  # None: no due date, nothing is late
    timezone: str = "UTC"
    late_policy: LatePolicy = "exclude"
    penalty_per_day: float = Field(default=0.10, ge=0, le=1)
    max_penalty: float = Field(default=1.0, ge=0, le=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone; use an IANA name such as 'Europe/Amsterdam'"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def aware(self, moment: datetime) -> datetime:
        """`moment` with a time zone: one without an offset is read in the course's zone."""
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    @property
    def due_utc(self) -> datetime | None:
        return None if self.due is None else self.aware(self.due).astimezone(UTC)

    def late_fraction(self, seconds_late: float) -> float:
        """The share of the score a hand-in this late loses (0 when on time).

        `exclude`: late work is not graded at all, so if it reaches the gradebook it loses all.
        `penalty`: `penalty_per_day` per started day, at most `max_penalty`.
        """
        if seconds_late <= 0:
            return 0.0
        if self.late_policy == "exclude":
            return 1.0
        days = math.ceil(seconds_late / timedelta(days=1).total_seconds())
        return round(min(self.max_penalty, days * self.penalty_per_day), 4)

    def describe(self) -> str:
        if self.due_utc is None:
            return "no due date set (course.toml [deadline] due): nothing is late"
        local = self.aware(self.due).astimezone(self.zone)
        rule = (
            "late work is not collected"
            if self.late_policy == "exclude"
            else f"late work loses {self.penalty_per_day:.0%} per started day "
            f"(at most {self.max_penalty:.0%})"
        )
        return f"due {local:%Y-%m-%d %H:%M} {self.timezone}; {rule}"


class Grades(BaseModel):
    """How a total becomes a grade: the pass mark, and the grade each tier earns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pass_mark: float = Field(default=50.0, ge=0, le=100)  # percent of all points, after penalty
    pass_tier: Tier = "minimum"
    fail_grade: str = "F"
    count_quiz: bool = False  # the quiz's points count toward the total
    tier_grades: dict[Tier, str] = Field(
        default_factory=lambda: {"minimum": "C", "target": "B", "stretch": "A"}
    )

    @model_validator(mode="after")
    def _every_passing_tier_has_a_grade(self) -> Grades:
        needed = TIER_ORDER[TIER_ORDER.index(self.pass_tier) :]
        missing = [t for t in needed if t not in self.tier_grades]
        if missing:
            raise ValueError(
                f"tier_grades has no grade for {', '.join(missing)}, a tier that can pass "
                f'(pass_tier is {self.pass_tier!r}); add e.g. {missing[0]} = "C"'
            )
        return self


class RubricItem(BaseModel):
    """One part of the hand-in scored by hand (the criteria are in lesson_plan/assessment.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: float = Field(gt=0)
    title: str = ""
    minutes: float = Field(default=0, ge=0)  # the lesson plan's estimate, per student


class AutograderSettings(BaseModel):
    """What `course grade` passes to the autograder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The file holding the secret the hidden checks' months and faults are drawn from (see
    # autograder/secret.py). Unset: $AUTOGRADER_SECRET, else the public values.
    secret_file: Path | None = None
    # Which conventions the submissions follow: "plain" (assignment/CONTRACT.md), "template"
    # (the course's Astro project template, issue #13), "auto" (each submission's shape).
    profile: Literal["auto", "plain", "template"] = "auto"

    @field_validator("secret_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        value = value.expanduser()
        if not value.is_absolute():
            raise ValueError(
                f"{str(value)!r} is a relative path; give the absolute path of a file outside "
                'the repository, e.g. secret_file = "~/.config/week11/secret"'
            )
        return value


class CourseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    deadline: Deadline = Field(default_factory=Deadline)
    grades: Grades = Field(default_factory=Grades)
    rubric: dict[str, RubricItem] = Field(default_factory=dict)
    autograder: AutograderSettings = Field(default_factory=AutograderSettings)

    @field_validator("rubric")
    @classmethod
    def _column_names(cls, value: dict[str, RubricItem]) -> dict[str, RubricItem]:
        for name in value:
            if not name.isidentifier() or name != name.lower():
                raise ValueError(
                    f"rubric item {name!r} must be a lower-case name (letters, digits, _): "
                    "it becomes a column of grades.csv"
                )
        return value


def settings_path(root: Path) -> Path:
    return root / SETTINGS_FILE


def load_settings(root: Path) -> CourseSettings:
    """The course root's course.toml; built-in defaults (no due date) when it has none."""
    path = settings_path(root)
    if not path.exists():
        return CourseSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: not valid TOML: {exc}. Fix the line it names.") from None
    try:
        return CourseSettings.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(str(p) for p in error['loc']) or '(top)'}: "
            f"{error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        ]
        raise CourseError(
            "\n".join(lines) + "\nFix: correct the value (keys and their meaning are "
            "described in the file's comments and docs/assignment.md)."
        ) from None
