"""One source per artefact: every committed file made from another is up to date (`make generate`
rewrites them), what is generated but not committed is git-ignored, and no committed file of the
course's DAG family is a copy of another."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import REPO

# Where copies of the reference DAG used to be kept by hand.
DAG_FAMILY = ("dags", "assets", "assignment/source", "tests/corpus")
RUN = 6  # identical lines in a row that make a copy
PUNCTUATION_ONLY = re.compile(r"^[\s()\[\]{},:;]*$")


def generate_module():
    spec = importlib.util.spec_from_file_location("generate", REPO / "tools" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


GENERATED = generate_module().GENERATED


def git(*args: str) -> list[str]:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    "generated", [g for g in GENERATED if g.committed], ids=lambda g: g.name.replace(" ", "_")
)
def test_committed_generated_files_are_up_to_date(generated) -> None:
    stale = generated.stale()
    assert not stale, (
        f"stale {generated.name}: {', '.join(stale)}. These files are made from others: "
        "run `make generate` (tools/generate.py) and commit the result; never edit them by hand."
    )


def test_generated_files_that_are_not_committed_are_git_ignored(tmp_path: Path) -> None:
    module = generate_module()
    student_dag = module.STUDENT_DAG.relative_to(REPO).as_posix()
    snapshot = "assets/dag_snapshots/taxi_pipeline_ch04.py"
    assert git("ls-files", student_dag, "assets/dag_snapshots") == []
    assert set(git("check-ignore", "--no-index", student_dag, snapshot)) == {student_dag, snapshot}


def runs(text: str) -> set[tuple[str, ...]]:
    """Every run of RUN consecutive lines, blank and bracket-only lines left out."""
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for line in lines if line and not PUNCTUATION_ONLY.match(line)]
    return {tuple(kept[i : i + RUN]) for i in range(len(kept) - RUN + 1)}


def test_runs_find_a_copy_and_ignore_blank_lines() -> None:
    body = "\n".join(f"line {n}" for n in range(8))
    assert runs(body) & runs("other\n\n" + body.replace("line 3", "line 3\n\n)"))
    assert not runs(body) & runs(body.replace("line 3", "line three"))


def test_no_committed_file_of_the_dag_family_repeats_six_lines_of_another() -> None:
    """The reference DAG, the snapshots, the assignment source and the test corpus."""
    where: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for name in git("ls-files", *DAG_FAMILY):
        path = REPO / name
        if path.is_symlink() or not path.is_file():
            continue  # a link is one source, not a copy
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for run in runs(text):
            where[run].add(name)
    shared = {tuple(sorted(files)) for files in where.values() if len(files) > 1}
    assert not shared, f"files sharing {RUN} or more identical lines: {sorted(shared)}"
    assert not (REPO / "tests" / "fixtures" / "submissions").exists()
