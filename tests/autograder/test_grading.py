"""Grading a class: an interrupted session keeps whole results only and resumes without
regrading them."""

from __future__ import annotations

import pytest

from autograder import grade_class
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
