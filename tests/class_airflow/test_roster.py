"""The roster: what a teacher types, and the messages they get when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from class_airflow import roster
from class_airflow.errors import ClassError
from class_airflow.roster import Student


def _load(tmp_path: Path, text: str) -> roster.Roster:
    path = tmp_path / "roster.csv"
    path.write_text(text)
    return roster.load(path)


def test_a_roster_with_comments_and_optional_columns_loads(tmp_path: Path) -> None:
    loaded = _load(
        tmp_path,
        "# our class\nstudent,name,email\nada,Ada Lovelace,ada@example.org\n\ngrace,,\n",
    )
    assert loaded.ids() == ["ada", "grace"]
    assert loaded.get("ada") == Student("ada", "Ada Lovelace", "ada@example.org", 3)
    assert loaded.get("grace").schema == "airflow_grace"


def test_the_example_roster_is_valid() -> None:
    from class_airflow.paths import TEACHER_DIR

    assert roster.load(TEACHER_DIR / "roster.example.csv").ids() == ["ada", "grace"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ":1: header: the roster is empty. Fix: start it with the line"),
        ("name,email\nada,x\n", ":1: header: no column in 'name,email'"),
        ("student,nick\nada,x\n", ":1: header: unknown column(s) 'nick'"),
        ("student\nAda\n", ":2: student: 'Ada' cannot name a folder"),
        ("student\n\n\n1ada\n", ":4: student: '1ada' cannot name a folder"),
        ("student\nada-l\n", "(e.g. 'ada_l')"),
        ("student\nteacher\n", ":2: student: 'teacher' is used by the class stack itself"),
        ("student\nada\nada\n", ":3: student: 'ada' is already on line 2. Fix: remove one"),
        ("student,email\nada,ada.example.org\n", ":2: email: 'ada.example.org' is not an e-mail"),
        ("student,name\nada,Ada,Lovelace\n", ":2: row: 3 values for 2 columns"),
    ],
    ids=[
        "empty",
        "no-student-column",
        "unknown-column",
        "uppercase",
        "starts-with-digit",
        "hyphen-suggests-underscore",
        "reserved",
        "duplicate",
        "bad-email",
        "unquoted-comma",
    ],
)
def test_bad_rosters_name_file_line_field_and_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ClassError) as caught:
        _load(tmp_path, text)
    assert str(caught.value).startswith(str(tmp_path / "roster.csv"))
    assert message in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ClassError) as caught:
        _load(tmp_path, "student,email\nAda,\nbob,bob\ncyd,\ncyd,\n")
    assert len(str(caught.value).splitlines()) == 3


def test_add_and_remove_keep_every_other_line_as_written(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text('# keep me\nstudent,name,email\nada,"Lovelace, Ada",\ngrace,,\n')
    roster.add(path, Student("linus", "Linus", "linus@example.org"))
    assert path.read_text().endswith("grace,,\nlinus,Linus,linus@example.org\n")
    roster.remove(path, "ada")
    assert path.read_text() == (
        "# keep me\nstudent,name,email\ngrace,,\nlinus,Linus,linus@example.org\n"
    )
    with pytest.raises(ClassError, match="already on the roster"):
        roster.add(path, Student("grace"))
    with pytest.raises(ClassError, match="cannot name a folder"):
        roster.add(path, Student("Bad Name"))
    with pytest.raises(ClassError, match="not on the roster"):
        roster.remove(path, "nobody")


def test_a_dag_id_belongs_to_the_longest_matching_prefix(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "student\nlee\nlee_ann\n")
    assert loaded.owner_of_dag_id("lee_ann_taxi_pipeline").id == "lee_ann"
    assert loaded.owner_of_dag_id("lee_taxi_pipeline").id == "lee"
    assert loaded.owner_of_dag_id("taxi_pipeline") is None
