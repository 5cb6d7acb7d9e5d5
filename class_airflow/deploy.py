"""Deploying like the course: what is on `main` of the shared repository, through the gate,
into the scheduler's dags folder. One round:

    new commits on main -> per student folder: what changed, and did a commit reach into
    another folder -> stage each changed folder -> import every file in the sandbox (one
    sandbox for the round) -> checks -> deploy what passed, hold back what failed (the last
    good version stays) -> a note on the student's commit, a feedback file, the state.

A folder that was held back is not gated again until it changes, so a DAG that loops at import
costs the gate's time limit once, not every round. State: `deploy/state.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from class_airflow import roster as roster_module
from class_airflow import shared_repo
from class_airflow.files import atomic_write_bytes, atomic_write_text
from class_airflow.gate import checks
from class_airflow.gate.checks import Problem
from class_airflow.gate.sandbox import ImportJob, import_files, isolation_warning
from class_airflow.paths import ClassPaths
from class_airflow.roster import Roster, Student


class StudentDeploy(BaseModel):
    deployed_commit: str | None = None
    deployed_tree: str | None = None
    dag_ids: list[str] = Field(default_factory=list)
    deployed_at: float | None = None
    held_commit: str | None = None
    held_tree: str | None = None
    held_reasons: list[str] = Field(default_factory=list)
    held_at: float | None = None


class DeployState(BaseModel):
    last_head: str | None = None
    students: dict[str, StudentDeploy] = Field(default_factory=dict)

    @classmethod
    def load(cls, paths: ClassPaths) -> DeployState:
        path = paths.deploy / "state.json"
        return cls.model_validate_json(path.read_text()) if path.exists() else cls()

    def save(self, paths: ClassPaths) -> None:
        atomic_write_text(paths.deploy / "state.json", self.model_dump_json(indent=2) + "\n")

    def taken_ids(self, except_student: str) -> dict[str, str]:
        return {
            dag_id: sid
            for sid, entry in self.students.items()
            if sid != except_student
            for dag_id in entry.dag_ids
        }


@dataclass
class Candidate:
    """A student's folder at the head of main, different from what was last judged."""

    student: Student
    commit: str  # the last commit on main that changed the folder
    tree: str | None
    entries: list[shared_repo.TreeEntry] = field(default_factory=list)
    foreign: list[Problem] = field(default_factory=list)


@dataclass
class Verdict:
    student: str
    commit: str
    passed: bool
    dag_ids: list[str]
    problems: list[Problem]
    seconds: float = 0.0

    def message(self, deployed_before: str | None) -> str:
        short = self.commit[:10]
        if self.passed:
            return (
                f"class gate: DEPLOYED dags/{self.student}/ at {short}: {', '.join(self.dag_ids)}"
            )
        kept = (
            f"your last good version ({deployed_before[:10]}) stays deployed"
            if deployed_before
            else "nothing of yours is deployed yet"
        )
        lines = [f"class gate: HELD BACK dags/{self.student}/ at {short}; {kept}."]
        lines += [f"- {problem.line()}" for problem in self.problems]
        lines.append("Push a fix to main; the gate looks at your folder again when it changes.")
        return "\n".join(lines)


@dataclass
class SyncReport:
    head: str | None
    verdicts: list[Verdict] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    warning: str | None = None
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [
            f"{v.student}: {'deployed' if v.passed else 'held back'} {v.commit[:10]}"
            + (f" ({', '.join(v.dag_ids)})" if v.passed else f": {v.problems[0].line()}")
            for v in self.verdicts
        ]
        out += [f"ignored: {path}" for path in self.ignored]
        if self.warning:
            out.append(f"warning: {self.warning}")
        return out


def _folder_of(path: str, roster: Roster) -> str | None:
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "dags" and roster.get(parts[1]):
        return parts[1]
    return None


