"""Chapter 8: deploying to the class Airflow, rehearsed with the class's own code.

- `parse_like_the_dag_processor` shows what Airflow alone does with two files that declare one
  DAG id: each file is parsed on its own and written to the metadata DB the way the
  dag-processor writes it, so the file parsed last silently owns the id.
- `rehearse_deploy` / `shared_dry_run` run the class Airflow's deploy path on a small local
  class (a bare repository, a roster, the gate in its sandbox): the same verdicts, notes and
  held-back changes students get on the real one, without its scheduler.
- `class_login` finds the real class Airflow (a login file from the teacher, or the teacher's
  twin on this machine); the steps to deploy and run there are in `class_airflow.student`.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook.console import quiet
from workbook.dag_files import parse_dag_file, write_atomic
from workbook.display import Table
from workbook.paths import short

if TYPE_CHECKING:
    from class_airflow.deploy import SyncReport
    from class_airflow.student import ClassLogin
    from workbook.session import Workbook

# What `class credentials <id> --json` printed, saved by the student (git-ignored).
LOGIN_FILE = Path(__file__).resolve().parents[1] / "class_login.json"


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
        verdict = "ready to push to the class repository" if self.ok else "fix the ❌ lines first"
        return (
            f"<b>Dry run for student '{html.escape(self.student)}' in "
            f"{html.escape(short(self.folder))}</b>: {verdict}<table>{rows}</table>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        lines = [f"dry run for {self.student}: {'OK' if self.ok else 'NOT READY'}"]
        lines += [f"  {'✅' if c.passed else '❌'} {c.name}: {c.detail}" for c in self.checks]
        printer.text("\n".join(lines))


def parse_like_the_dag_processor(
    wb: Workbook, files: dict[str, str], order: Sequence[str]
) -> Table:
    """Parse each of `files` (folder name -> DAG file text) on its own, in `order`, and write
    each result to the metadata DB the way Airflow's dag-processor does. One row per parse:
    which file then owns each DAG id, and whether Airflow reported any error."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models import DagModel
    from airflow.models.errors import ParseImportError
    from airflow.utils.session import create_session

    from airflow_env.settings import ensure_db

    ensure_db()  # a no-op once the workbook has set up its metadata DB
    bundle = wb.work / "dag_processor" / "dags"
    shutil.rmtree(bundle.parent, ignore_errors=True)
    for folder, text in files.items():
        write_atomic(bundle / folder / "dag.py", text)
    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    rows = []
    for step, folder in enumerate(order, start=1):
        with quiet(), _sys_path_kept():
            bag = BundleDagBag(
                str(bundle / folder / "dag.py"), bundle_path=bundle, bundle_name="dags-folder"
            )
            sync_bag_to_db(bag, "dags-folder", None)
        with create_session() as session:
            errors = session.query(ParseImportError).filter(
                ParseImportError.filename.like(f"{folder}/%")
            )
            for dag_id in sorted(bag.dags):
                owner = session.get(DagModel, dag_id)
                rows.append(
                    {
                        "parse": step,
                        "file parsed": f"{folder}/dag.py",
                        "dag_id": dag_id,
                        "import errors": errors.count(),
                        "the UI now shows": owner.relative_fileloc if owner else "nothing",
                    }
                )
    return Table(rows)


@contextmanager
def _sys_path_kept() -> Iterator[None]:
    """A bundle's DagBag puts the bundle's folder on sys.path for good; this one is scratch."""
    saved = list(sys.path)
    try:
        yield
    finally:
        sys.path[:] = saved


def rehearse_deploy(
    wb: Workbook, dag_file: Path, student: str, classmates: dict[str, str] | None = None
) -> SyncReport:
    """Push `dag_file` as `student` (and each classmate's file, name -> text, as that
    classmate) to a local class repository and run one round of the class's dag-sync: the
    same gate, verdicts and notes as on the class Airflow. Nothing is scheduled."""
    from class_airflow import deploy, shared_repo
    from class_airflow import roster as roster_module
    from class_airflow.paths import ClassPaths

    state = wb.work / "class"
    shutil.rmtree(state, ignore_errors=True)
    paths = ClassPaths(state / "state")
    names = [*(classmates or {}), student]
    roster_path = state / "roster.csv"
    write_atomic(
        roster_path,
        roster_module.HEADER + "".join(f"{n},,{n}@example.org\n" for n in names),
    )
    roster = roster_module.load(roster_path)
    shared_repo.ensure(paths.shared_repo, roster)
    texts = {**(classmates or {}), student: dag_file.read_text()}
    clone = state / "clone"
    _git(state, "clone", "--quiet", str(paths.shared_repo), str(clone))
    for name in names:  # one commit per student, the student's own last
        write_atomic(clone / "dags" / name / "taxi_pipeline.py", texts[name])
        _git(clone, "add", "-A")
        _git(
            clone, "-c", f"user.name={name}", "-c", f"user.email={name}@example.org",
            "commit", "--quiet", "-m", f"{name}: taxi_pipeline",
        )  # fmt: skip
    _git(clone, "push", "--quiet", "origin", f"HEAD:{shared_repo.BRANCH}")
    with _without_student():
        return deploy.sync_once(paths, roster_path)


def _git(where: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(where), *args], check=True, capture_output=True)


def shared_dry_run(
    wb: Workbook, dag_file: Path, student: str, classmates: dict[str, str] | None = None
) -> DryRun:
    """The class gate's verdict on `dag_file` pushed as `student`, next to classmates'
    files, plus the etiquette a shared scheduler asks for (tag, catchup, one run, retries)."""
    report = rehearse_deploy(wb, dag_file, student, classmates)
    mine = next(v for v in report.verdicts if v.student == student)
    checks = [
        DeployCheck(
            "passes the class gate",
            mine.passed,
            f"deployed as {', '.join(mine.dag_ids)}" if mine.passed else "held back",
        )
    ]
    checks += [DeployCheck(f"gate: {p.check}", False, p.line()) for p in mine.problems]
    folder = wb.work / "class" / "clone" / "dags" / student
    with _without_student():
        bag = parse_dag_file(folder)
    for dag in bag.dags.values():
        checks += _etiquette_checks(dag, student)
    return DryRun(student, folder, checks)


@contextmanager
def _without_student() -> Iterator[None]:
    """AIRFLOW_STUDENT unset while files are parsed: on the class Airflow the folder names
    the student, as it does here."""
    saved = os.environ.pop("AIRFLOW_STUDENT", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["AIRFLOW_STUDENT"] = saved


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


def class_login(student: str) -> ClassLogin | None:
    """The real class Airflow for `student`: the login file the teacher handed out
    (`$CLASS_LOGIN`, else `class_login.json` in the checkout), else the teacher's twin
    running on this machine. None when there is no class Airflow to reach."""
    from class_airflow.paths import ClassPaths
    from class_airflow.student import ClassLogin

    explicit = os.environ.get("CLASS_LOGIN")
    path = Path(explicit).expanduser() if explicit else LOGIN_FILE
    if path.exists():
        return ClassLogin.load(path)
    return ClassLogin.from_twin(ClassPaths.default(), student)
