"""Reporters turn results into views. They never run anything and never change a score.

Per student (written as soon as the student is graded, atomically):
  results/<student>.json   Gradescope autograder results format (teacher: every check)
  feedback/<student>.md    for the student: public checks in full, hidden ones as a count
  feedback/<student>.html  the same, as a page (templates/feedback.html.j2)
Per class (rebuilt from all results at the end, atomically):
  grades.csv, summary.json, class_report.html, pass_rates.png
In the terminal (terminal.py): `autograder check`'s report and `autograder list-checks`.
"""

from __future__ import annotations

from pathlib import Path

from autograder.options import GradingOptions
from autograder.reporters import class_report, feedback, gradebook, gradescope
from autograder.results import ClassResult, SubmissionResult


def write_student_outputs(out_dir: Path, result: SubmissionResult, options: GradingOptions) -> None:
    gradescope.write_result(out_dir, result)
    feedback.write_feedback(out_dir, result, options)


def write_class_outputs(out_dir: Path, result: ClassResult, options: GradingOptions) -> None:
    gradebook.write_gradebook(out_dir, result)
    gradebook.write_summary(out_dir, result)
    class_report.write_class_report(out_dir, result)
