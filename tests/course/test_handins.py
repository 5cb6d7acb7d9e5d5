"""Hand-ins from students on their own laptops: zips (or folders) named after the student."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.handins import import_handins
from course.layout import Course
from tests.conftest import REPO


@pytest.fixture
def course(tmp_path: Path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course(root)


def _zip(path: Path, files: dict[str, str], links: tuple[str, ...] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            bundle.writestr(info, "/etc/passwd")
    return path


HANDIN = {
    "taxi_pipeline/taxi_pipeline.ipynb": "{}",
    "taxi_pipeline/dags/taxi_pipeline.py": "dag = 1\n",
    "taxi_pipeline/RUNBOOK.md": "# Runbook\n",
    "taxi_pipeline/warehouse/taxi.duckdb": "big",
    "taxi_pipeline/.airflow/airflow.db": "big",
    "__MACOSX/taxi_pipeline/._RUNBOOK.md": "junk",
}


def test_a_zipped_folder_lands_where_nbgrader_collect_puts_it(course: Course, tmp_path: Path):
    _zip(tmp_path / "in" / "ada.zip", HANDIN)
    report = import_handins(course, tmp_path / "in")
    assert report.imported == ["ada"] and report.problems == {}
    folder = course.submission("ada")
    got = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert got == [
        "RUNBOOK.md",
        "dags/taxi_pipeline.py",
        "taxi_pipeline.ipynb",
        "timestamp.txt",
    ]
    assert course.submitted_students() == ["ada"]


def test_a_zip_of_the_files_themselves_and_a_plain_folder_work_too(course, tmp_path: Path):
    flat = {k.removeprefix("taxi_pipeline/"): v for k, v in HANDIN.items() if "MACOSX" not in k}
    _zip(tmp_path / "in" / "grace.zip", flat)
    (tmp_path / "in" / "linus" / "dags").mkdir(parents=True)
    (tmp_path / "in" / "linus" / "dags" / "taxi_pipeline.py").write_text("dag = 2\n")
    report = import_handins(course, tmp_path / "in")
    assert report.imported == ["grace", "linus"]
    assert (course.submission("grace") / "dags" / "taxi_pipeline.py").read_text() == "dag = 1\n"
    assert (course.submission("linus") / "dags" / "taxi_pipeline.py").read_text() == "dag = 2\n"


@pytest.mark.parametrize(
    ("files", "links", "problem"),
    [
        ({"../../evil.py": "x"}, (), "unsafe path"),
        ({"taxi_pipeline/RUNBOOK.md": "x"}, ("taxi_pipeline/dags/taxi_pipeline.py",), "symlink"),
        ({"/etc/cron.d/x": "x"}, (), "unsafe path"),
    ],
    ids=["dot-dot", "symlink", "absolute"],
)
def test_unsafe_archives_are_refused_and_the_rest_imported(
    course: Course, tmp_path: Path, files, links, problem
) -> None:
    _zip(tmp_path / "in" / "mallory.zip", files, links)
    _zip(tmp_path / "in" / "ada.zip", HANDIN)
    report = import_handins(course, tmp_path / "in")
    assert report.imported == ["ada"]
    assert problem in report.problems["mallory.zip"]
    assert not course.submission("mallory").exists()
    assert not (tmp_path / "evil.py").exists()


def test_bad_names_and_broken_zips_are_reported(course: Course, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "ken.zip").write_bytes(b"not a zip")
    (inbox / "notes.txt").write_text("hello")
    _zip(inbox / "bad name!.zip", HANDIN)
    code = CliRunner().invoke(app, ["import-handins", str(inbox), "--root", str(course.root)])
    assert code.exit_code == 1
    output = " ".join(code.output.split())
    assert "ken.zip: not a readable zip file; not imported" in output
    assert "notes.txt: not a .zip file or a folder" in output
    assert "cannot be a student id" in output
