"""The class the tests deploy: DAG files for good students and for the hostile five.

Good students push the reference DAG unchanged (it names itself after its folder). Each
hostile file is named for what it does; `HOSTILE_REASONS` is the problem the gate must name.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import REPO

REFERENCE = (REPO / "dags" / "taxi_pipeline.py").read_text()

GOOD = [
    "ada", "grace", "linus", "margaret", "alan", "barbara", "donald", "edsger", "frances",
    "guido", "hedy", "ken", "katherine", "niklaus", "radia", "dennis", "john", "tim",
    "lee_ann", "sophie",
]  # fmt: skip


def _reference_with_dag_id(dag_id: str) -> str:
    old = 'dag_id=dag_id_for("taxi_pipeline"),'
    assert old in REFERENCE
    return REFERENCE.replace(old, f'dag_id="{dag_id}",')


HOSTILE = {
    # student id -> the DAG file they push
    "hank": "from airflow.sdk import dag\n\nwhile True:  # loops at import\n    pass\n",
    "hog": "from airflow.sdk import dag\n\nBALLAST = bytearray(2 * 1024**3)  # 2 GB at import\n",
    "lee": _reference_with_dag_id("lee_ann_taxi_pipeline"),  # lee_ann's id
    "nopre": _reference_with_dag_id("taxi_pipeline"),  # no prefix
    "quitter": "import sys\n\nfrom airflow.sdk import dag\n\nsys.exit(3)  # stops the parser\n",
}
HOSTILE_REASONS = {
    "hank": "importing took longer than",
    "hog": "ran out of memory",
    "lee": "'lee_ann_taxi_pipeline' belongs to lee_ann",
    "nopre": "does not start with 'nopre_'",
    "quitter": "stops the interpreter",
}


def roster_text(ids: list[str]) -> str:
    lines = ["student,name,email"] + [f"{sid},{sid.title()},{sid}@example.org" for sid in ids]
    return "\n".join(lines) + "\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def clone(repo: Path, into: Path) -> Path:
    git(into.parent, "clone", "--quiet", str(repo), str(into))
    git(into, "config", "user.name", "student")
    git(into, "config", "user.email", "student@example.org")
    return into


def commit_as(work: Path, student: str, files: dict[str, str], message: str) -> str:
    """One commit authored by `student` (the roster's e-mail) with `files` (path -> text)."""
    for path, text in files.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        git(work, "add", path)
    git(
        work,
        "-c", f"user.name={student}", "-c", f"user.email={student}@example.org",
        "commit", "--quiet", "-m", message,
    )  # fmt: skip
    return git(work, "rev-parse", "HEAD")


def push(work: Path) -> None:
    git(work, "pull", "--quiet", "--rebase")
    git(work, "push", "--quiet", "origin", "HEAD:main")
