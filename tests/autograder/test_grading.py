"""Grading a class: an interrupted session keeps whole results only and resumes without
regrading them; `--regrade` really runs a student's sandbox again and keeps what it replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder import grade_class
from autograder.cli import app
from autograder.results import read_results_file
from tests.autograder.helpers import FAST
from tests.corpus import build_submission

pytestmark = pytest.mark.slow


def test_an_interrupted_class_resumes_without_regrading(tmp_path) -> None:
    students = tmp_path / "class"
    for name, source in (("ada", "cycle"), ("bob", "import_error"), ("cy", "sys_exit")):
        build_submission(source, students / name)
    out = tmp_path / "out"
    finished: list[str] = []

    def stop_after_first(student, result, reused) -> None:
        if result is not None:
            finished.append(student)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_class(students, out, jobs=1, options=FAST, on_progress=stop_after_first)
    saved = sorted(p.name for p in (out / "results").iterdir())
    assert saved == [f"{finished[0]}.json"]  # whole files only: no temp files left behind
    (out / "results" / "bob.json").write_text("{not json")  # a torn file from elsewhere
    again = grade_class(students, out, jobs=2, options=FAST)
    assert again.reused == (finished[0],) if finished[0] != "bob" else again.reused == ()
    assert sorted(r.student for r in again.results) == ["ada", "bob", "cy"]
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("student,total,max,tier,integrity_imports")


def _lower(out: Path, student: str, check_id: str) -> None:
    """Make a saved result look like a disturbed run: one passed check scored 0."""
    path = out / "results" / f"{student}.json"
    data = json.loads(path.read_text())
    test = next(t for t in data["tests"] if t["extra_data"]["check_id"] == check_id)
    assert test["status"] == "passed", test
    data["score"] -= test["score"]
    test["score"], test["status"] = 0.0, "failed"
    path.write_text(json.dumps(data))


def test_a_regrade_reruns_the_sandbox_keeps_the_old_result_and_shows_the_change(
    tmp_path,
) -> None:
    students, out = tmp_path / "class", tmp_path / "out"
    for name in ("ada", "bob"):
        build_submission("import_error", students / name)
    grade = ["grade", str(students), "--out", str(out), "--import-timeout", "15"]
    first = CliRunner().invoke(app, grade)
    assert first.exit_code == 0, first.output
    summary = json.loads((out / "summary.json").read_text())
    used = summary["isolation"]
    assert used in ("root-namespaces", "user-namespaces")  # never "none" unless asked for
    assert f"Sandbox: {used}" in first.output
    results = {s: json.loads((out / "results" / f"{s}.json").read_text()) for s in ("ada", "bob")}
    assert {r["extra_data"]["isolation"] for r in results.values()} == {used}
    for name in ("ada", "bob"):
        _lower(out, name, "docs_runbook")
    lowered = (out / "results" / "ada.json").read_bytes()

    kept = CliRunner().invoke(app, grade)  # without --regrade the saved results stand
    assert kept.exit_code == 0 and "2 kept from an earlier run" in kept.output, kept.output
    assert (out / "results" / "ada.json").read_bytes() == lowered
    assert not (out / "history").exists()

    (out / "logs" / "ada.log").unlink()  # the sandbox writes it again when it really runs
    again = CliRunner().invoke(app, [*grade, "--regrade", "--student", "ada"])
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "ada: total 17 -> 21 / 100" in said
    assert "docs_runbook: 0/4 failed -> 4/4 passed" in said
    assert f"Sandbox: {used}" in said
    assert f"sandbox: {used}" in (out / "logs" / "ada.log").read_text()  # it ran again
    new = read_results_file(out / "results" / "ada.json")
    assert new.check("docs_runbook").passed and new.score == 21
    [history] = (out / "history" / "ada").iterdir()
    assert history.read_bytes() == lowered  # the replaced result, as it was
    [report] = (out / "regrades").iterdir()
    assert "| `docs_runbook` | 0/4 failed | 4/4 passed |" in report.read_text()
    assert not (out / "history" / "bob").exists()
    assert read_results_file(out / "results" / "bob.json").score == 17  # not regraded
    assert json.loads((out / "summary.json").read_text())["graded_now"] == 1
    grades = (out / "grades.csv").read_text()  # one student regraded; the class stays whole
    assert "ada" in grades and "bob" in grades
