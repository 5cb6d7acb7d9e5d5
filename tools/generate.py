"""Every file made from another file, and `make generate`, the one command that rewrites them.

Each source is edited by hand; what is made from it never is.

Committed, because a fresh clone needs them (tests/tools/test_generated.py fails when one is stale):

* `notebooks/*.ipynb` from `notebooks/_build/src/*.md` (notebooks/_build/build_notebooks.py);
* `assets/week_11_quiz.schema.json` from the quiz's pydantic models (quiz/model.py);
* the check cells of `assignment/source/taxi_pipeline/taxi_pipeline.ipynb` from the autograder's
  checks (what `course sync-checks` does);
* `assignment/source/taxi_pipeline/include/taxi_dbt/**`: one link per file of `include/taxi_dbt/`
  (nbgrader copies what a link points to, so the release holds the course's dbt project);
* `class/compose.yaml` and `class/Dockerfile` from the class stack's declaration
  (class_airflow/stack.py, pinned to uv.lock; what `class compose` does).

Git-ignored, written here too so an author sees what they would get:

* `assignment/source/taxi_pipeline/dags/taxi_pipeline.py`, the students' stub, from the reference
  `dags/taxi_pipeline.py` (`assignment/nbgrader_config.py` rewrites it on every nbgrader command);
* `assets/dag_snapshots/*.py` from the chapter DAGs (`make lab` writes them as well).

    .venv/bin/python tools/generate.py          # rewrite everything (what `make generate` runs)
    .venv/bin/python tools/generate.py --check  # list the stale committed files, exit 1 if any
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "assets" / "week_11_quiz.schema.json"
DBT_PROJECT = REPO / "include" / "taxi_dbt"
ASSIGNMENT_SOURCE = REPO / "assignment" / "source" / "taxi_pipeline"
ASSIGNMENT_DBT = ASSIGNMENT_SOURCE / "include" / "taxi_dbt"
STUDENT_DAG = ASSIGNMENT_SOURCE / "dags" / "taxi_pipeline.py"
# What running dbt leaves in a project folder: not part of the project.
DBT_OUTPUT = {"target", "logs", "dbt_packages", ".user.yml", "__pycache__"}


@dataclass(frozen=True)
class Generated:
    """One kind of generated file: which are stale, and how to rewrite them (repo-relative)."""

    name: str
    committed: bool
    stale: Callable[[], list[str]]
    write: Callable[[], list[str]]


def _relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@functools.cache
def _build_notebooks() -> ModuleType:
    path = REPO / "notebooks" / "_build" / "build_notebooks.py"
    spec = importlib.util.spec_from_file_location("build_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


# -- notebooks, quiz schema, assignment notebook ---------------------------------------------


def _stale_notebooks() -> list[str]:
    return _build_notebooks().stale_files()


def _write_notebooks() -> list[str]:
    build = _build_notebooks()
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for fresh in build.build(Path(tmp)):
            committed = build.NOTEBOOKS / fresh.name
            if not committed.exists() or committed.read_text() != fresh.read_text():
                shutil.copyfile(fresh, committed)
                written.append(_relative(committed))
    return written


def _schema_text() -> str:
    from quiz.model import schema_text

    return schema_text()


def _stale_schema() -> list[str]:
    fresh = SCHEMA.exists() and SCHEMA.read_text(encoding="utf-8") == _schema_text()
    return [] if fresh else [_relative(SCHEMA)]


def _write_schema() -> list[str]:
    if not _stale_schema():
        return []
    SCHEMA.write_text(_schema_text(), encoding="utf-8")
    return [_relative(SCHEMA)]


def _course():
    from course.layout import Course

    return Course(REPO / "assignment")


def _stale_check_cells() -> list[str]:
    import nbformat

    from course import autograder_link
    from course.assignment_notebook import sync_check_cells
    from course.layout import NOTEBOOK

    path = _course().source / NOTEBOOK
    text = path.read_text(encoding="utf-8")
    synced = sync_check_cells(nbformat.reads(text, as_version=4), autograder_link.registry())
    return [] if nbformat.writes(synced) + "\n" == text else [_relative(path)]


def _write_check_cells() -> list[str]:
    from course.authoring import sync_source_notebook
    from course.layout import NOTEBOOK

    return [_relative(_course().source / NOTEBOOK)] if sync_source_notebook(_course()) else []


# -- the assignment's dbt project: links to the course's --------------------------------------


def _project_files(root: Path) -> set[str]:
    """The dbt project's files under `root`, relative, without what running dbt leaves behind."""
    found = set()
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if (path.is_file() or path.is_symlink()) and not DBT_OUTPUT & set(relative.parts):
            found.add(relative.as_posix())
    return found


