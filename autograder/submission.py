"""Load one student's folder: what is there, what is missing, and a hash of its content.

Nothing here runs student code. Files are read as bytes, symlinks are ignored (a student could
link `RUNBOOK.md` to a file only the grader may read), and size limits keep a huge upload from
slowing the class down. Layout problems are recorded, not raised: the checks turn them into
zero-point results with a hint, so a student with a missing file still gets all other feedback.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from autograder.errors import AutograderError

DAG_FILE = "dags/taxi_pipeline.py"
DAG_ID = "taxi_pipeline"
# On the class Airflow the id carries the student's prefix (CONTRACT.md section 8): both forms are
# the contract's id and are graded the same.
CLASS_DAG_ID = re.compile(rf"[a-z][a-z0-9_]{{0,49}}_{DAG_ID}")
DOCUMENTS = ("RUNBOOK.md", "ASSIGNMENT_REPORT.md", "AI_ASSIST.md")
EXTRA_DBT_TESTS = "include/taxi_dbt/tests"
SKIPPED_DIRS = {".git", "__pycache__", ".venv", "venv", "node_modules", ".ipynb_checkpoints"}
MAX_FILES = 2000
MAX_FILE_BYTES = 5 << 20
MAX_TOTAL_BYTES = 50 << 20
MAX_DOC_BYTES = 1 << 20
MAX_DBT_TESTS = 20
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


def is_contract_dag_id(dag_id: str) -> bool:
    """`taxi_pipeline`, or `<student>_taxi_pipeline` as the class Airflow names it."""
    return dag_id == DAG_ID or CLASS_DAG_ID.fullmatch(dag_id) is not None


@dataclass(frozen=True)
class Submission:
    """A student's folder as the grader sees it. `files` maps relative paths to sizes."""

    student: str
    root: Path
    files: dict[str, int]
    content_hash: str
    runnable_hash: str
    problems: tuple[str, ...] = field(default=())

    @property
    def dag_file(self) -> Path | None:
        return self.root / DAG_FILE if DAG_FILE in self.files else None

    @property
    def dag_folder_files(self) -> list[str]:
        return sorted(p for p in self.files if p.startswith("dags/"))

    @property
    def extra_dbt_tests(self) -> list[str]:
        return sorted(
            p
            for p in self.files
            if p.startswith(EXTRA_DBT_TESTS + "/") and p.endswith(".sql") and p.count("/") == 3
        )[:MAX_DBT_TESTS]

    def document(self, name: str) -> Path | None:
        """The document `name`, matched exactly or else case-insensitively, at the top level."""
        if name in self.files:
            return self.root / name
        for path in self.files:
            if "/" not in path and path.lower() == name.lower():
                return self.root / path
        return None

    def read_text(self, relative: str, limit: int = MAX_DOC_BYTES) -> str:
        """Text of a file of this submission (regular files only, capped)."""
        path = self.root / relative
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
        return data[:limit].decode("utf-8", errors="replace")


def student_id_for(path: Path) -> str:
    name = path.name
    if not STUDENT_ID.match(name):
        raise AutograderError(
            f"{path}: the folder name {name!r} cannot be used as a student id in the gradebook. "
            "Rename it to letters, digits, '.', '_', '-', '@' or '+' (e.g. ada_lovelace)."
        )
    return name


def load_submission(path: Path) -> Submission:
    """Read the layout of `path`. Raises AutograderError only if it is not a usable folder."""
    root = Path(path).expanduser()
    if not root.exists():
        raise AutograderError(f"{root} does not exist. Pass the folder of one submission.")
    if root.is_symlink() or not root.is_dir():
        raise AutograderError(f"{root} is not a folder. Pass the folder of one submission.")
    root = root.resolve()
    student = student_id_for(root)
    files, problems = _scan(root)
    if DAG_FILE not in files:
        problems.append(
            f"{DAG_FILE} is missing. The DAG must live in a file with exactly that path "
            "inside the submission folder."
        )
    return Submission(
        student=student,
        root=root,
        files=files,
        content_hash=_hash(root, sorted(files)),
        runnable_hash=_hash(
            root, [p for p in sorted(files) if p.startswith(("dags/", EXTRA_DBT_TESTS + "/"))]
        ),
        problems=tuple(problems),
    )


def _scan(root: Path) -> tuple[dict[str, int], list[str]]:
    files: dict[str, int] = {}
    problems: list[str] = []
    total = 0
    for current, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(names):
            full = Path(current) / name
            relative = full.relative_to(root).as_posix()
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                problems.append(f"{relative} is a symlink; it was ignored. Submit the file itself.")
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            if info.st_size > MAX_FILE_BYTES:
                problems.append(
                    f"{relative} is {info.st_size // (1 << 20)} MB; files over "
                    f"{MAX_FILE_BYTES >> 20} MB are ignored. Do not submit data files."
                )
                continue
            if len(files) >= MAX_FILES or total + info.st_size > MAX_TOTAL_BYTES:
                problems.append(
                    f"the submission has more than {MAX_FILES} files or "
                    f"{MAX_TOTAL_BYTES >> 20} MB; the rest was ignored from {relative} on."
                )
                return files, problems
            files[relative] = info.st_size
            total += info.st_size
    return files, problems


def _hash(root: Path, relatives: list[str]) -> str:
    digest = hashlib.sha256()
    for relative in relatives:
        digest.update(relative.encode() + b"\0")
        try:
            digest.update(hashlib.sha256((root / relative).read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def find_submissions(folder: Path) -> list[Path]:
    """The student folders of a class: every visible sub-folder, sorted by name."""
    if not folder.is_dir():
        raise AutograderError(
            f"{folder} is not a folder. Pass the folder that holds one sub-folder per student."
        )
    found = sorted(
        p
        for p in folder.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith((".", "_"))
    )
    if not found:
        raise AutograderError(
            f"{folder} has no student folders. Expected one sub-folder per student, "
            f"e.g. {folder}/ada_lovelace/dags/taxi_pipeline.py."
        )
    return found
