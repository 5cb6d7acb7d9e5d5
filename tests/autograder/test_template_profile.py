"""Template submissions graded for real in the course-template profile (issue #13): the CDN
URL over HTTPS, the azure_pg connection to the grader's PostgreSQL, dbt through the `uvx`
shim; the good one passes, the append bug costs exactly its check, a missing package is
named as the grader's limit. Public checks only, to keep the suite's time."""

from __future__ import annotations

import pytest

from autograder import GradingOptions, grade_class
from tests.corpus.template_submissions import TEMPLATE, build_template_corpus

pytestmark = pytest.mark.slow
GRADED = (TEMPLATE, "template_append", "template_missing_package")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    corpus = build_template_corpus(tmp_path_factory.mktemp("template-corpus"), GRADED)
    out = tmp_path_factory.mktemp("template-graded")
    options = GradingOptions(public_only=True)
    return grade_class(corpus, out, jobs=2, options=options).by_student()


def test_the_good_template_submission_passes_every_public_check(graded) -> None:
    result = graded[TEMPLATE]
    failed = {c.check_id: c.message for c in result.checks if not c.passed}
    assert failed == {}
    assert any("course-template (Astro project) profile, detected" in w for w in result.warnings)
    assert any("dbt deps" in w and "course's project" in w for w in result.warnings)


def test_append_loses_exactly_the_rerun_check(graded) -> None:
    result = graded["template_append"]
    assert result.failed_ids == {"behaviour_rerun_idempotent"}
    assert "raw_trips grew" in result.check("behaviour_rerun_idempotent").message


def test_a_missing_package_is_named_as_the_graders_limit(graded) -> None:
    result = graded["template_missing_package"]
    imports = result.check("integrity_imports")
    assert not imports.passed
    assert "not available in the grading environment: polars" in imports.message + imports.output
    assert result.check("docs_runbook").passed  # what does not need the DAG is still graded
