"""The class DAG repository: a bare git repository students clone and push to.

Layout of `main`: `dags/<student>/` per student (a README to start with), nothing else is
deployed. The stack only reads it (plumbing commands on the bare repository, no work tree)
and writes two things: the teacher's commits that create a new student's folder, and the
gate's verdict on a student's commit as a git note (`refs/notes/class-gate`), which a student
reads with `git fetch origin refs/notes/*:refs/notes/* && git log --notes=class-gate`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from class_airflow.errors import ClassError
from class_airflow.roster import Roster

BRANCH = "main"
NOTES_REF = "refs/notes/class-gate"
CLASS_EMAIL = "class-airflow@localhost"  # the stack's own commits (new students' folders)
_IDENTITY = ["-c", "user.name=class Airflow", "-c", f"user.email={CLASS_EMAIL}"]


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str  # blob, tree, commit (a submodule)
    oid: str
    size: int | None
    path: str  # relative to the folder that was listed


def git(repo: Path, *args: str, input: bytes | None = None, env: dict | None = None) -> bytes:
    done = subprocess.run(
        ["git", *_IDENTITY, "--git-dir", str(repo), *args],
        input=input,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        problem = done.stderr.decode(errors="replace").strip()
        raise ClassError(f"git {' '.join(args[:3])} in {repo} failed: {problem}")
    return done.stdout


def _readme(student_id: str) -> bytes:
    return (
        f"# dags/{student_id}/\n\n"
        f"Your DAG files go here, and only here. Every DAG id must start with `{student_id}_`\n"
        f"(the reference DAG does this by itself when it sits in this folder).\n"
        "After you push to main, the class Airflow checks your change before the scheduler sees\n"
        "it. Read its verdict with\n\n"
        "    git fetch origin refs/notes/*:refs/notes/* && git log --notes=class-gate -3\n"
    ).encode()


def head(repo: Path) -> str | None:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), "rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def _commit_files(repo: Path, files: dict[str, bytes], message: str) -> str:
    """One commit on main that adds/replaces `files`, made without a work tree."""
    parent = head(repo)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            git(repo, "read-tree", parent, env=env)
        for path, content in files.items():
            blob = git(repo, "hash-object", "-w", "--stdin", input=content).decode().strip()
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = git(repo, "write-tree", env=env).decode().strip()
    parents = ["-p", parent] if parent else []
    commit = git(repo, "commit-tree", tree, *parents, "-m", message).decode().strip()
    # Compare-and-swap: a student's push in between makes this fail instead of losing it.
    git(repo, "update-ref", f"refs/heads/{BRANCH}", commit, *([parent] if parent else []))
    return commit


def ensure(repo: Path, roster: Roster) -> None:
    """Create the bare repository on first use; give every student on the roster a folder."""
    if not (repo / "HEAD").exists():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "--bare", "--initial-branch", BRANCH, "--quiet")
        # Students push through the file system in the twin: let them share the objects.
        git(repo, "config", "core.sharedRepository", "group")
        git(repo, "config", "receive.denyNonFastForwards", "true")
        git(repo, "config", "receive.denyDeletes", "true")
    missing = [s.id for s in roster.students if not folder_exists(repo, s.id)]
    if missing or head(repo) is None:
        files = {f"dags/{sid}/README.md": _readme(sid) for sid in missing}
        files.setdefault(
            "README.md",
            b"# The class DAG repository\n\nOne folder per student under dags/. "
            b"Push to main; the class Airflow deploys what passes its gate.\n",
        )
        what = ", ".join(missing) if missing else "the repository"
        _commit_files(repo, files, f"class: folders for {what}")


def folder_exists(repo: Path, student_id: str) -> bool:
    commit = head(repo)
    return commit is not None and folder_tree(repo, commit, student_id) is not None


def folder_tree(repo: Path, commit: str, student_id: str) -> str | None:
    """The tree id of dags/<student>/ at `commit`, or None if the folder is not there."""
    done = subprocess.run(
        [
            "git",
            "--git-dir",
            str(repo),
            "rev-parse",
            "--verify",
            "-q",
            f"{commit}:dags/{student_id}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def list_tree(repo: Path, tree: str) -> list[TreeEntry]:
    raw = git(repo, "ls-tree", "-r", "-z", "--long", tree)
    entries = []
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, oid, size = meta.decode().split()
        entries.append(
            TreeEntry(mode, kind, oid, None if size == "-" else int(size), path.decode())
        )
    return entries


def read_blob(repo: Path, oid: str) -> bytes:
    return git(repo, "cat-file", "blob", oid)


def new_commits(repo: Path, since: str | None, until: str) -> list[str]:
    """Commits reachable from `until` and not from `since`, oldest first, merges left out."""
    span = [until] if since is None else [f"{since}..{until}"]
    return git(repo, "rev-list", "--reverse", "--no-merges", *span).decode().split()


def changed_paths(repo: Path, commit: str) -> list[str]:
    raw = git(repo, "diff-tree", "--root", "--no-commit-id", "-r", "-z", "--name-only", commit)
    return [path.decode() for path in raw.split(b"\0") if path]


def commit_author(repo: Path, commit: str) -> tuple[str, str]:
    name, email = (
        git(repo, "show", "-s", "--format=%an%x00%ae", commit).decode().strip().split("\0")
    )
    return name, email


def commit_subject(repo: Path, commit: str) -> str:
    return git(repo, "show", "-s", "--format=%s", commit).decode().strip()


def add_note(repo: Path, commit: str, text: str) -> None:
    git(repo, "notes", "--ref", NOTES_REF, "add", "-f", "-m", text, commit)


def note(repo: Path, commit: str) -> str | None:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), "notes", "--ref", NOTES_REF, "show", commit],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None