def _foreign_touches(
    repo: Path, commits: list[str], roster: Roster
) -> tuple[dict[str, list[Problem]], list[str]]:
    """Per student folder: commits that also changed something outside that folder.

    A commit whose author's e-mail is on the roster may only change that student's folder.
    Paths outside every student folder are never deployed; they are listed as ignored. The
    stack's own commits (folders for new students) change many folders by design. (A local
    repository does not authenticate authors; on a server, protect main and review merges.)
    """
    by_email = {s.email.lower(): s.id for s in roster.students if s.email}
    foreign: dict[str, list[Problem]] = {}
    ignored: list[str] = []
    for commit in commits:
        email = shared_repo.commit_author(repo, commit)[1].lower()
        if email == shared_repo.CLASS_EMAIL:
            continue
        changed = shared_repo.changed_paths(repo, commit)
        folders = {f for path in changed if (f := _folder_of(path, roster))}
        outside = [path for path in changed if _folder_of(path, roster) is None]
        author = by_email.get(email)
        ignored += outside
        for folder in folders:
            others = [f"dags/{other}/" for other in sorted(folders - {folder})] + outside
            reasons = []
            if others:
                reasons.append(f"it also changes {', '.join(others[:5])}")
            if author and author != folder:
                reasons.append(f"its author is {author}, not {folder}")
            if reasons:
                foreign.setdefault(folder, []).append(
                    Problem(
                        "own_folder",
                        f"commit {commit[:10]}",
                        f"{' and '.join(reasons)}.",
                        f"change only dags/{folder}/ in your own commits; undo the rest in a new "
                        "commit",
                    )
                )
    return foreign, sorted(set(ignored))


def _last_commit_touching(repo: Path, head: str, student_id: str) -> str:
    found = shared_repo.git(repo, "log", "-1", "--format=%H", head, "--", f"dags/{student_id}/")
    return found.decode().strip() or head


def _candidates(
    repo: Path, head: str, roster: Roster, state: DeployState, foreign: dict[str, list[Problem]]
) -> list[Candidate]:
    found = []
    for student in roster.students:
        tree = shared_repo.folder_tree(repo, head, student.id)
        entry = state.students.get(student.id, StudentDeploy())
        already_judged = tree in (entry.deployed_tree, entry.held_tree)
        if already_judged and not foreign.get(student.id):
            continue
        entries = shared_repo.list_tree(repo, tree) if tree else []
        has_python = any(e.path.endswith(".py") for e in entries)
        if not has_python and entry.deployed_tree is None and not foreign.get(student.id):
            continue  # nothing pushed yet (the folder holds the README the class gave it)
        found.append(
            Candidate(
                student,
                _last_commit_touching(repo, head, student.id),
                tree,
                entries,
                foreign.get(student.id, []),
            )
        )
    return found


def _stage(repo: Path, candidate: Candidate, root: Path) -> dict[str, Path]:
    """Write the folder's files under root/<student>/; returns repo path -> staged file."""
    staged = {}
    folder = root / candidate.student.id
    folder.mkdir(parents=True, exist_ok=True)
    for entry in candidate.entries:
        if entry.kind != "blob" or entry.mode not in ("100644", "100755"):
            continue
        target = folder / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(shared_repo.read_blob(repo, entry.oid))
        staged[f"dags/{candidate.student.id}/{entry.path}"] = target
    return staged


def _judge(
    candidate: Candidate,
    staged: dict[str, Path],
    evidence: dict[str, checks.ImportEvidence],
    roster: Roster,
    state: DeployState,
    timeout: float,
) -> Verdict:
    """The gate for one folder, in order; every failing check adds its problems."""
    student = candidate.student
    problems = list(candidate.foreign)
    problems += checks.files_allowed(student, candidate.entries)
    found = {where: evidence[where] for where in staged if where in evidence}
    problems += checks.imports(found, timeout)
    per_file = {where: e.dag_ids for where, e in found.items() if e.status == "ok"}
    dag_ids = {dag_id: where for where, ids in per_file.items() for dag_id in ids}
    if not problems:
        problems += checks.defines_a_dag(student, dag_ids)
    problems += checks.prefixed(student, roster, dag_ids)
    problems += checks.unique(student, dag_ids, per_file, state.taken_ids(student.id))
    seconds = sum(e.seconds for e in found.values())
    return Verdict(student.id, candidate.commit, not problems, sorted(dag_ids), problems, seconds)


