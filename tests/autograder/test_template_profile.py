"""The course-template corpus graded for real, every check (hidden ones too), in the course-
template profile (issue #13): the CDN URL over HTTPS, the azure_pg connection to the grader's
PostgreSQL, dbt through the `uvx` shim. The good submission gets full marks; each ordinary bug
costs exactly its checks, and the feedback names the cause in the template's words; a
missing package is named as the grader's limit."""

from __future__ import annotations

import pytest

from autograder import GradingOptions, grade_class
from tests.corpus.template_submissions import (
    TEMPLATE,
    TEMPLATE_SUBMISSIONS,
    build_template_corpus,
)

pytestmark = pytest.mark.slow

# For each bug: the check whose feedback must explain it, and words of the template it uses.
EXPLAINED_BY = {
    "template_append": ("behaviour_rerun_idempotent", ("azure_pg", "DELETE FROM")),
    "template_pickup_month": (
        "behaviour_neighbouring_month_rows",
        ("date_trunc('month', lpep_pickup_datetime)", "URL"),
    ),
    "template_no_retries": ("behaviour_retries_transient", ("CDN", "raise_for_status")),
    "template_wall_clock": ("behaviour_backfill", ("astro dev run backfill create",)),
}
# This repository's own words, which a template student never saw.
PLAIN_WORDS = ("workbook run", "workbook backfill", "TAXI_SOURCE_URL", "DuckDB")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    corpus = build_template_corpus(tmp_path_factory.mktemp("template-corpus"))
    out = tmp_path_factory.mktemp("template-graded")
    return grade_class(corpus, out, jobs=2, options=GradingOptions()).by_student(), out


def test_the_good_template_submission_gets_full_marks(graded) -> None:
    result = graded[0][TEMPLATE]
    failed = {c.check_id: c.message for c in result.checks if not c.passed}
    assert failed == {}
    assert result.score == result.max_score == 100
    assert any(c.is_hidden for c in result.checks), "the hidden checks ran"
    assert any("course-template (Astro project) profile, detected" in w for w in result.warnings)
    assert any("dbt deps" in w and "course's project" in w for w in result.warnings)


@pytest.mark.parametrize("name", sorted(EXPLAINED_BY))
def test_each_bug_costs_exactly_its_checks_explained_in_the_templates_words(
    graded, name: str
) -> None:
    results, out = graded
    result = results[name]
    assert result.failed_ids == set(TEMPLATE_SUBMISSIONS[name].fails)
    check_id, words = EXPLAINED_BY[name]
    hint = result.check(check_id).hint
    for word in words:
        assert word in hint, (word, hint)
    feedback = (out / "feedback" / f"{name}.md").read_text()
    assert hint in feedback or result.check(check_id).is_hidden
    for word in PLAIN_WORDS:
        assert word not in feedback, f"{name}'s feedback speaks this repository's contract: {word}"


def test_the_append_bug_is_measured_in_the_students_table(graded) -> None:
    result = graded[0]["template_append"]
    assert "raw_trips grew" in result.check("behaviour_rerun_idempotent").message


def test_a_missing_package_is_named_as_the_graders_limit(graded) -> None:
    result = graded[0]["template_missing_package"]
    imports = result.check("integrity_imports")
    assert not imports.passed
    assert "not available in the grading environment: polars" in imports.message + imports.output
    assert result.check("docs_runbook").passed  # what does not need the DAG is still graded
