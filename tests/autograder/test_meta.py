"""The corpus and the check registry agree with each other (fast)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder.checks import all_checks
from tests.corpus import (
    BAD_SUBMISSIONS,
    REFERENCE,
    REFERENCE_DAG_FILE,
    TUNED_SUBMISSIONS,
    UNIT_TESTED,
    CorpusError,
    build_corpus,
    build_submission,
)
from tests.corpus.bad_submissions import FULL_MARKS
from tests.corpus.patches import Substitute

HERE = Path(__file__).resolve().parent


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_corpus_builds_every_submission_from_the_current_reference(tmp_path) -> None:
    """If this fails, dags/taxi_pipeline.py changed under a patch: the error names the patch."""
    corpus = build_corpus(tmp_path / "corpus")
    assert {p.name for p in corpus.iterdir()} == {REFERENCE, *BAD_SUBMISSIONS}
    reference = files(corpus / REFERENCE)
    assert reference["dags/taxi_pipeline.py"] == REFERENCE_DAG_FILE.read_bytes()
    for name in BAD_SUBMISSIONS:
        assert files(corpus / name) != reference, f"{name}: its patches change nothing"


def test_a_patch_that_no_longer_fits_names_its_file_and_text(tmp_path) -> None:
    root = build_submission(REFERENCE, tmp_path / "ada")
    with pytest.raises(CorpusError, match=r"ada/dags/taxi_pipeline.py: .* occurs 0 times"):
        Substitute("dags/taxi_pipeline.py", "schedule_interval=", "schedule=").apply(root)


def test_every_fixture_names_real_check_ids() -> None:
    ids = set(all_checks())
    for name, fixture in BAD_SUBMISSIONS.items():
        assert bool(fixture.fails) != (name in FULL_MARKS), (
            f"{name} must fail at least one check (or, listed in FULL_MARKS, none)"
        )
        assert fixture.fails <= ids, f"{name}: unknown ids {sorted(fixture.fails - ids)}"


def test_tuned_submissions_build_and_name_hidden_checks(tmp_path) -> None:
    checks = all_checks()
    reference = files(build_submission(REFERENCE, tmp_path / REFERENCE))
    for name, tuned in TUNED_SUBMISSIONS.items():
        assert files(build_submission(name, tmp_path / name)) != reference, name
        assert tuned.fails and tuned.fails <= set(checks), name
        assert all(checks[c].is_hidden for c in tuned.fails), f"{name}: a secret moves hidden runs"


def _defined(test: str) -> list[Path]:
    """The test modules under tests/autograder that define the function `test`."""
    pattern = re.compile(rf"^def {re.escape(test)}\(", re.M)
    return [path for path in HERE.rglob("test_*.py") if pattern.search(path.read_text())]


def test_every_check_is_tripped_by_a_fixture_or_a_named_unit_test() -> None:
    tripped = set().union(*(f.fails for f in BAD_SUBMISSIONS.values()))
    for check_id in all_checks():
        if check_id in tripped:
            continue
        assert check_id in UNIT_TESTED, f"no fixture and no unit test trips {check_id}"
        # "file::test": the test must exist, exactly once; tests/autograder mirrors the package,
        # so the file part is where it lived when the entry was written.
        test = UNIT_TESTED[check_id].split("::")[-1]
        assert len(_defined(test)) == 1, f"{UNIT_TESTED[check_id]}: no such unit test"
