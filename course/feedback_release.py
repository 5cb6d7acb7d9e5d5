"""`course feedback`: nbgrader's feedback HTML for every graded student, checked for leaks, then
released to the exchange (students get it with `nbgrader fetch_feedback` or the Assignments tab).

nbgrader's feedback shows every cell's source and output. Our notebook keeps secret checks out of
its cells (they live in the autograder), and the bridge never prints a hidden check's output. As
a last guard, nothing is released if any feedback file contains a hidden check's id or output, a
hidden test marker, or anything the autograder declares secret (expected checksums, fault plans,
drawn from the teacher's secret when course.toml names one).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course import autograder_link
from course.errors import CourseError
from course.layout import Course
from course.nbapi import Nbgrader
from course.settings import load_settings

MIN_SECRET_LENGTH = 12  # shorter lines ("failed", "0 rows") say nothing secret and occur anyway


@dataclass(frozen=True)
class FeedbackReport:
    generated: list[str]
    released: list[str]
    failed: dict[str, str] = field(default_factory=dict)
    send_yourself: list[Path] = field(default_factory=list)  # handed in outside the exchange


def hidden_outputs(results_dir: Path) -> set[str]:
    """Every line of a hidden check's output (its message, hint, log) that no public check of
    any student also prints: a shared line such as "The DAG file has a syntax error" is
    public already."""
    hidden: set[str] = set()
    public: set[str] = set()
    for path in sorted(results_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for test in data.get("tests", []):
            lines = {line.strip() for line in str(test.get("output", "")).splitlines()}
            if test.get("visibility", "visible") == "visible":
                public |= lines
            else:
                hidden |= lines
    return hidden - public


def find_leaks(html_files: Iterable[Path], secrets: Iterable[str]) -> list[str]:
    """`file: what` for every secret (or hidden-test marker) found in a feedback file."""
    needles = {s.strip() for s in secrets if len(s.strip()) >= MIN_SECRET_LENGTH}
    needles |= {"BEGIN HIDDEN TESTS", "END HIDDEN TESTS"}
    found = []
    for path in html_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in sorted(needles):
            if needle in text or html.escape(needle) in text or html.escape(needle, False) in text:
                found.append(f"{path}: {needle[:80]!r}")
    return found


def feedback(
    course: Course,
    students: Sequence[str] | None = None,
    release: bool = True,
    progress: Callable[[str], None] = lambda _m: None,
) -> FeedbackReport:
    graded = sorted(p.parent.parent.name for p in course.autograded.glob("*/taxi_pipeline/*.ipynb"))
    chosen = [s for s in (students or graded) if s in graded]
    if not chosen:
        raise CourseError("no autograded submissions: run `course grade` first.")
    nb = Nbgrader(course)
    generated, failed = [], {}
    for student in chosen:
        progress(f"nbgrader generate_feedback: {student}")
        step = nb.generate_feedback(student)
        if step.success and course.feedback_html(student).exists():
            generated.append(student)
        else:
            failed[student] = step.problem()
    secrets = (
        hidden_outputs(course.checks_out / "results")
        | set(autograder_link.secrets(load_settings(course.root).autograder.secret_file))
        | {check.id for check in autograder_link.registry() if check.hidden}
    )
    leaks = find_leaks(sorted(course.feedback_release.glob("*/taxi_pipeline/*.html")), secrets)
    if leaks:
        raise CourseError(
            "feedback NOT released: these files show hidden test content:\n"
            + "\n".join(leaks[:20])
            + "\nFind which cell prints it (course/bridge.py, or a test cell of the notebook)."
        )
    released: list[str] = []
    send_yourself: list[Path] = []
    if release:
        for student in generated:
            if not (course.feedback_html(student).parent / "submission_secret.txt").exists():
                # Handed in outside the exchange (course import-handins): nbgrader cannot route
                # feedback back to that student; the teacher sends the page.
                send_yourself.append(course.feedback_html(student))
                continue
            step = nb.release_feedback(student)
            if step.success:
                released.append(student)
            else:
                failed[student] = f"release_feedback: {step.problem()}"
    return FeedbackReport(generated, released, failed, send_yourself)
