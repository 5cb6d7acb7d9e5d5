"""The corpus is graded once per test session (it is the expensive part: every fixture's DAG
really runs), and every corpus test reads from that one grading."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import ClassResult, GradingOptions, grade_class
from tests.autograder.corpus import ROOT

# A short import limit keeps hangs_at_import cheap; everything else as a teacher would run it.
CORPUS_OPTIONS = GradingOptions(import_timeout=10)


@dataclass(frozen=True)
class GradedCorpus:
    result: ClassResult
    out: Path
    canary: Path


@pytest.fixture(scope="session")
def graded_corpus(tmp_path_factory: pytest.TempPathFactory) -> GradedCorpus:
    out = tmp_path_factory.mktemp("corpus-out")
    # A file anyone could delete: deletes_files must not reach it from inside its sandbox.
    canary_dir = Path(tempfile.mkdtemp(prefix="autograder-canary-"))
    os.chmod(canary_dir, 0o777)
    canary = canary_dir / "grades.csv"
    canary.write_text("student,total\n")
    os.chmod(canary, 0o666)
    result = grade_class(ROOT, out, jobs=2, options=CORPUS_OPTIONS, regrade=True)
    yield GradedCorpus(result, out, canary)
    shutil.rmtree(canary_dir, ignore_errors=True)
