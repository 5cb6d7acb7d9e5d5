"""The corpus and the check registry agree with each other (fast)."""

from __future__ import annotations

import re
from pathlib import Path

from autograder.checks import all_checks
from tests.autograder.corpus import FIXTURES, ROOT, UNIT_TESTED, out_of_date

HERE = Path(__file__).resolve().parent


def test_every_fixture_folder_is_in_the_table_and_back() -> None:
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert folders - {"reference"} == set(FIXTURES)


def test_fixture_folders_are_generated_from_the_reference() -> None:
    assert out_of_date() == [], "run: .venv/bin/python -m tests.autograder.corpus"


def test_every_fixture_names_real_check_ids() -> None:
    ids = set(all_checks())
    for name, fixture in FIXTURES.items():
        assert fixture.fails, f"{name} must fail at least one check"
        assert fixture.fails <= ids, f"{name}: unknown ids {sorted(fixture.fails - ids)}"


def _defined(test: str) -> list[Path]:
    """The test modules under tests/autograder that define the function `test`."""
    pattern = re.compile(rf"^def {re.escape(test)}\(", re.M)
    return [path for path in HERE.rglob("test_*.py") if pattern.search(path.read_text())]


def test_every_check_is_tripped_by_a_fixture_or_a_named_unit_test() -> None:
    tripped = set().union(*(f.fails for f in FIXTURES.values()))
    for check_id in all_checks():
        if check_id in tripped:
            continue
        assert check_id in UNIT_TESTED, f"no fixture and no unit test trips {check_id}"
        # "file::test": the test must exist, exactly once; tests/autograder mirrors the package,
        # so the file part is where it lived when the entry was written.
        test = UNIT_TESTED[check_id].split("::")[-1]
        assert len(_defined(test)) == 1, f"{UNIT_TESTED[check_id]}: no such unit test"


def test_the_reference_fixture_is_the_course_reference_dag() -> None:
    course = (HERE.parents[1] / "dags" / "taxi_pipeline.py").read_text()
    fixture = (ROOT / "reference" / "dags" / "taxi_pipeline.py").read_text()
    assert fixture == course, (
        "dags/taxi_pipeline.py changed: copy it to tests/fixtures/submissions/reference/dags/ "
        "and run `.venv/bin/python -m tests.autograder.corpus` (fix an edit that no longer "
        "applies in tests/autograder/corpus.py)"
    )
