"""A teacher's secret, graded for real: a submission tuned to the public repository's hidden
scenarios keeps its hidden points without a secret and loses them under one, while the
reference keeps full marks and nothing drawn from the secret reaches feedback."""

from __future__ import annotations

import json

import pytest

from autograder import GradingOptions, grade_class
from tests.corpus import REFERENCE, TUNED_SUBMISSIONS, build_corpus

pytestmark = pytest.mark.slow

TUNED = "tuned_to_public_values"
# Draws a transient month after the backfill's (2025-06, two 503s) and broken rows in 2025-02:
# the answer key is built for a month the public values never use.
SECRET = "week11-corpus-secret-008"


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory):
    return build_corpus(tmp_path_factory.mktemp("tuned"), [REFERENCE, TUNED])


def test_a_submission_tuned_to_the_public_values_loses_its_hidden_points_under_a_secret(
    submissions, tmp_path
) -> None:
    public = grade_class(
        submissions, tmp_path / "public", jobs=1, options=GradingOptions(), students=[TUNED]
    )
    tuned = public.by_student()[TUNED]
    assert tuned.failed_ids == set(), [c.message for c in tuned.checks if not c.passed]
    assert tuned.score == tuned.max_score == 100

    options = GradingOptions(secret=SECRET)
    drawn = options.hidden_parameters()
    assert drawn.transient_month == "2025-06" and drawn.transient_failures == 2
    graded = grade_class(submissions, tmp_path / "secret", jobs=2, options=options)
    by_student = graded.by_student()
    reference, tuned = by_student[REFERENCE], by_student[TUNED]
    assert reference.failed_ids == set(), [c.message for c in reference.checks if not c.passed]
    assert reference.score == 100
    assert tuned.failed_ids == TUNED_SUBMISSIONS[TUNED].fails
    assert tuned.score < 100 and tuned.tier == "target"
    assert tuned.grader_version != public.by_student()[TUNED].grader_version

    drawn_faults = [
        json.dumps({drawn.transient_month: {"transient": drawn.transient_failures}}),
        json.dumps({drawn.broken_month: {"broken_rows": drawn.broken_rows}}),
        SECRET,
    ]
    for page in (tmp_path / "secret" / "feedback").iterdir():
        text = page.read_text()
        assert not [s for s in drawn_faults if s in text], page
        assert "injected" not in text and drawn.broken_month not in text
