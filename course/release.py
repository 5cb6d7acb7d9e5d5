"""`course release`: nbgrader's generate + release, with the release checked in between.

nbgrader clears solutions in notebooks only; the DAG in source/ is already the stub generated
from the reference (course/stubs.py, written whenever the nbgrader configuration is read). Before
anything reaches the exchange the release is checked anyway: no solution or hidden-test marker
and no line of the reference's solution code in any file, and the stub DAG still imports in
Airflow with dag id `taxi_pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from course import stubs
from course.dagcheck import parse_dags
from course.errors import CourseError
from course.layout import DAG_FILE, Course
from course.nbapi import Nbgrader

TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".sql", ".yml", ".yaml", ".ini", ".txt", ".cfg", ".toml"}


@dataclass(frozen=True)
class ReleaseReport:
    stubbed: dict[str, int]  # file (relative) -> number of solution regions it has as stubs
    files: list[str]
    released_to: Path


def stubbed_regions(reference: Path = stubs.REFERENCE_DAG) -> dict[str, int]:
    """How many solution regions of the reference are stubs in the released DAG."""
    regions = stubs.find_regions(reference.read_text(encoding="utf-8"), str(reference))
    return {DAG_FILE.as_posix(): len(regions)}


def verify_release(course: Course, reference: Path = stubs.REFERENCE_DAG) -> list[str]:
    """Problems that must stop a release: solution text in any released file."""
    problems: list[str] = []
    solution = reference.read_text(encoding="utf-8")
    for path in sorted(course.release.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        relative = path.relative_to(course.release).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        if stubs.MARKER.search(text) or "BEGIN HIDDEN TESTS" in text:
            problems.append(f"release/{relative} still contains a solution or hidden-test marker")
        if path.suffix == ".py":
            leaked = stubs.leaked_solution_lines(text, solution)
            if leaked:
                problems.append(f"release/{relative} contains solution code: {leaked[:3]}")
    return problems


def verify_release_dag(course: Course) -> None:
    parsed = parse_dags(course.release / "dags")
    if parsed["import_errors"] or "taxi_pipeline" not in parsed["dag_ids"]:
        errors = "\n".join(f"{k}: {v}" for k, v in parsed["import_errors"].items())
        raise CourseError(
            "the released DAG stub does not import in Airflow, so students would start from a "
            f"broken file. Fix the solution markers in {stubs.REFERENCE_DAG}:\n{errors or parsed}"
        )


def zip_release(course: Course) -> Path:
    """<root>/taxi_pipeline.zip of the release folder, for students without the exchange."""
    import shutil

    target = course.root / f"{course.release.name}.zip"
    made = shutil.make_archive(
        str(target.with_suffix("")), "zip", course.release.parent, course.release.name
    )
    return Path(made)


def release(course: Course, progress: Callable[[str], None] = lambda _m: None) -> ReleaseReport:
    nb = Nbgrader(course)
    progress("nbgrader generate_assignment")
    step = nb.generate_assignment()
    if not step.success:
        hint = ""
        if "Cannot add or remove cells" in step.log + step.error:
            hint = (
                "\nStudents have already been graded on this notebook, and nbgrader refuses to "
                "add or remove graded cells after that. Edit cell text only, or start a new "
                "gradebook for a new cohort."
            )
        raise CourseError(f"generate_assignment failed:\n{step.problem()}{hint}")
    progress("checking the release for solution text")
    if problems := verify_release(course):
        raise CourseError("the release is not safe to hand out:\n" + "\n".join(problems))
    progress("checking that the stub DAG imports in Airflow")
    verify_release_dag(course)
    progress("nbgrader release_assignment")
    step = nb.release_assignment()
    if not step.success:
        raise CourseError(f"release_assignment failed:\n{step.problem()}")
    files = sorted(
        p.relative_to(course.release).as_posix() for p in course.release.rglob("*") if p.is_file()
    )
    return ReleaseReport(stubbed=stubbed_regions(), files=files, released_to=course.exchange)
