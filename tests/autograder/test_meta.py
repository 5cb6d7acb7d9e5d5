"""The corpus, the check registry and the tiers agree with each other (fast)."""

from __future__ import annotations

import re
from pathlib import Path

from autograder.checks import all_checks
from autograder.tiers import TIERS
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


def test_every_check_is_tripped_by_a_fixture_or_a_named_unit_test() -> None:
    tripped = set().union(*(f.fails for f in FIXTURES.values()))
    for check_id in all_checks():
        if check_id in tripped:
            continue
        assert check_id in UNIT_TESTED, f"no fixture and no unit test trips {check_id}"
        file, test = UNIT_TESTED[check_id].split("::")
        assert re.search(rf"^def {test}\(", (HERE / file).read_text(), re.M), UNIT_TESTED[check_id]


def test_check_ids_points_and_hints() -> None:
    checks = all_checks()
    assert sum(c.points for c in checks.values()) == 100
    for check in checks.values():
        assert re.fullmatch(r"(integrity|airflow3|docs|behaviour)_[a-z0-9_]+", check.id)
        assert len(check.hint) > 40 and check.title
    assert {c.visibility for c in checks.values()} == {"public", "hidden"}


def test_every_check_belongs_to_exactly_one_tier() -> None:
    listed = [c for ids in TIERS.values() for c in ids]
    assert sorted(listed) == sorted(all_checks())
    assert "docs_runbook" in TIERS["minimum"] and "behaviour_one_month" in TIERS["minimum"]


def test_the_reference_fixture_is_the_course_reference_dag() -> None:
    course = (HERE.parents[1] / "dags" / "taxi_pipeline.py").read_text()
    fixture = (ROOT / "reference" / "dags" / "taxi_pipeline.py").read_text()
    assert fixture == course, (
        "dags/taxi_pipeline.py changed: copy it to tests/fixtures/submissions/reference/dags/ "
        "and run `.venv/bin/python -m tests.autograder.corpus` (fix an edit that no longer "
        "applies in tests/autograder/corpus.py)"
    )