def _link_target(relative: str) -> str:
    link = ASSIGNMENT_DBT / relative
    return os.path.relpath(DBT_PROJECT / relative, link.parent)


def _stale_dbt_links() -> list[str]:
    wanted = _project_files(DBT_PROJECT)
    stale = []
    for relative in sorted(wanted | _project_files(ASSIGNMENT_DBT)):
        link = ASSIGNMENT_DBT / relative
        if not (
            relative in wanted and link.is_symlink() and os.readlink(link) == _link_target(relative)
        ):
            stale.append(_relative(link))
    return stale


def _write_dbt_links() -> list[str]:
    written = []
    for stale in _stale_dbt_links():
        link = REPO / stale
        relative = link.relative_to(ASSIGNMENT_DBT).as_posix()
        if link.is_symlink() or link.exists():
            link.unlink()
        if (DBT_PROJECT / relative).exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(_link_target(relative))
        written.append(stale)
    return written


# -- git-ignored: the students' stub DAG, the DAG snapshots ------------------------------------


def _stale_student_dag() -> list[str]:
    from course.stubs import REFERENCE_DAG, strip_solutions

    stub = strip_solutions(REFERENCE_DAG.read_text(encoding="utf-8"), str(REFERENCE_DAG))
    fresh = STUDENT_DAG.exists() and STUDENT_DAG.read_text(encoding="utf-8") == stub
    return [] if fresh else [_relative(STUDENT_DAG)]


def _write_student_dag() -> list[str]:
    from course.stubs import write_student_dag

    return [_relative(STUDENT_DAG)] if write_student_dag(STUDENT_DAG) else []


def _write_snapshots() -> list[str]:
    return [_relative(path) for path in _build_notebooks().write_snapshots()]


def _class_files() -> dict[Path, str]:
    from class_airflow import compose
    from class_airflow.paths import COMPOSE_FILE, DOCKERFILE
    from class_airflow.stack import declare

    stack = declare()
    return {
        COMPOSE_FILE: compose.render_compose(stack),
        DOCKERFILE: compose.render_dockerfile(stack.pins),
    }


def _stale_class_files() -> list[str]:
    return [
        _relative(path)
        for path, text in _class_files().items()
        if not path.exists() or path.read_text() != text
    ]


def _write_class_files() -> list[str]:
    from class_airflow.files import atomic_write_text

    for path, text in _class_files().items():
        atomic_write_text(path, text)
    return [_relative(path) for path in _class_files()]


GENERATED = (
    Generated("notebooks", True, _stale_notebooks, _write_notebooks),
    Generated("quiz schema", True, _stale_schema, _write_schema),
    Generated("assignment check cells", True, _stale_check_cells, _write_check_cells),
    Generated("assignment dbt links", True, _stale_dbt_links, _write_dbt_links),
    Generated("class compose file", True, _stale_class_files, _write_class_files),
    Generated("students' stub DAG", False, _stale_student_dag, _write_student_dag),
    Generated("DAG snapshots", False, lambda: [], _write_snapshots),
)


def stale_committed_files() -> list[str]:
    """Committed generated files that differ from what their sources make now."""
    return [path for item in GENERATED if item.committed for path in item.stale()]


def write_all() -> list[str]:
    """Rewrite every generated file; the paths written, repo-relative."""
    return [path for item in GENERATED for path in item.write()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only list stale committed files")
    args = parser.parse_args()
    if args.check:
        stale = stale_committed_files()
        for path in stale:
            print(f"stale: {path}  (run: make generate)")
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
