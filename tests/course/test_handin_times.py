"""Zipped hand-ins are timed by what the hand-in records, never by the zip file's modification
time, and a late one is excluded or imported late as the course's policy says."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.handin_pack import hand_in
from course.handins import import_handins
from course.layout import Course
from tests.conftest import REPO
from tests.course.test_deadlines import write_settings

DUE = datetime(2027, 3, 12, 22, 59, tzinfo=UTC)  # 23:59 in Amsterdam
ON_TIME = datetime(2027, 3, 12, 20, 0, tzinfo=UTC)
LATE = datetime(2027, 3, 13, 10, 0, tzinfo=UTC)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC).timestamp()


def make_course(tmp_path: Path, policy: str) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", root / "nbgrader_config.py")
    write_settings(root, "due = 2027-03-12T23:59:00")
    text = (
        (root / "course.toml")
        .read_text()
        .replace('late_policy = "penalty"', f'late_policy = "{policy}"')
    )
    (root / "course.toml").write_text(text)
    return Course(root)


def work_folder(base: Path, name: str) -> Path:
    folder = base / name / "taxi_pipeline"
    (folder / "dags").mkdir(parents=True)
    (folder / "dags" / "taxi_pipeline.py").write_text(f"# {name}'s DAG\n")
    (folder / "RUNBOOK.md").write_text("# Runbook\n")
    (folder / "warehouse").mkdir()
    (folder / "warehouse" / "taxi.duckdb").write_bytes(b"\0" * 64)  # never handed in
    return folder


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """ada packs on time, grace packs late; then both zips are 'downloaded' (touched now) and
    backdated to long ago: the file times must not matter either way."""
    box = tmp_path / "inbox"
    hand_in(work_folder(tmp_path / "laptops", "ada"), "ada", box, now=ON_TIME)
    hand_in(work_folder(tmp_path / "laptops", "grace"), "grace", box, now=LATE)
    for name in ("ada.zip", "grace.zip"):
        os.utime(box / name, (LONG_AGO, LONG_AGO))
    return box


def test_hand_in_zips_the_folder_with_a_record(tmp_path: Path, inbox: Path) -> None:
    with zipfile.ZipFile(inbox / "ada.zip") as bundle:
        names = sorted(bundle.namelist())
        record = json.loads(bundle.read("taxi_pipeline/HANDIN.json"))
    assert names == [
        "taxi_pipeline/HANDIN.json",
        "taxi_pipeline/RUNBOOK.md",
        "taxi_pipeline/dags/taxi_pipeline.py",
    ]
    assert record["student"] == "ada" and record["handed_in_at"].startswith("2027-03-12T20:00")
    assert set(record["files"]) == {"RUNBOOK.md", "dags/taxi_pipeline.py"}


def test_late_hand_ins_are_excluded_under_exclude(tmp_path: Path, inbox: Path) -> None:
    course = make_course(tmp_path, "exclude")
    result = CliRunner().invoke(app, ["import-handins", str(inbox), "--root", str(course.root)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "imported 1: ada" in output
    assert "ada: handed in 2027-03-12 21:00 (hand-in record)" in output
    assert "grace.zip: handed in 2027-03-13 11:00 (hand-in record), after the due date" in output
    assert "not imported (late_policy = exclude)" in output
    assert course.submitted_students() == ["ada"]
    stamp = (course.submission("ada") / "timestamp.txt").read_text()
    assert stamp == "2027-03-12 20:00:00.000000 UTC"


def test_late_hand_ins_are_imported_late_under_penalty(tmp_path: Path, inbox: Path) -> None:
    course = make_course(tmp_path, "penalty")
    report = import_handins(course, inbox)
    assert report.imported == ["ada", "grace"] and report.excluded == {}
    assert report.timing["grace"].endswith("(hand-in record), 1 day(s) late")
    stamp = (course.submission("grace") / "timestamp.txt").read_text()
    assert stamp == "2027-03-13 10:00:00.000000 UTC"


def _rezip(source: Path, target: Path, change: dict[str, str], when: tuple[int, ...]) -> None:
    """The student edits files after packing and zips again by hand (entry times `when`)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change.get(info.filename, old.read(info.filename))
            new.writestr(zipfile.ZipInfo(info.filename, date_time=when), data)


def test_a_record_that_no_longer_matches_falls_back_to_the_zip_entry_times(
    tmp_path: Path, inbox: Path
) -> None:
    course = make_course(tmp_path, "exclude")
    edited = tmp_path / "edited"
    edited.mkdir()
    # ada's record says on time, but the DAG was changed after packing, on the 14th (local).
    _rezip(
        inbox / "ada.zip",
        edited / "ada.zip",
        {"taxi_pipeline/dags/taxi_pipeline.py": "# improved after the deadline\n"},
        (2027, 3, 14, 9, 30, 0),
    )
    report = import_handins(course, edited)
    assert report.imported == []
    assert "(zip entry times; HANDIN.json does not match the files" in report.excluded["ada.zip"]
    assert "dags/taxi_pipeline.py" in report.excluded["ada.zip"]


def test_a_plain_zip_is_timed_by_its_entries_and_a_forged_timestamp_is_dropped(
    tmp_path: Path,
) -> None:
    course = make_course(tmp_path, "penalty")
    box = tmp_path / "plain"
    box.mkdir()
    with zipfile.ZipFile(box / "linus.zip", "w") as bundle:
        for name, text in {
            "taxi_pipeline/dags/taxi_pipeline.py": "# dag\n",
            "taxi_pipeline/timestamp.txt": "2027-01-01 00:00:00.000000 UTC",  # forged
        }.items():
            bundle.writestr(zipfile.ZipInfo(name, date_time=(2027, 3, 13, 0, 30, 0)), text)
    os.utime(box / "linus.zip", (LONG_AGO, LONG_AGO))
    report = import_handins(course, box)
    assert (
        report.timing["linus"]
        == "2027-03-13 00:30 (zip entry times; no HANDIN.json), 1 day(s) late"
    )
    assert (course.submission("linus") / "timestamp.txt").read_text().startswith("2027-03-12 23:30")


def test_a_folder_without_a_record_has_no_time_and_is_treated_as_on_time(tmp_path: Path) -> None:
    course = make_course(tmp_path, "exclude")
    box = tmp_path / "folders"
    shutil.copytree(work_folder(tmp_path / "laptops", "ken"), box / "ken")
    report = import_handins(course, box)
    assert report.imported == ["ken"]
    assert (
        "(unknown; no HANDIN.json; no time in the hand-in: treated as on time)"
        in (report.timing["ken"])
    )
    assert not (course.submission("ken") / "timestamp.txt").exists()
