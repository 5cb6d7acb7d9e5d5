"""The teacher's secret: read from a file outside the repository or the environment, refused
with a clear message when it is weak or exposed, and drawing the same hidden parameters every
time, none of them the public value and none of them touching a public step."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder import GradingOptions
from autograder.answer_key import cache_file_name
from autograder.errors import AutograderError
from autograder.grading import grader_version
from autograder.scenarios import BACKFILL_MONTHS, PUBLIC, plan
from autograder.secret import ENV_VAR, REPO_ROOT, draw, read_secret, served_months

SECRET = "correct-horse-battery-staple-42"


def _secret_file(folder: Path, text: str = SECRET, mode: int = 0o600) -> Path:
    path = folder / "secret"
    path.write_text(text + "\n")
    os.chmod(path, mode)
    return path


def test_the_file_wins_then_the_environment_then_nothing(tmp_path) -> None:
    path = _secret_file(tmp_path)
    assert read_secret(path, {ENV_VAR: "another-secret-of-enough-length"}).get_secret_value() == (
        SECRET
    )
    assert read_secret(None, {ENV_VAR: f"  {SECRET} "}).get_secret_value() == SECRET
    assert read_secret(None, {}) is None
    assert read_secret(None, {ENV_VAR: "  "}) is None


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda tmp: tmp / "missing", "no such secret file"),
        (lambda tmp: _secret_file(tmp, "short"), "at least 16"),
        (lambda tmp: _secret_file(tmp, mode=0o644), "chmod 600"),
        (lambda tmp: REPO_ROOT / "pyproject.toml", "inside the repository"),
    ],
    ids=["missing", "short", "readable_by_others", "inside_the_repository"],
)
def test_a_bad_secret_file_is_refused_with_the_fix(tmp_path, make, words) -> None:
    path = make(tmp_path)
    with pytest.raises(AutograderError, match=words) as caught:
        read_secret(path, {})
    assert str(path.resolve()) in str(caught.value)


def test_a_short_secret_in_the_environment_is_refused() -> None:
    with pytest.raises(AutograderError, match=ENV_VAR):
        read_secret(None, {ENV_VAR: "abc"})


def test_the_same_secret_draws_the_same_parameters_and_never_the_public_ones() -> None:
    latest = "2025-06"
    drawn = draw(SECRET, latest)
    assert draw(SECRET, latest) == drawn
    served = served_months(latest)
    assert served[0] == BACKFILL_MONTHS[0] and served[-1] == latest and len(served) == 18
    for name in ("transient_month", "permanent_month", "broken_month"):
        assert getattr(drawn, name) in served and getattr(drawn, name) != getattr(PUBLIC, name)
    assert drawn.transient_failures in (1, 2)
    assert 2 <= drawn.broken_rows <= 9 and drawn.broken_rows != PUBLIC.broken_rows
    assert drawn.is_secret and not PUBLIC.is_secret and SECRET not in drawn.secret_id
    others = {draw(f"{SECRET}-{n}", latest) for n in range(20)}
    assert len({p.transient_month for p in others}) > 3  # the draw really depends on the secret


def test_options_use_the_secret_only_when_there_is_one() -> None:
    assert GradingOptions().hidden_parameters() == PUBLIC
    with_secret = GradingOptions(secret=SECRET)
    assert with_secret.hidden_parameters() == draw(SECRET, "2025-06")
    assert SECRET not in repr(with_secret) and SECRET not in str(with_secret.model_dump())


def test_a_secret_changes_only_the_hidden_steps() -> None:
    drawn = draw(SECRET, "2025-06")
    public, secret = plan("2025-06"), plan("2025-06", params=drawn)
    changed = {
        step.id
        for a, b in zip(public, secret, strict=True)
        for step, other in zip(a.steps, b.steps, strict=True)
        if step != other
    }
    assert changed == {"transient_failures", "permanent_failure", "broken_rows"}
    faults = {step.id: step.faults for s in secret for step in s.steps if step.faults}
    assert faults["transient_failures"] == {
        drawn.transient_month: {"transient": drawn.transient_failures}
    }
    assert faults["broken_rows"] == {drawn.broken_month: {"broken_rows": drawn.broken_rows}}


def test_the_secret_changes_the_grader_version_and_the_answer_keys_months() -> None:
    drawn = draw(SECRET, "2025-06")
    assert grader_version(drawn) != grader_version(PUBLIC) == grader_version()
    assert grader_version(drawn) == grader_version(draw(SECRET, "2025-06"))
    assert PUBLIC.key_months == BACKFILL_MONTHS
    assert drawn.transient_month in drawn.key_months
    assert cache_file_name("abc", PUBLIC.key_months) == "answer-key-abc.json"
    later = (*BACKFILL_MONTHS, "2025-02")
    assert cache_file_name("abc", later) not in (
        cache_file_name("abc", BACKFILL_MONTHS),
        cache_file_name("abc", (*BACKFILL_MONTHS, "2025-03")),
    )
