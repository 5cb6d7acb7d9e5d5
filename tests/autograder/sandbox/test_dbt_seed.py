"""dbt's saved parse, made once per grading session (autograder.sandbox.dbt_seed).

A sandbox of a session that grades several submissions gets a copy, and its dbt reuses it
instead of parsing the course's project in full; a session of one submission makes none, and
its dbt parses in full (the control: it shows that the log tells the two apart)."""

from __future__ import annotations

import shutil

import pytest

from autograder.sandbox.runner import SandboxSession, run_submission
from autograder.scenarios import MANUAL_STEP, all_scenarios
from autograder.submission import load_submission
from tests.autograder.helpers import FAST
from tests.corpus import REFERENCE, build_submission

pytestmark = pytest.mark.slow

FULL_PARSE = "Starting full parse"
OPTIONS = FAST.model_copy(update={"isolation": "namespaces", "keep_sandboxes": True})


def _one_manual_run(tmp_path, submissions: int) -> tuple[str, str | None]:
    """Grade the reference with one run; returns its sandbox's dbt log and the run's state."""
    build_submission(REFERENCE, tmp_path / "ada")
    submission = load_submission(tmp_path / "ada")
    manual = next(s for s in all_scenarios(OPTIONS.latest_month) if s.name == "manual")
    session = SandboxSession(OPTIONS, hide=[], submissions=submissions)
    try:
        session.workspace()  # a session of several starts its warm start and seed here
        if session.dbt_seed is not None:
            assert session.dbt_seed.wait(300) is not None, session.dbt_seed.failure
        evidence = run_submission(submission, (manual,), session)
        [sandbox] = session.root.glob("s-*")
        log = (sandbox / "dbt" / "logs" / "dbt.log").read_text()
    finally:
        session.close()
        shutil.rmtree(session.root, ignore_errors=True)
        shutil.rmtree(session.private, ignore_errors=True)
    run = evidence.steps[MANUAL_STEP].run
    return log, run.state if run else None


def test_a_sandbox_of_a_class_starts_from_the_sessions_saved_dbt_parse(tmp_path) -> None:
    log, state = _one_manual_run(tmp_path, submissions=2)
    assert state == "success"
    assert FULL_PARSE not in log
    assert "Nothing changed, skipping partial parsing" in log


def test_a_session_of_one_submission_parses_in_full(tmp_path) -> None:
    log, state = _one_manual_run(tmp_path, submissions=1)
    assert state == "success"
    assert FULL_PARSE in log
