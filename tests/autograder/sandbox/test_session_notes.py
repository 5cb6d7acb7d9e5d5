"""A speed-up that fails is told to the teacher once per class; grading goes on without it."""

from __future__ import annotations

import shutil

from autograder.sandbox.dbt_seed import DbtSeed
from autograder.sandbox.runner import SandboxSession
from autograder.sandbox.warm_start import WarmStart
from tests.autograder.helpers import FAST


def test_failed_warm_start_and_dbt_seed_become_class_notes(tmp_path) -> None:
    session = SandboxSession(FAST, hide=[], submissions=2)
    try:
        assert not any("warm start" in n or "saved parse" in n for n in session.notes())
        # Real failures: the warm start's folder cannot be made, the dbt project is missing.
        warm = WarmStart(FAST, session.isolation, tmp_path / "no-such-folder")
        assert warm.adopt() is None  # a sandbox then starts cold
        seed = DbtSeed(tmp_path / "seed", {}, tmp_path / "no-dbt-project", tmp_path / "seed.bin")
        assert seed.wait(60) is None
        session.warm_start, session.dbt_seed = warm, seed
        notes = session.notes()
    finally:
        session.close()
        shutil.rmtree(session.root, ignore_errors=True)
        shutil.rmtree(session.private, ignore_errors=True)
    assert notes[: len(session.isolation.warnings)] == session.isolation.warnings
    [warm_note] = [n for n in notes if n.startswith("the warm start failed")]
    assert "no-such-folder" in warm_note and "same grades" in warm_note
    [seed_note] = [n for n in notes if n.startswith("dbt's saved parse could not be made")]
    assert "no-dbt-project" in seed_note
    assert all(len(n) < 500 for n in notes)  # one line each, not a log
