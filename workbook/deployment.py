"""Chapter 8: the shared deployment, rehearsed locally.

A stand-in of the class's shared scheduler is a folder per student under `<work>/shared/dags/`;
parsing it with a DagBag shows what the shared scheduler would say about a student's file
(import errors, a clash of dag_ids with a classmate) before the pull request is opened.
"""

from __future__ import annotations

import html
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook.dag_files import parse_dag_file, write_atomic
from workbook.paths import short

if TYPE_CHECKING:
    from workbook.session import Workbook


@dataclass(frozen=True)
class DeployCheck:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class DryRun:
    student: str
    folder: Path
    checks: list[DeployCheck]

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✅' if c.passed else '❌'}</td><td>{html.escape(c.name)}</td>"
            f"<td>{html.escape(c.detail)}</td></tr>"
            for c in self.checks
        )
        verdict = "ready to open a pull request" if self.ok else "fix the ❌ lines first"
        return (
            f"<b>Dry run for student '{html.escape(self.student)}' in "
            f"{html.escape(short(self.folder))}</b>: {verdict}<table>{rows}</table>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        lines = [f"dry run for {self.student}: {'OK' if self.ok else 'NOT READY'}"]
        lines += [f"  {'✅' if c.passed else '❌'} {c.name}: {c.detail}" for c in self.checks]
        printer.text("\n".join(lines))


def shared_dry_run(
    wb: Workbook, dag_file: Path, student: str, classmates: dict[str, str] | None = None
) -> DryRun:
    """Copy a DAG into a stand-in of the shared deployment and parse it as its scheduler would.

    The stand-in is `<work>/shared/dags/<student>/`, next to classmates' folders (name -> the
    text of their taxi_pipeline.py). Nothing runs here: this is the check to do before opening
    the pull request.
    """
    shared = wb.work / "shared" / "dags"
    shutil.rmtree(shared, ignore_errors=True)
    mine = shared / student
    write_atomic(mine / dag_file.name, dag_file.read_text())
    for name, text in (classmates or {}).items():
        write_atomic(shared / name / "taxi_pipeline.py", text)
    with _student(student):
        bag = parse_dag_file(shared)
    my_errors = {f: e for f, e in bag.import_errors.items() if Path(f).parent.name == student}
    my_dags = [d for d in bag.dags.values() if Path(d.fileloc).parent.name == student]
    checks = _loading_checks(my_errors, my_dags)
    for dag in my_dags:
        checks += _etiquette_checks(dag, student)
    clashes = [f for f, e in bag.import_errors.items() if "DuplicatedIdException" in e]
    checks.append(
        DeployCheck(
            "dag_id unique on the shared scheduler",
            not clashes,
            "no clash with classmates"
            if not clashes
            else f"same dag_id as another file: {', '.join(short(Path(c)) for c in clashes)}",
        )
    )
    return DryRun(student, mine, checks)


@contextmanager
def _student(student: str) -> Iterator[None]:
    """AIRFLOW_STUDENT set to `student` while the files are parsed, as on the shared scheduler."""
    saved = os.environ.get("AIRFLOW_STUDENT")
    os.environ["AIRFLOW_STUDENT"] = student
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AIRFLOW_STUDENT", None)
        else:
            os.environ["AIRFLOW_STUDENT"] = saved


def _loading_checks(my_errors: dict[str, str], my_dags: list[Any]) -> list[DeployCheck]:
    return [
        DeployCheck(
            "the file imports",
            not my_errors,
            "no import errors"
            if not my_errors
            else next(iter(my_errors.values())).strip().splitlines()[-1],
        ),
        DeployCheck(
            "it defines a DAG",
            bool(my_dags),
            ", ".join(d.dag_id for d in my_dags) or "no DAG found in your folder",
        ),
    ]


def _etiquette_checks(dag: Any, student: str) -> list[DeployCheck]:
    return [
        DeployCheck(
            "tagged with your name",
            f"student:{student}" in dag.tags,
            f"tags {sorted(dag.tags)}",
        ),
        DeployCheck("catchup is off", dag.catchup is False, f"catchup={dag.catchup}"),
        DeployCheck(
            "one run at a time",
            dag.max_active_runs == 1,
            f"max_active_runs={dag.max_active_runs}",
        ),
        DeployCheck(
            "retries for transient faults",
            all((t.retries or 0) >= 1 for t in dag.tasks),
            f"retries={sorted({t.retries for t in dag.tasks})}",
        ),
    ]
