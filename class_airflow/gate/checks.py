"""The gate's checks, run in the parent on what the sandbox reported. Each returns problems:
what failed, where, and how to fix it, written for the student who pushed."""

from __future__ import annotations

from dataclasses import dataclass

from class_airflow.gate.sandbox import ImportEvidence
from class_airflow.roster import Roster, Student
from class_airflow.shared_repo import TreeEntry

MAX_FILES = 50
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Problem:
    check: str
    where: str
    message: str
    fix: str

    def line(self) -> str:
        return f"{self.where}: {self.message} Fix: {self.fix}"


def files_allowed(student: Student, entries: list[TreeEntry]) -> list[Problem]:
    """Only regular files of a sane size, no symlinks or submodules, no dbt_*.py."""
    problems = []
    folder = f"dags/{student.id}"
    if len(entries) > MAX_FILES:
        problems.append(
            Problem(
                "files",
                folder,
                f"{len(entries)} files (at most {MAX_FILES}).",
                "keep only your DAG and the modules it imports; data does not belong here",
            )
        )
    for entry in entries:
        where = f"{folder}/{entry.path}"
        name = entry.path.rsplit("/", 1)[-1]
        if entry.kind != "blob" or entry.mode not in ("100644", "100755"):
            what = "a symbolic link" if entry.mode == "120000" else f"a {entry.kind} ({entry.mode})"
            problems.append(Problem("files", where, f"is {what}.", "commit regular files only"))
        elif (entry.size or 0) > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    "files",
                    where,
                    f"is {entry.size} bytes (at most {MAX_FILE_BYTES}).",
                    "do not commit data or warehouses; the DAG downloads what it needs",
                )
            )
        elif name.startswith("dbt_") and name.endswith(".py"):
            problems.append(
                Problem(
                    "files",
                    where,
                    "is named dbt_*.py: dbt imports every such module it finds and runs it.",
                    f"rename it, e.g. to {name.removeprefix('dbt_')}",
                )
            )
    return problems


def _import_problem(where: str, evidence: ImportEvidence, timeout: float) -> Problem | None:
    error = next(iter(evidence.errors.values()), "")
    last = error.strip().splitlines()[-1] if error.strip() else ""
    fix_top_level = "move that work into a task; the top level of a DAG file only defines the DAG"
    if evidence.status == "timeout" or "DagBag import timeout" in error:
        return Problem(
            "imports",
            where,
            f"importing took longer than {timeout:g} s (something at the top level loops, waits "
            "or downloads).",
            fix_top_level,
        )
    if "MemoryError" in error or (evidence.status == "died" and "SIGKILL" in evidence.detail):
        return Problem(
            "imports",
            where,
            "importing ran out of memory (the file allocates a lot at the top level).",
            fix_top_level,
        )
    if "SystemExit" in error or "SystemExit" in evidence.fatal:
        return Problem(
            "imports",
            where,
            f"importing stops the interpreter ({last or evidence.fatal}).",
            "never call sys.exit() or exit() in a DAG file: it would stop the dag-processor",
        )
    if evidence.status in ("died", "fatal", "lost"):
        return Problem(
            "imports",
            where,
            f"importing crashed the sandbox ({evidence.fatal or evidence.detail or 'no answer'}).",
            "run `python " + where + "` on your laptop and fix what it prints",
        )
    if error:
        return Problem(
            "imports",
            where,
            f"importing failed: {last}",
            f"run `python {where}` on your laptop and fix the first error it prints",
        )
    return None


def imports(evidence: dict[str, ImportEvidence], timeout: float) -> list[Problem]:
    """Every .py file imports without errors, in time, in memory, without exiting."""
    problems = []
    for where, found in sorted(evidence.items()):
        if (problem := _import_problem(where, found, timeout)) is not None:
            problems.append(problem)
    return problems


def defines_a_dag(student: Student, dag_ids: dict[str, str]) -> list[Problem]:
    if dag_ids:
        return []
    return [
        Problem(
            "dags",
            f"dags/{student.id}",
            "no DAG was found in your folder.",
            "call your @dag function at the end of the file (taxi_pipeline()), and import "
            "from airflow.sdk",
        )
    ]


def prefixed(student: Student, roster: Roster, dag_ids: dict[str, str]) -> list[Problem]:
    """Every DAG id starts with `<id>_` and is in this student's namespace."""
    problems = []
    for dag_id, where in sorted(dag_ids.items()):
        owner = roster.owner_of_dag_id(dag_id)
        if owner is None or owner.id != student.id:
            what = (
                f"belongs to {owner.id} (the longest student prefix it starts with)"
                if owner
                else f"does not start with {student.dag_prefix!r}"
            )
            problems.append(
                Problem(
                    "prefix",
                    where,
                    f"the DAG id {dag_id!r} {what}.",
                    f"use dag_id={student.dag_prefix}taxi_pipeline (the reference DAG's "
                    "dag_id_for('taxi_pipeline') does it for you)",
                )
            )
    return problems


def unique(
    student: Student, dag_ids: dict[str, str], per_file: dict[str, list[str]], taken: dict[str, str]
) -> list[Problem]:
    """No id twice in the folder, none that another student's folder already uses. (Airflow
    itself would not complain: the file parsed last silently wins.)"""
    problems = []
    counts: dict[str, list[str]] = {}
    for where, ids in per_file.items():
        for dag_id in ids:
            counts.setdefault(dag_id, []).append(where)
    for dag_id, files in sorted(counts.items()):
        if len(files) > 1:
            problems.append(
                Problem(
                    "unique",
                    files[-1],
                    f"the DAG id {dag_id!r} is defined in {len(files)} files ({', '.join(files)}).",
                    "keep one definition per DAG id",
                )
            )
    for dag_id, where in sorted(dag_ids.items()):
        owner = taken.get(dag_id)
        if owner is not None and owner != student.id:
            problems.append(
                Problem(
                    "unique",
                    where,
                    f"the DAG id {dag_id!r} is already deployed by {owner}.",
                    f"DAG ids are class-wide: name yours {student.dag_prefix}<something>",
                )
            )
    return problems
