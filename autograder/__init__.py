"""The Week 11 autograder: runs students' `taxi_pipeline` DAGs in sandboxes and grades them.

Python API (stable; the nbgrader course and the CLI use it):

    from autograder import GradingOptions, grade_class, grade_submission

    result = grade_submission(Path("subs/ada"), GradingOptions(public_only=True))
    result.score, result.max_score, result.tier, result.checks  # CheckResult per check

    grade_class(Path("subs"), Path("out"), jobs=2)  # writes out/grades.csv, results/, ...

See docs/autograder.md for the check ids, the tiers and the results format.
"""

from autograder.errors import AutograderError
from autograder.grading import __version__, grade_class, grade_submission, grader_version
from autograder.options import GradingOptions
from autograder.results import CheckResult, ClassResult, SubmissionResult

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
