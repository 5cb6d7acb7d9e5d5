"""The class DAG repository as the class to grade: what each student pushed, at one commit.

The class Airflow's repository holds `dags/<id>/` per student. `export` writes each student
folder that has a Python file as `<into>/<id>/dags/`, a submission the grader reads like a
hand-in (documents and tests are not in that repository, so their checks fail: grade it with
`public_only` to look at the DAGs, or hand-ins for the whole grade).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from autograder.errors import AutograderError


def _git(repository: Path, *args: str) -> bytes:
    done = subprocess.run(
        ["git", "--git-dir", str(repository), *args], capture_output=True, check=False
    )
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise AutograderError(
            f"git {args[0]} in {repository}: {message[-1] if message else 'failed'}. Fix: give "
            "the class repository (a bare repository, or a checkout's .git) and a commit or "
            "branch that exists in it."
        )
    return done.stdout


def _git_dir(repository: Path) -> Path:
    """A bare repository as it is; a checkout through its .git folder."""
    if not (repository / "HEAD").exists() and (repository / ".git").is_dir():
        return repository / ".git"
    return repository


def resolve(repository: Path, commit: str) -> str:
    """The full commit id `commit` (a branch, tag or id) names in `repository`."""
    repository = _git_dir(repository)
    return _git(repository, "rev-parse", "--verify", f"{commit}^{{commit}}").decode().strip()


def export(repository: Path, commit: str, into: Path) -> tuple[str, list[str]]:
    """Replace `into` with one submission folder per student of `commit`; returns the commit
    id and the student ids, sorted."""
    repository = _git_dir(repository)
    sha = resolve(repository, commit)
    archive = _git(repository, "archive", "--format=tar", sha, "dags")
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=into.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(staging / "tree", filter="data")  # no links out, no devices
        students = []
        for folder in sorted((staging / "tree" / "dags").iterdir()):
            if folder.is_dir() and any(folder.rglob("*.py")):
                shutil.copytree(folder, staging / "class" / folder.name / "dags")
                students.append(folder.name)
        (staging / "class").mkdir(exist_ok=True)
        shutil.rmtree(into, ignore_errors=True)
        (staging / "class").rename(into)  # the mapped tasks never see half an export
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sha, students
