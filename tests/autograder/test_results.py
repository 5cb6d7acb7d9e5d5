"""Results, reporters, submission loading and file safety (fast, no sandbox)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.errors import AutograderError
from autograder.files import atomic_write_text, copy_out, read_inside
from autograder.options import GradingOptions
from autograder.reporters.feedback import hidden_summary, render_html, render_markdown
from autograder.reporters.gradescope import from_gradescope, read_result, to_gradescope
from autograder.results import CheckResult, SubmissionResult
from autograder.submission import find_submissions, load_submission
from autograder.tiers import achieved_tier
from tests.corpus import REFERENCE, build_submission


def result(**scores: float) -> SubmissionResult:
    checks = []
    for check_id, score in scores.items():
        hidden = check_id.startswith("behaviour_retries") or check_id.startswith("behaviour_notify")
        checks.append(
            CheckResult(
                check_id=check_id,
                title=f"Title of {check_id}",
                category=check_id.split("_")[0],
                visibility="hidden" if hidden else "public",
                tier="target",
                points=4,
                score=score,
                hint=f"HINT-{check_id}",
                message=f"MESSAGE-{check_id}" if score < 4 else "",
                output=f"OUTPUT-{check_id}\n" * 3,
            )
        )
    return SubmissionResult("ada", "abc", "1.0.0+x", tuple(checks), "minimum", ("a note",))


def test_gradescope_round_trip_keeps_everything() -> None:
    original = result(integrity_imports=4, behaviour_retries_transient=0, docs_runbook=2)
    data = json.loads(json.dumps(to_gradescope(original)))
    assert from_gradescope(data) == original
    assert data["score"] == 6
    assert [t["visibility"] for t in data["tests"]] == ["visible", "hidden", "visible"]
    assert data["tests"][1]["status"] == "failed"


def test_feedback_hides_hidden_checks_completely() -> None:
    graded = result(integrity_imports=4, behaviour_retries_transient=0, behaviour_notify_x=4)
    options = GradingOptions()
    for page in (render_markdown(graded, options), render_html(graded, options)):
        assert "2 hidden checks: 1 passed, 4/8 pts." in page
        for secret in ("behaviour_retries", "HINT-behaviour", "OUTPUT-behaviour", "MESSAGE-beh"):
            assert secret not in page
        assert "Title of integrity_imports" in page
    assert hidden_summary(result(integrity_imports=4)) == ""


def test_feedback_shows_public_failures_truncated() -> None:
    long = result(docs_runbook=0)
    long = SubmissionResult(
        "ada",
        "abc",
        "v",
        (CheckResult(**{**long.checks[0].__dict__, "output": "line\n" * 500}),),
    )
    text = render_markdown(long, GradingOptions(output_lines=10))
    assert "HINT-docs_runbook" in text and "lines cut" in text
    assert text.count("line\n") <= 11


@pytest.mark.parametrize(
    "passed, expected",
    [
        (set(), "none"),
        ({"integrity_imports"}, "none"),
    ],
)
def test_tier_needs_every_check_of_the_tier(passed, expected) -> None:
    from autograder.tiers import TIERS

    graded = {c for ids in TIERS.values() for c in ids}
    assert achieved_tier(passed, graded) == expected
    assert achieved_tier(set(TIERS["minimum"]), graded) == "minimum"
    assert achieved_tier(set(TIERS["minimum"]) | set(TIERS["stretch"]), graded) == "minimum"
    assert achieved_tier(graded, graded) == "stretch"
    hidden_ungraded = graded - {"behaviour_retries_transient"}
    assert achieved_tier(hidden_ungraded, hidden_ungraded) == "stretch"


def test_atomic_write_replaces_whole_files_and_leaves_no_temp(tmp_path) -> None:
    target = tmp_path / "results" / "ada.json"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["ada.json"]


def test_a_corrupt_result_file_means_regrade_not_crash(tmp_path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "ada.json").write_text('{"score": 3, "tests": [')
    assert read_result(tmp_path, "ada") is None
    assert read_result(tmp_path, "nobody") is None


def test_copy_out_never_follows_symlinks(tmp_path) -> None:
    sandbox = tmp_path / "sandbox"
    (sandbox / "work").mkdir(parents=True)
    secret = tmp_path / "answer-key.json"
    secret.write_text("secret")
    (sandbox / "work" / "taxi.duckdb").symlink_to(secret)
    with pytest.raises(OSError):
        copy_out(sandbox, "work/taxi.duckdb", tmp_path / "copy", 1 << 20)
    (sandbox / "linked").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(OSError):
        read_inside(sandbox, "linked/answer-key.json", 1 << 20)
    os.mkfifo(sandbox / "work" / "fifo")
    with pytest.raises(OSError):
        read_inside(sandbox, "work/fifo", 1 << 20)
    (sandbox / "work" / "big").write_bytes(b"x" * 2048)
    with pytest.raises(OSError):
        copy_out(sandbox, "work/big", tmp_path / "copy", 1024)
    assert read_inside(sandbox, "work/big", 4096) == b"x" * 2048


def test_load_submission_ignores_symlinks_and_reports_a_missing_dag(tmp_path) -> None:
    root = tmp_path / "ada"
    build_submission(REFERENCE, root)
    (root / "RUNBOOK.md").unlink()
    (root / "RUNBOOK.md").symlink_to("/etc/passwd")
    (root / "dags" / "taxi_pipeline.py").unlink()
    submission = load_submission(root)
    assert "RUNBOOK.md" not in submission.files
    assert submission.dag_file is None
    assert any("symlink" in p for p in submission.problems)
    assert any("dags/taxi_pipeline.py is missing" in p for p in submission.problems)


def test_content_hash_changes_with_content_only(tmp_path) -> None:
    first = tmp_path / "a" / "ada"
    second = tmp_path / "b" / "ada"
    build_submission(REFERENCE, first)
    build_submission(REFERENCE, second)
    assert load_submission(first).content_hash == load_submission(second).content_hash
    (second / "RUNBOOK.md").write_text("changed")
    changed = load_submission(second)
    assert changed.content_hash != load_submission(first).content_hash
    assert changed.runnable_hash == load_submission(first).runnable_hash


@pytest.mark.parametrize("name", ["bad name", "-dash", "ünï"])
def test_bad_folder_names_are_refused_with_the_fix(tmp_path, name) -> None:
    folder = tmp_path / name
    folder.mkdir()
    with pytest.raises(AutograderError, match="Rename it"):
        load_submission(folder)


def test_find_submissions_explains_an_empty_class(tmp_path) -> None:
    with pytest.raises(AutograderError, match="one sub-folder per student"):
        find_submissions(tmp_path)
    with pytest.raises(AutograderError, match="is not a folder"):
        find_submissions(tmp_path / "missing")
    (tmp_path / "ada").mkdir()
    (tmp_path / ".hidden").mkdir()
    assert [p.name for p in find_submissions(tmp_path)] == ["ada"]


def test_answer_key_fingerprints_add_up(tmp_path) -> None:
    from autograder.answer_key import AnswerKey, MonthKey

    key = AnswerKey(
        version="1",
        inputs_hash="x",
        months={
            "2024-01": MonthKey(tables={"raw_trips": (2, "ffffffffffffffff")}, stray_rows=0),
            "2024-02": MonthKey(tables={"raw_trips": (3, "0000000000000002")}, stray_rows=1),
        },
    )
    assert key.expected(["2024-01", "2024-02"], "raw_trips") == (5, "0000000000000001")
    assert key.expected(["2024-02"], "raw_trips") == (3, "0000000000000002")


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        GradingOptions(latest_month="2025-13")
    with pytest.raises(ValueError):
        GradingOptions(memory_mb=10)
    assert GradingOptions(cache_dir=Path("/x")).resolved_cache_dir() == Path("/x")
