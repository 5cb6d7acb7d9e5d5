"""Where the course's files live. One nbgrader course root, one assignment.

nbgrader's own directory names are kept (`source/`, `release/`, `submitted/`, `autograded/`,
`feedback/`, `gradebook.db`), so a teacher who knows nbgrader finds everything where they expect.
`grading/` holds what this package adds: the autograder's output and the grading report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

COURSE_ID = "week11"
ASSIGNMENT = "taxi_pipeline"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
DAG_FILE = Path("dags") / "taxi_pipeline.py"
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Course:
    """The paths of one course root (by default `assignment/` in this repository)."""

    root: Path

    @classmethod
    def default(cls) -> Course:
        """`$WEEK11_COURSE_ROOT` if set, else the repository's `assignment/` folder."""
        value = os.environ.get("WEEK11_COURSE_ROOT")
        return cls(Path(value).expanduser().resolve() if value else REPO_ROOT / "assignment")

    @property
    def config_file(self) -> Path:
        return self.root / "nbgrader_config.py"

    @property
    def source(self) -> Path:
        return self.root / "source" / ASSIGNMENT

    @property
    def release(self) -> Path:
        return self.root / "release" / ASSIGNMENT

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback_release(self) -> Path:
        """nbgrader's `feedback/` folder: the pages `course feedback` generates and releases."""
        return self.root / "feedback"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    @property
    def grading(self) -> Path:
        return self.root / "grading"

    @property
    def checks_out(self) -> Path:
        """The autograder's output folder (grades.csv, results/, feedback/, summary.json)."""
        return self.grading / "checks"

    @property
    def autograder_inputs(self) -> Path:
        """One copy per student of what they submitted, the autograder's SUBMISSIONS_DIR."""
        return self.grading / "inputs"

    @property
    def bridge_dir(self) -> Path:
        """Per-student check results in the one small format the notebook's check cells read."""
        return self.grading / "bridge"

    @property
    def repaired_name(self) -> str:
        """nbgrader `submitted_directory` (relative to root) for the submissions we repaired."""
        return "grading/repaired"

    @property
    def grading_log(self) -> Path:
        """The grading report of the last `course grade` (course/grading_log.py)."""
        return self.grading / "report.json"

    @property
    def grades_csv(self) -> Path:
        return self.root / "grades.csv"

    def submission(self, student: str) -> Path:
        return self.submitted / student / ASSIGNMENT

    def autograded_notebook(self, student: str) -> Path:
        return self.autograded / student / ASSIGNMENT / NOTEBOOK

    def feedback_html(self, student: str) -> Path:
        return self.feedback_release / student / ASSIGNMENT / f"{ASSIGNMENT}.html"

    def submitted_students(self) -> list[str]:
        """Students with a collected submission, sorted."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.parent.name for p in self.submitted.glob(f"*/{ASSIGNMENT}") if p.is_dir())
