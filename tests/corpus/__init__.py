"""The corpus of submissions the autograder is tested on: the reference, which gets full marks,
known-bad submissions, each the reference with one thing broken and the exact set of checks it
must fail, and submissions tuned to the public hidden scenarios, which only a teacher's secret
catches.

Nothing of it is committed as folders: the tests (a session fixture, `tests/autograder/
conftest.py`) and the benchmarks (`bench/`) build what they need into a temporary folder from
the reference DAG and the definitions here, so a change to the reference reaches every
submission by itself.

    .venv/bin/python -m tests.corpus OUT                 # the whole corpus, to look at
    .venv/bin/python -m tests.corpus OUT cycle fork_bomb  # only these
"""

from tests.corpus.bad_submissions import (
    BAD_SUBMISSIONS,
    TUNED_SUBMISSIONS,
    UNIT_TESTED,
    BadSubmission,
)
from tests.corpus.build import REFERENCE, REFERENCE_DAG_FILE, build_corpus, build_submission
from tests.corpus.patches import CorpusError

__all__ = [
    "BAD_SUBMISSIONS",
    "REFERENCE",
    "REFERENCE_DAG_FILE",
    "TUNED_SUBMISSIONS",
    "UNIT_TESTED",
    "BadSubmission",
    "CorpusError",
    "build_corpus",
    "build_submission",
]
