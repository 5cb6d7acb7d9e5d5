"""`course release`: nbgrader's generate + release, plus the stubbing nbgrader does not do.

nbgrader clears solutions in notebooks only. Every `.py` file of source/ with solution regions
(the DAG) is written to release/ with stubs instead (course/stubs.py), and the release is then
checked before anything reaches the exchange: no solution marker and no line of solution code
anywhere, and the stubbed DAG still imports in Airflow with dag id `taxi_pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from course import stubs
from course.dagcheck import parse_dags
from course.errors import CourseError
from course.layout import Course
from course.nbapi import Nbgrader

TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".sql", ".yml", ".yaml", ".ini", ".txt", ".cfg", ".toml"}


@dataclass(frozen=True)
class ReleaseReport:
    stubbed: dict[str, int]  # file (relative) -> number of regions replaced
    files: list[str]
    released_to: Path


def stub_python_files(course: Course) -> dict[str, int]:
    """Replace the solution regions of every source .py file in its release copy."""
    stubbed: dict[str, int] = {}
    for source in sorted(course.source.rglob("*.py")):
        relative = source.relative_to(course.source)
        target = course.release / relative
        if not target.exists():
            continue  # ignored by nbgrader (e.g. __pycache__)
        if count := stubs.strip_file(source, target):
            stubbed[relative.as_posix()] = count
    return stubbed


def verify_release(course: Course) -> list[str]:
    """Problems that must stop a release: solution text in any released file."""
    problems: list[str] = []
    for path in sorted(course.release.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        relative = path.relative_to(course.release).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        if stubs.MARKER.search(text) or "BEGIN HIDDEN TESTS" in text:
            problems.append(f"release/{relative} still contains a solution or hidden-test marker")
        source = course.source / relative
        if path.suffix == ".py" and source.exists():
            leaked = stubs.leaked_solution_lines(text, source.read_text(encoding="utf-8"))
            if leaked:
                problems.append(f"release/{relative} contains solution code: {leaked[:3]}")
    return problems


def verify_release_dag(course: Course) -> None:
    parsed = parse_dags(course.release / "dags")
    if parsed["import_errors"] or "taxi_pipeline" not in parsed["dag_ids"]:
        errors = "\n".join(f"{k}: {v}" for k, v in parsed["import_errors"].items())
        raise CourseError(
            "the released DAG stub does not import in Airflow, so students would start from a "
            f"broken file. Fix the stub comments in source/dags:\n{errors or parsed}"
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
    progress("stubbing solution regions in .py files")
    stubbed = stub_python_files(course)
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
    return ReleaseReport(stubbed=stubbed, files=files, released_to=course.exchange)
