"""A teacher who types plain `nbgrader generate_assignment taxi_pipeline` in `assignment/` (venv
active, no `course` command) releases the stub DAG and the course's dbt project, and no line of
the reference's solution."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import stubs
from tests.conftest import REPO

BIN = Path(sys.executable).parent
# nbgrader's runtime state and what running things leaves behind: not part of a fresh clone.
NOT_IN_A_CLONE = (
    "exchange",
    "release",
    "submitted",
    "autograded",
    "feedback",
    "grading",
    "gradebook.db",
    "grades.csv",
    "*.zip",
    ".airflow",
    "warehouse",
    "target",
    "logs",
    "__pycache__",
)


def secret_lines(reference: str) -> set[str]:
    """Every line between the markers that the code given to students does not also contain."""
    regions = stubs.find_regions(reference, "dags/taxi_pipeline.py")
    inside = {line.strip() for region in regions for line in region.body if line.strip()}
    given = {
        line.strip()
        for number, line in enumerate(reference.splitlines(), start=1)
        if not any(region.begin <= number <= region.end for region in regions)
    }
    return inside - given


def released_lines(release: Path) -> dict[str, set[str]]:
    """The stripped lines of every released file (a notebook's: its cells' sources)."""
    found: dict[str, set[str]] = {}
    for path in release.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            text = "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
        found[path.relative_to(release).as_posix()] = {line.strip() for line in text.splitlines()}
    return found


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone's `assignment/` (no stub DAG yet) after `nbgrader generate_assignment`."""
    clone = tmp_path_factory.mktemp("clone")
    course = clone / "assignment"
    shutil.copytree(
        REPO / "assignment",
        course,
        symlinks=True,  # the dbt project's links, as git checks them out
        ignore=shutil.ignore_patterns(*NOT_IN_A_CLONE),
    )
    (course / "source" / "taxi_pipeline" / "dags" / "taxi_pipeline.py").unlink(missing_ok=True)
    (clone / "include").symlink_to(REPO / "include")  # where the links point in a clone
    home = clone / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("JUPYTER_CONFIG_DIR", None)
    done = subprocess.run(
        ["nbgrader", "generate_assignment", "taxi_pipeline"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return course / "release" / "taxi_pipeline"


@pytest.mark.slow  # nbgrader's start-up and conversion: ~10 s
def test_plain_nbgrader_releases_no_solution_line(release: Path) -> None:
    secrets = secret_lines(stubs.REFERENCE_DAG.read_text())
    assert len(secrets) > 50, "the reference should mark its solution regions"
    leaks = {
        name: sorted(lines & secrets)
        for name, lines in released_lines(release).items()
        if lines & secrets
    }
    assert leaks == {}, f"solution lines in the release: {leaks}"


@pytest.mark.slow
def test_the_released_stub_parses_and_names_what_to_fill_in(release: Path) -> None:
    stub = (release / "dags" / "taxi_pipeline.py").read_text()
    compile(stub, "dags/taxi_pipeline.py", "exec")  # a SyntaxError fails the test
    assert 'dag_id=dag_id_for("taxi_pipeline")' in stub  # the id a student keeps
    assert stub.count("# fill in:") == 11
    assert 'raise NotImplementedError("fill in: ingest_taxi_month")' in stub
    assert not stubs.MARKER.search(stub)


@pytest.mark.slow
def test_the_release_holds_the_courses_dbt_project_as_plain_files(release: Path) -> None:
    project = REPO / "include" / "taxi_dbt"
    released = release / "include" / "taxi_dbt"
    expected = {
        p.relative_to(project).as_posix(): p.read_bytes()
        for p in project.rglob("*")
        if p.is_file() and not {"target", "logs", ".user.yml"} & set(p.relative_to(project).parts)
    }
    found = {p.relative_to(released).as_posix(): p for p in released.rglob("*") if p.is_file()}
    assert sorted(found) == sorted(expected)
    for name, path in found.items():
        assert not path.is_symlink() and path.read_bytes() == expected[name], name