def _install(staged_folder: Path, deployed_folder: Path) -> None:
    """Replace the deployed folder's files one by one (each replace is atomic), then remove
    files the new version no longer has: the dag-processor never reads half a file."""
    deployed_folder.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for source in sorted(staged_folder.rglob("*")):
        if source.is_file():
            relative = source.relative_to(staged_folder)
            wanted.add(relative)
            atomic_write_bytes(deployed_folder / relative, source.read_bytes())
    for existing in sorted(deployed_folder.rglob("*"), reverse=True):
        relative = existing.relative_to(deployed_folder)
        if existing.is_file() and relative not in wanted:
            existing.unlink()
        elif existing.is_dir() and not any(existing.iterdir()):
            existing.rmdir()


def _record(paths: ClassPaths, repo: Path, verdict: Verdict, state: DeployState) -> None:
    entry = state.students.setdefault(verdict.student, StudentDeploy())
    message = verdict.message(entry.deployed_commit if not verdict.passed else None)
    if verdict.passed:
        entry.deployed_commit = verdict.commit
        entry.dag_ids = verdict.dag_ids
        entry.deployed_at = time.time()
        entry.held_commit, entry.held_tree, entry.held_reasons, entry.held_at = None, None, [], None
    else:
        entry.held_commit = verdict.commit
        entry.held_reasons = [problem.line() for problem in verdict.problems]
        entry.held_at = time.time()
    shared_repo.add_note(repo, verdict.commit, message)
    atomic_write_text(paths.deploy / "feedback" / f"{verdict.student}.md", message + "\n")


def sync_once(paths: ClassPaths, roster_path: Path, gate_timeout: float = 10.0) -> SyncReport:
    """One round: gate and deploy whatever changed on main since the last round."""
    began = time.monotonic()
    roster = roster_module.load(roster_path)
    repo = paths.shared_repo
    head = shared_repo.head(repo)
    state = DeployState.load(paths)
    report = SyncReport(head)
    if head is None or head == state.last_head:
        return report
    commits = shared_repo.new_commits(repo, state.last_head, head)
    foreign, report.ignored = _foreign_touches(repo, commits, roster)
    candidates = _candidates(repo, head, roster, state, foreign)
    # Outside the state folder: the sandbox's unprivileged user must be able to read it.
    staging = Path(tempfile.mkdtemp(prefix="class-gate-stage-"))
    os.chmod(staging, 0o755)
    staged = {c.student.id: _stage(repo, c, staging / "dags") for c in candidates}
    jobs = [
        ImportJob(where, file, staging / "dags")
        for files in staged.values()
        for where, file in files.items()
        if file.suffix == ".py"
    ]
    evidence = import_files(jobs, timeout=gate_timeout)
    report.warning = isolation_warning() if jobs else None
    for candidate in candidates:
        verdict = _judge(
            candidate, staged[candidate.student.id], evidence, roster, state, gate_timeout
        )
        if verdict.passed:
            _install(staging / "dags" / candidate.student.id, paths.dags / candidate.student.id)
        _record(paths, repo, verdict, state)
        entry = state.students[candidate.student.id]
        if verdict.passed:
            entry.deployed_tree = candidate.tree
        else:
            entry.held_tree = candidate.tree
        report.verdicts.append(verdict)
    shutil.rmtree(staging, ignore_errors=True)
    state.last_head = head
    state.save(paths)
    report.seconds = time.monotonic() - began
    return report


def undeploy(paths: ClassPaths, student_id: str) -> None:
    """Take a student's DAGs off the scheduler (they left the class)."""
    shutil.rmtree(paths.dags / student_id, ignore_errors=True)
    state = DeployState.load(paths)
    if state.students.pop(student_id, None) is not None:
        state.save(paths)


def feedback(paths: ClassPaths, student_id: str) -> str | None:
    path = paths.deploy / "feedback" / f"{student_id}.md"
    return path.read_text() if path.exists() else None


def state_summary(paths: ClassPaths) -> dict:
    return json.loads(DeployState.load(paths).model_dump_json())
