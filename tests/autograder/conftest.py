"""The corpus is built once per test session from its definitions (tests/corpus/) and graded once
(the expensive part: every submission's DAG really runs); every corpus test reads that grading.
Its results go to one folder for all xdist workers of the run (`graded_corpus_dir`), where the
grading-DAG test reuses them instead of grading the same submissions again."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import ClassResult, GradingOptions, grade_class
from tests.corpus import build_corpus

# A short import limit keeps hangs_at_import cheap; everything else as a teacher would run it.
CORPUS_OPTIONS = GradingOptions(import_timeout=10)


@dataclass(frozen=True)
class GradedCorpus:
    result: ClassResult
    submissions: Path
    out: Path
    canary: Path


def graded_corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The graded corpus's output folder, the same for every xdist worker of this run."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "graded-corpus"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every submission of the corpus, one folder each (`reference`, `cycle`, ...)."""
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def graded_corpus(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> GradedCorpus:
    out = graded_corpus_dir(tmp_path_factory)
    out.mkdir()
    # A file anyone could delete: deletes_files must not reach it from inside its sandbox.
    canary_dir = Path(tempfile.mkdtemp(prefix="autograder-canary-"))
    os.chmod(canary_dir, 0o777)
    canary = canary_dir / "grades.csv"
    canary.write_text("student,total\n")
    os.chmod(canary, 0o666)
    result = grade_class(corpus, out, jobs=2, options=CORPUS_OPTIONS, regrade=True)
    yield GradedCorpus(result, corpus, out, canary)
    shutil.rmtree(canary_dir, ignore_errors=True)
