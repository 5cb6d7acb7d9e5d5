"""The corpus graded for real: the reference gets full marks, every bad submission fails
exactly the checks it was built to fail, nothing leaks, and regrading changes nothing."""

from __future__ import annotations

import csv
import html
import json
import re
from urllib.parse import unquote

import pytest

from autograder import grade_class, workbook_links
from autograder.checks import all_checks
from autograder.reporters.feedback import render_markdown
from tests.autograder.conftest import CORPUS_OPTIONS
from tests.corpus import BAD_SUBMISSIONS
from tests.corpus.build import REPO

pytestmark = pytest.mark.slow


def test_every_submission_has_a_result(graded_corpus) -> None:
    students = {r.student for r in graded_corpus.result.results}
    assert students == {"reference", *BAD_SUBMISSIONS}
    assert graded_corpus.result.ungraded == ()


def test_the_reference_gets_full_marks(graded_corpus) -> None:
    reference = graded_corpus.result.by_student()["reference"]
    failed = {c.check_id: c.message for c in reference.checks if not c.passed}
    assert failed == {}
    assert reference.score == reference.max_score == 100
    assert reference.tier == "stretch"


@pytest.mark.parametrize("name", sorted(BAD_SUBMISSIONS))
def test_bad_submission_fails_exactly_its_checks(graded_corpus, name) -> None:
    result = graded_corpus.result.by_student()[name]
    expected = BAD_SUBMISSIONS[name].fails
    messages = {c.check_id: c.message[:200] for c in result.checks if not c.passed}
    assert result.failed_ids == expected, (
        f"{name}: unexpected failures {sorted(result.failed_ids - expected)}, "
        f"unexpected passes {sorted(expected - result.failed_ids)}; messages: {messages}"
    )
    assert (result.score < result.max_score) == bool(expected)
    assert not any(c.errored for c in result.checks), "a check raised inside the grader"


@pytest.mark.parametrize(
    "name, words",
    [
        ("hangs_at_import", "longer than 10 s"),
        ("memory_hog", "ran out of memory"),
        ("sys_exit", "sys.exit()"),
        ("fork_bomb", "Importing"),
        ("import_error", "timdelta"),
    ],
)
def test_a_broken_import_gets_a_clear_reason(graded_corpus, name, words) -> None:
    check = graded_corpus.result.by_student()[name].check("integrity_imports")
    assert words in check.message + check.output


def test_a_crashing_interpreter_is_reported_and_contained(graded_corpus) -> None:
    result = graded_corpus.result.by_student()["crashes_interpreter"]
    one_month = result.check("behaviour_one_month")
    assert "crashed" in one_month.message
    assert result.check("integrity_imports").passed  # the DAG itself imports fine


def test_prints_are_measured_not_stored(graded_corpus) -> None:
    result = graded_corpus.result.by_student()["prints_megabytes"]
    assert "printed" in result.check("integrity_light_import").message
    raw = (graded_corpus.out / "results" / "prints_megabytes.json").read_bytes()
    assert len(raw) < 200_000


def test_deleting_files_outside_the_sandbox_fails(graded_corpus) -> None:
    assert graded_corpus.canary.exists()
    assert (graded_corpus.submissions / "reference" / "dags" / "taxi_pipeline.py").exists()
    assert len(list((graded_corpus.out / "results").glob("*.json"))) == len(BAD_SUBMISSIONS) + 1


def test_feedback_never_shows_hidden_checks(graded_corpus) -> None:
    hidden = [c for c in all_checks().values() if c.visibility == "hidden"]
    for student in ("uses_datetime_now", "no_retries", "partitions_by_pickup_month"):
        text = (graded_corpus.out / "feedback" / f"{student}.md").read_text()
        html = (graded_corpus.out / "feedback" / f"{student}.html").read_text()
        for check in hidden:
            for page in (text, html):
                assert check.id not in page and check.hint[:40] not in page
                assert check.title not in page
        assert "hidden checks:" in text
        # The hidden scenarios' specifics (injected faults, the unpublished month) and the
        # grader's own code never show; the student's own task logs may, for public checks.
        for secret in ("injected", "SlowDown", "broken_rows", "2025-09", "autograder/", "_control"):
            assert secret not in text, f"{student}: feedback mentions {secret!r}"


def test_feedback_shows_public_failures_with_hint_and_output(graded_corpus) -> None:
    text = (graded_corpus.out / "feedback" / "append_not_idempotent.md").read_text()
    check = all_checks()["behaviour_rerun_idempotent"]
    assert check.title in text and check.hint in text
    assert "grew from" in text


