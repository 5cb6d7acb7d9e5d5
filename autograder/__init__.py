"""The Week 11 autograder: runs students' `taxi_pipeline` DAGs in sandboxes and grades them.

Python API (stable; the nbgrader course and the CLI use it):

    from autograder import GradingOptions, grade_class, grade_submission

    result = grade_submission(Path("subs/ada"), GradingOptions(public_only=True))
    result.score, result.max_score, result.tier, result.checks  # CheckResult per check

    grade_class(Path("subs"), Path("out"), jobs=2)  # writes out/grades.csv, results/, ...

Where code runs shows in the tree: `inside/` runs in the sandbox, next to the student's code;
everything else runs in the grader's (parent) processes. See docs/autograder.md for the check
ids, the tiers and the results format.

The names below are loaded on first use, so that `python -m autograder.inside.harness` (which
imports this package first) loads none of the grading code into the sandbox.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.errors import AutograderError
    from autograder.grading import __version__, grade_class, grade_submission, grader_version
    from autograder.options import GradingOptions
    from autograder.results import CheckResult, ClassResult, SubmissionResult

_EXPORTS = {
    "AutograderError": "autograder.errors",
    "CheckResult": "autograder.results",
    "ClassResult": "autograder.results",
    "GradingOptions": "autograder.options",
    "SubmissionResult": "autograder.results",
    "__version__": "autograder.grading",
    "grade_class": "autograder.grading",
    "grade_submission": "autograder.grading",
    "grader_version": "autograder.grading",
}
__all__ = [
    "AutograderError",
    "CheckResult",
    "ClassResult",
    "GradingOptions",
    "SubmissionResult",
    "__version__",
    "grade_class",
    "grade_submission",
    "grader_version",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
