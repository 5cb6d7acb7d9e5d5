"""The whole nbgrader loop, offline, on a fresh course: the teacher releases; students fetch, work
and submit through the local exchange; the teacher collects, grades (the real autograder, in its
sandbox, then nbgrader autograde), generates feedback and exports.

The class: ada completes the assignment from the reference solution; grace does the Minimum tier
only, on her own laptop (she hands in a zip, imported with `course import-handins`); linus hands
in a DAG with a syntax error; ken's notebook was saved over with an empty one; barbara's notebook
is cut off half-way (not JSON); mallory adds a cell that fakes the check cells' results; edsger
is on the roster but hands in nothing.
Everything runs once (a module fixture, ~4 minutes); the tests below only read what it left.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from course import stubs
from course.assignment_notebook import grade_id, nbgrader_meta
from course.autograder_link import registry, secrets
from course.autograder_results import with_cell_ids
from course.cli import app
from course.dagcheck import parse_dags
from course.feedback_release import hidden_outputs
from course.grading_log import GradingReport
from course.layout import ASSIGNMENT, COURSE_ID, NOTEBOOK, Course
from tests.conftest import REPO
from tests.course import classroom
from tests.course.classroom import Student

pytestmark = pytest.mark.slow

STUDENTS = [
    Student("ada", classroom.complete_from_reference, cli=True),
    Student("grace", classroom.minimum_tier_only, zipped=True),
    Student("linus", classroom.broken_dag),
    Student("ken", classroom.empty_notebook),
    Student("barbara", classroom.invalid_json_notebook),
    Student("mallory", classroom.tampering),
]
ROSTER_ONLY = "edsger"
REFERENCE_DAG = REPO / "dags" / "taxi_pipeline.py"  # solution regions marked


@dataclass
class Loop:
    course: Course
    students: Path
    report: GradingReport
    rows: dict[str, dict[str, str]]
    header: list[str]
    ada_feedback: list[Path]
    outputs: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)


def _teacher(*args: str, course: Course, code: int = 0) -> str:
    result = CliRunner().invoke(app, [*args, "--root", str(course.root)])
    assert result.exit_code == code, f"course {' '.join(args)}:\n{result.output}"
    return result.output


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Loop:
    base = tmp_path_factory.mktemp("class")
    course = classroom.make_course(base / "course")
    students = base / "students"
    seconds: dict[str, float] = {}
    outputs: dict[str, str] = {}

    def step(name: str, action) -> None:
        started = time.perf_counter()
        outputs[name] = action()
        seconds[name] = round(time.perf_counter() - started, 1)

    step("release", lambda: _teacher("release", course=course))
    step("students fetch, work, submit", lambda: classroom.run_class(course, students, STUDENTS))
    step(
        "roster (nbgrader db student add)",
        lambda: classroom.nbgrader(
            ["db", "student", "add", ROSTER_ONLY, "--first-name=Edsger", "--last-name=Dijkstra"],
            cwd=course.root,
            home=base,
        ),
    )
    step("collect", lambda: _teacher("collect", course=course))
    step(
        "import-handins", lambda: _teacher("import-handins", str(students / "inbox"), course=course)
    )
    step("grade", lambda: _teacher("grade", "--jobs", "2", course=course))
    step("feedback", lambda: _teacher("feedback", course=course))
    step("export", lambda: _teacher("export", course=course))
    feedback: list[Path] = []
    step("ada fetches feedback", lambda: feedback.extend(STUDENTS[0].fetch_feedback(students)))
    with course.grades_csv.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = {row["student_id"]: row for row in reader}
        header = list(reader.fieldnames or [])
    report = GradingReport.load(course.grading_log)
    assert report is not None
    seconds |= {f"grade: {k}": v for k, v in report.seconds.items()}
    print("\nmeasured (s):", json.dumps(seconds, indent=1))  # read with pytest -s
    return Loop(course, students, report, rows, header, feedback, outputs, seconds)


# ----------------------------------------------------------------------------- the release


def test_the_released_dag_has_stubs_and_no_solution(loop: Loop) -> None:
    released = loop.course.exchange / COURSE_ID / "outbound" / ASSIGNMENT / "dags"
    text = (released / "taxi_pipeline.py").read_text()
    assert stubs.leaked_solution_lines(text, REFERENCE_DAG.read_text()) == []
    assert 'raise NotImplementedError("fill in: ingest_taxi_month")' in text
    assert "BEGIN SOLUTION" not in text and "TODO" not in text
    parsed = parse_dags(released)  # the stub still imports in Airflow; its tasks await wiring
    assert parsed["import_errors"] == {} and parsed["dag_ids"] == ["taxi_pipeline"]


def test_the_released_notebook_has_no_answers(loop: Loop) -> None:
    released = loop.course.exchange / COURSE_ID / "outbound" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(str(released), as_version=4)
    answers = [c for c in nb.cells if nbgrader_meta(c).get("solution")]
    assert len(answers) == 4
    assert all(c.source == "*fill in: your answer here*" for c in answers)
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "Model answer" not in text


def test_a_submission_holds_the_dag_and_documents_next_to_the_notebook(loop: Loop) -> None:
    folder = loop.course.submission("ada")
    for name in [
        NOTEBOOK,
        "dags/taxi_pipeline.py",
        "RUNBOOK.md",
        "ASSIGNMENT_REPORT.md",
        "AI_ASSIST.md",
        "include/taxi_dbt/dbt_project.yml",
    ]:
        assert (folder / name).is_file(), name
    assert not (folder / "warehouse").exists(), "run-time state must not be handed in"


# ----------------------------------------------------------------------------- the scores


def _num(row: dict[str, str], key: str) -> float:
    return float(row[key] or 0)


def test_the_reference_solution_gets_full_marks_and_the_stretch_tier(loop: Loop) -> None:
    ada = loop.rows["ada"]
    total = sum(c.points for c in registry())
    assert _num(ada, "checks_score") == total
    assert _num(ada, "notebook_score") == 5
    assert ada["tier"] == "stretch" and ada["status"] == "graded"
    assert ada["needs_manual_grade"] == "true"  # her runbook answers wait for the teacher


def test_minimum_tier_only_gets_a_partial_score(loop: Loop) -> None:
    grace, total = loop.rows["grace"], sum(c.points for c in registry())
    assert grace["tier"] == "minimum"
    assert 26 <= _num(grace, "checks_score") < total
    # The report and the AI log were handed in as released: the templates earn (almost) nothing.
    for check_id, points in [
        ("docs_assignment_report", 3),
        ("docs_report_row_counts", 2),
        ("docs_ai_assist", 3),
    ]:
        assert _num(grace, check_id) <= points / 3, (check_id, grace[check_id])


def test_a_broken_dag_gets_a_low_score_and_a_clear_message(loop: Loop) -> None:
    linus = loop.rows["linus"]
    assert linus["tier"] == "none" and linus["status"] == "graded"
    assert _num(linus, "checks_score") < 25
    assert _num(linus, "behaviour_one_month") == 0 and _num(linus, "integrity_imports") == 0
    assert _num(linus, "notebook_score") == 0  # the helper tests import the same file
    assert re.search(r"dags/taxi_pipeline.py:\d+:\d+: SyntaxError", linus["problems"])


def test_the_gradebook_holds_every_check_as_the_autograder_scored_it(loop: Loop) -> None:
    from nbgrader.api import Gradebook

    checks = registry()
    cells = with_cell_ids(checks)
    with Gradebook(loop.course.db_url, COURSE_ID) as gb:
        for student in ["ada", "grace", "linus", "ken", "barbara", "mallory"]:
            results = json.loads(
                (loop.course.checks_out / "results" / f"{student}.json").read_text()
            )
            want = {
                cells[t["extra_data"]["check_id"]]: round(t["score"], 2) for t in results["tests"]
            }
            nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            got = {g.name: g.auto_score for g in nb.grades if g.name in want}
            assert got == want, student


# ----------------------------------------------------------------------------- the export


def test_the_csv_has_one_row_per_student_and_a_column_per_check(loop: Loop) -> None:
    assert sorted(loop.rows) == sorted([s.name for s in STUDENTS] + [ROSTER_ONLY])
    for info in registry():
        assert info.id in loop.header, info.id
    assert not any(h.startswith("hidden_check_") for h in loop.header)
    for column in [
        "tier",
        "status",
        "score",
        "max_score",
        "test_month_for_run",
        "runbook_wrong_schema",
        "problems",
    ]:
        assert column in loop.header


def test_plain_nbgrader_export_gives_the_same_csv(loop: Loop, tmp_path: Path) -> None:
    target = tmp_path / "nbgrader.csv"
    classroom.nbgrader(["export", f"--to={target}"], cwd=loop.course.root, home=loop.course.root)
    assert target.read_text() == loop.course.grades_csv.read_text()


# ----------------------------------------------------------------------------- feedback


def _feedback_files(loop: Loop) -> list[Path]:
    files = sorted(loop.course.feedback_release.glob(f"*/{ASSIGNMENT}/*.html"))
    files += sorted((loop.course.exchange / COURSE_ID / "feedback").glob("*.html"))
    return files + loop.ada_feedback


def test_every_graded_student_has_feedback_and_ada_fetched_hers(loop: Loop) -> None:
    for student in ["ada", "grace", "linus", "ken", "barbara", "mallory"]:
        assert loop.course.feedback_html(student).is_file(), student
    assert len(loop.ada_feedback) == 1
    assert "Tier reached: Stretch" in loop.ada_feedback[0].read_text()
    assert "send it yourself" in loop.outputs["feedback"]
    assert str(loop.course.feedback_html("grace")) in " ".join(loop.outputs["feedback"].split())


def test_a_zipped_hand_in_is_graded_like_any_other(loop: Loop) -> None:
    folder = loop.course.submission("grace")
    assert (folder / "timestamp.txt").is_file() and (folder / "dags/taxi_pipeline.py").is_file()
    assert loop.rows["grace"]["timestamp"] and loop.rows["grace"]["status"] == "graded"


def test_a_teachers_override_wins_in_the_export_and_the_tier(loop: Loop, tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    copy = Course(tmp_path / "course")
    shutil.copytree(loop.course.root, copy.root, ignore=shutil.ignore_patterns("exchange"))
    with Gradebook(copy.db_url, COURSE_ID) as gb:
        for check_id, points in [
            ("docs_assignment_report", 3),
            ("docs_report_row_counts", 2),
            ("docs_ai_assist", 3),
        ]:
            grade = gb.find_grade(check_id, ASSIGNMENT, ASSIGNMENT, "grace")
            grade.manual_score = points
        gb.db.commit()
    _teacher("export", "--to", str(tmp_path / "grades.csv"), course=copy)
    with (tmp_path / "grades.csv").open(newline="") as handle:
        grace = next(r for r in csv.DictReader(handle) if r["student_id"] == "grace")
    assert grace["docs_ai_assist"] == "3" and grace["tier"] == "stretch"


def test_the_export_has_the_manual_rubric_and_applies_the_pass_mark(
    loop: Loop, tmp_path: Path
) -> None:
    from nbgrader.api import Gradebook

    for column in ["rubric_runbook", "rubric_report", "rubric_screenshots", "rubric_ai_log"]:
        assert column in loop.header
    for column in ["screenshots_valid", "quiz_score", "total", "percent", "passed", "grade"]:
        assert column in loop.header
    # Nothing is scored by hand yet: a grade waits; nothing handed in fails.
    assert loop.rows["ada"]["grade"] == "pending" and loop.rows["ada"]["passed"] == ""
    assert loop.rows[ROSTER_ONLY]["grade"] == "F" and loop.rows[ROSTER_ONLY]["passed"] == "false"

    copy = Course(tmp_path / "course")
    shutil.copytree(loop.course.root, copy.root, ignore=shutil.ignore_patterns("exchange"))
    with Gradebook(copy.db_url, COURSE_ID) as gb:
        for student in ("ada", "linus"):
            for question in classroom.ANSWERS:  # as Formgrader records a manual score
                grade = gb.find_grade(question, ASSIGNMENT, ASSIGNMENT, student)
                grade.manual_score, grade.needs_manual_grade = 2, False
        gb.db.commit()
    (copy.root / "rubric.csv").write_text(
        "student,runbook,report,screenshots,ai_log,comment\n"
        "ada,9,11,3,2,operable\nlinus,8,10,2,2,the DAG does not import\n"
    )
    _teacher("export", "--to", str(tmp_path / "grades.csv"), course=copy)
    with (tmp_path / "grades.csv").open(newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    ada, linus = rows["ada"], rows["linus"]
    assert (ada["rubric_score"], ada["rubric_max"]) == ("25", "27")
    assert float(ada["total"]) == _num(ada, "score") + 25
    assert ada["passed"] == "true" and ada["grade"] == "A"  # stretch tier, well over 55 %
    # linus has points for documents and answers, but his DAG reaches no tier: a fail.
    assert linus["tier"] == "none" and linus["passed"] == "false" and linus["grade"] == "F"


def test_feedback_never_shows_hidden_checks_or_expected_values(loop: Loop) -> None:
    files = _feedback_files(loop)
    assert len(files) >= 10
    hidden = hidden_outputs(loop.course.checks_out / "results")
    hidden_ids = [c.id for c in registry() if c.hidden]
    assert hidden and hidden_ids
    needles = (
        set(secrets())
        | {line for line in hidden if len(line) >= 12}
        | set(hidden_ids)
        | {"BEGIN HIDDEN TESTS"}
    )
    for path in files:
        text = path.read_text()
        found = sorted(n for n in needles if n in text)
        assert not found, f"{path} shows {found[:5]}"


def test_feedback_gives_the_autograders_hints_for_failed_public_checks(loop: Loop) -> None:
    text = loop.course.feedback_html("linus").read_text()
    assert "integrity_imports: failed, 0 of 4 points." in text
    assert "was never closed" in text and "Hint:" in text
    assert "Hidden check: failed" in text


# ----------------------------------------------------------------------------- bad input


def test_bad_notebooks_are_repaired_graded_and_explained(loop: Loop) -> None:
    ken, barbara = loop.report.students["ken"], loop.report.students["barbara"]
    assert ken.status == barbara.status == "repaired"
    assert "taxi_pipeline.ipynb has no cells" in ken.problems[0]
    assert re.search(r"is not valid JSON \(line \d+, column \d+", barbara.problems[0])
    ada_checks = _num(loop.rows["ada"], "checks_score")
    for name in ["ken", "barbara"]:
        row = loop.rows[name]
        assert _num(row, "checks_score") == ada_checks  # same DAG and documents as ada
        assert _num(row, "manual_score") == 0 and row["needs_manual_grade"] == "false"
        assert "Graded the released notebook instead" in row["problems"]


def test_a_missing_submission_is_a_row_of_zeros(loop: Loop) -> None:
    edsger = loop.rows[ROSTER_ONLY]
    assert edsger["status"] == "missing" and edsger["tier"] == "none"
    assert _num(edsger, "score") == 0 and _num(edsger, "max_score") > 100
    assert "no submission" in edsger["problems"]


def test_no_student_failed_to_grade(loop: Loop) -> None:
    assert {s.student: s.status for s in loop.report.students.values()} == {
        "ada": "graded",
        "grace": "graded",
        "linus": "graded",
        "ken": "repaired",
        "barbara": "repaired",
        "mallory": "graded",
        ROSTER_ONLY: "missing",
    }


def test_faked_check_results_are_overruled_by_the_autograder(loop: Loop) -> None:
    mallory = loop.rows["mallory"]
    assert mallory["checks_score"] == loop.rows["linus"]["checks_score"]  # the same broken DAG
    assert mallory["tier"] == "none"
    assert "gradebook corrected to the autograder's scores" in mallory["problems"]


def test_the_students_answers_reach_the_gradebook_for_manual_grading(loop: Loop) -> None:
    nb = nbformat.read(str(loop.course.autograded_notebook("ada")), as_version=4)
    answers = {grade_id(c): c.source for c in nb.cells if nbgrader_meta(c).get("solution")}
    assert answers["runbook_wrong_schema"] == classroom.ANSWERS["runbook_wrong_schema"]


def test_every_grading_summary_names_the_sandbox(loop: Loop) -> None:
    said = " ".join(loop.outputs["grade"].split())
    assert re.search(r"sandbox: (root|user)-namespaces", said), said
    # The class's course.toml names no secret: the teacher is told the hidden values are public.
    assert "no secret (course.toml [autograder] secret_file" in said
    assert loop.report.isolation.startswith(("root-namespaces", "user-namespaces"))
    summary = json.loads((loop.course.checks_out / "summary.json").read_text())
    assert summary["isolation"] in ("root-namespaces", "user-namespaces")


def test_a_disputed_grade_is_regraded_for_real_and_the_change_kept(
    loop: Loop, tmp_path: Path
) -> None:
    """linus disputes his grade; his first run is made to look disturbed (a passed check at 0)."""
    copy = Course(tmp_path / "course")
    shutil.copytree(loop.course.root, copy.root, ignore=shutil.ignore_patterns("exchange"))
    saved = copy.checks_out / "results" / "linus.json"
    data = json.loads(saved.read_text())
    test = next(t for t in data["tests"] if t["extra_data"]["check_id"] == "docs_runbook")
    assert test["status"] == "passed"
    before = data["score"]
    data["score"], test["score"], test["status"] = before - test["score"], 0.0, "failed"
    saved.write_text(json.dumps(data))
    disturbed = saved.read_bytes()

    _teacher("grade", "--student", "linus", course=copy)  # reused: the disturbed run stands
    assert saved.read_bytes() == disturbed

    said = " ".join(_teacher("grade", "--regrade", "--student", "linus", course=copy).split())
    assert f"linus: total {data['score']:g} -> {before:g} / 100" in said, said
    assert "docs_runbook: 0/4 failed -> 4/4 passed" in said
    assert re.search(r"sandbox: (root|user)-namespaces", said)
    assert json.loads(saved.read_text())["score"] == before
    [kept] = (copy.checks_out / "history" / "linus").iterdir()
    assert kept.read_bytes() == disturbed
    [report] = (copy.checks_out / "regrades").iterdir()
    assert "| `docs_runbook` | 0/4 failed | 4/4 passed |" in report.read_text()
    regraded = GradingReport.load(copy.grading_log)
    assert regraded is not None and regraded.regrade_report == str(report)
    assert regraded.students["linus"].status == "graded"