def test_gradebook_summary_and_report(graded_corpus) -> None:
    out = graded_corpus.out
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == sorted(["reference", *BAD_SUBMISSIONS])
    assert set(all_checks()) <= set(rows[0])
    by_student = {r["student"]: r for r in rows}
    assert by_student["reference"]["total"] == "100"
    assert by_student["append_not_idempotent"]["behaviour_rerun_idempotent"] == "0"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["students"] == len(BAD_SUBMISSIONS) + 1
    assert summary["checks"]["docs_runbook"]["pass_rate"] < 1
    assert (out / "pass_rates.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "feedback/reference.html" in (out / "class_report.html").read_text()


def test_results_are_in_gradescope_format(graded_corpus) -> None:
    data = json.loads((graded_corpus.out / "results" / "no_retries.json").read_text())
    assert data["score"] == sum(t["score"] for t in data["tests"])
    visibilities = {t["visibility"] for t in data["tests"]}
    assert visibilities == {"visible", "hidden"}
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output"} <= set(test)
    assert data["extra_data"]["tier"] == "minimum"


def outcomes(path) -> tuple:
    """What a regrade must reproduce exactly: every score, status and message."""
    data = json.loads(path.read_text())
    tests = [
        (t["name"], t["score"], t["status"], t["extra_data"]["message"]) for t in data["tests"]
    ]
    return data["score"], data["extra_data"]["tier"], tests


def test_grading_again_reuses_results_and_regrading_gives_identical_results(
    graded_corpus, tmp_path
) -> None:
    out = graded_corpus.out
    first = {p.name: outcomes(p) for p in (out / "results").glob("*.json")}
    submissions = graded_corpus.submissions
    again = grade_class(submissions, out, jobs=2, options=CORPUS_OPTIONS)
    assert len(again.reused) == len(BAD_SUBMISSIONS) + 1
    regraded = grade_class(
        submissions, tmp_path, jobs=2, options=CORPUS_OPTIONS, students=["reference", "no_retries"]
    )
    assert regraded.reused == ()
    for name in ("reference.json", "no_retries.json"):
        assert outcomes(tmp_path / "results" / name) == first[name]


def test_public_feedback_of_a_good_submission_is_short(graded_corpus) -> None:
    reference = graded_corpus.result.by_student()["reference"]
    text = render_markdown(reference, CORPUS_OPTIONS)
    assert "What to fix" not in text and "100 / 100" in text


# Control characters a terminal acts on; newline and tab are text.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LESSON_LINK = re.compile(r"\((notebooks/[^)#\s]+)#([^)\s]+)\)")
LESSON_HREF = re.compile(r'<a href="(notebooks/[^"#]+)#([^"]+)">')


def _shown_texts(out) -> dict[str, str]:
    """Every text a student or the nbgrader feedback page can show, by where it comes from."""
    texts = {p.name: p.read_text() for p in (out / "feedback").iterdir()}
    for path in (out / "results").glob("*.json"):
        data = json.loads(path.read_text())
        texts[path.name] = "\n".join([data["output"], *(t["output"] for t in data["tests"])])
    return texts


def _resolves(path: str, anchor: str) -> bool:
    notebook = REPO / path
    return notebook.is_file() and unquote(anchor) in workbook_links.headings(notebook)


def test_no_feedback_holds_a_control_character(graded_corpus) -> None:
    texts = _shown_texts(graded_corpus.out)
    assert len(texts) == 3 * (len(BAD_SUBMISSIONS) + 1)
    for name, text in texts.items():
        found = CONTROL.search(text)
        assert found is None, (
            f"{name}: {found.group()!r} in ...{text[found.start() - 60 : found.end() + 60]!r}"
        )


@pytest.mark.parametrize("name", ["reference", *sorted(BAD_SUBMISSIONS)])
def test_each_failed_check_links_the_workbook_section_that_teaches_it(graded_corpus, name) -> None:
    result = graded_corpus.result.by_student()[name]
    failed = [c for c in result.public() if not c.passed]
    feedback = graded_corpus.out / "feedback"
    markdown = (feedback / f"{name}.md").read_text()
    fixes = markdown.split("## What to fix", 1)[-1].split("\n### ")[1:] if failed else []
    assert [f.split("\n", 1)[0].rsplit(" (", 1)[0] for f in fixes] == [c.title for c in failed]
    for check, fix in zip(failed, fixes, strict=True):
        links = LESSON_LINK.findall(fix.split("**Learn it:**", 1)[-1])
        assert links and _resolves(*links[0]), f"{name}: {check.check_id} links {links}"
    hrefs = LESSON_HREF.findall((feedback / f"{name}.html").read_text())
    assert len(hrefs) == len(failed)
    assert all(_resolves(html.unescape(path), html.unescape(anchor)) for path, anchor in hrefs)


def test_a_check_that_cannot_run_says_which_to_fix_first(graded_corpus) -> None:
    result = graded_corpus.result.by_student()["cycle"]
    order = result.check("integrity_task_order")
    assert (
        order.blocked_by == "integrity_no_cycles"
        and not result.check("integrity_no_cycles").blocked_by
    )
    markdown = (graded_corpus.out / "feedback" / "cycle.md").read_text()
    assert f"**Fix first:** {result.check('integrity_no_cycles').title}" in markdown


def test_a_dag_with_another_id_is_graded_under_it(graded_corpus) -> None:
    by_student = graded_corpus.result.by_student()
    assert by_student["prefixed_dag_id"].score == 100
    unrelated = by_student["unrelated_dag_id"]
    assert "'my_pipeline'" in unrelated.check("integrity_single_dag").message
    assert unrelated.score == 100 - unrelated.check("integrity_single_dag").points
