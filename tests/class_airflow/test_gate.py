"""The gate and the deploy loop on a real shared repository, without the Airflow services:
pushes from student clones, one `sync_once` per round, the sandbox importing real files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from class_airflow import deploy, shared_repo
from class_airflow import roster as roster_module
from class_airflow.paths import ClassPaths
from tests.class_airflow.students import (
    HOSTILE,
    HOSTILE_REASONS,
    REFERENCE,
    clone,
    commit_as,
    push,
    roster_text,
)

pytestmark = pytest.mark.slow
GATE_TIMEOUT = 5.0
CLASS = ["ada", "lee_ann", "sneaky", *HOSTILE]


@pytest.fixture
def classroom(tmp_path: Path):
    paths = ClassPaths(tmp_path / "state")
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(roster_text(CLASS))
    shared_repo.ensure(paths.shared_repo, roster_module.load(roster_path))
    work = clone(paths.shared_repo, tmp_path / "work")
    return paths, roster_path, work


def _sync(paths: ClassPaths, roster_path: Path) -> deploy.SyncReport:
    return deploy.sync_once(paths, roster_path, gate_timeout=GATE_TIMEOUT)


def test_good_dags_deploy_and_hostile_ones_are_held_back_with_reasons(classroom) -> None:
    paths, roster_path, work = classroom
    commit_as(work, "ada", {"dags/ada/taxi_pipeline.py": REFERENCE}, "ada's pipeline")
    commit_as(work, "lee_ann", {"dags/lee_ann/taxi_pipeline.py": REFERENCE}, "lee_ann's")
    for student, text in HOSTILE.items():
        commit_as(work, student, {f"dags/{student}/taxi_pipeline.py": text}, f"{student}'s")
    push(work)

    report = _sync(paths, roster_path)

    verdicts = {v.student: v for v in report.verdicts}
    assert verdicts["ada"].passed and verdicts["ada"].dag_ids == ["ada_taxi_pipeline"]
    assert verdicts["lee_ann"].passed and verdicts["lee_ann"].dag_ids == ["lee_ann_taxi_pipeline"]
    assert (paths.dags / "ada" / "taxi_pipeline.py").read_text() == REFERENCE
    for student, reason in HOSTILE_REASONS.items():
        verdict = verdicts[student]
        assert not verdict.passed, student
        text = verdict.message(None)
        assert reason in text and "Fix:" in text, text
        assert not (paths.dags / student).exists(), f"{student} reached the dags folder"
        # The student reads the verdict as a note on their own commit.
        note = shared_repo.note(paths.shared_repo, verdict.commit)
        assert note and note.startswith(f"class gate: HELD BACK dags/{student}/"), note
    assert sorted(p.name for p in paths.dags.iterdir()) == ["ada", "lee_ann"]
    state = deploy.DeployState.load(paths)
    assert state.students["hank"].held_reasons and state.students["ada"].deployed_commit

    # Nothing changed: the looping file is not imported again (no sandbox, no time limit).
    began = time.monotonic()
    commit_as(work, "ada", {"dags/ada/README.md": "notes\n"}, "ada: notes")
    push(work)
    again = _sync(paths, roster_path)
    assert [v.student for v in again.verdicts] == ["ada"]
    assert time.monotonic() - began < GATE_TIMEOUT + 30


def test_a_broken_change_keeps_the_last_good_version_deployed(classroom) -> None:
    paths, roster_path, work = classroom
    good = commit_as(work, "ada", {"dags/ada/taxi_pipeline.py": REFERENCE}, "ada: v1")
    push(work)
    assert _sync(paths, roster_path).verdicts[0].passed

    broken = commit_as(
        work, "ada", {"dags/ada/taxi_pipeline.py": REFERENCE + "\ndef oops(:\n"}, "ada: v2"
    )
    push(work)
    (verdict,) = _sync(paths, roster_path).verdicts
    assert not verdict.passed and verdict.commit == broken
    assert "importing failed: SyntaxError" in verdict.problems[0].line()
    assert f"your last good version ({good[:10]}) stays deployed" in deploy.feedback(paths, "ada")
    assert (paths.dags / "ada" / "taxi_pipeline.py").read_text() == REFERENCE
    state = deploy.DeployState.load(paths).students["ada"]
    assert state.deployed_commit == good and state.held_commit == broken

    fixed = commit_as(work, "ada", {"dags/ada/taxi_pipeline.py": REFERENCE + "\n# v3\n"}, "v3")
    push(work)
    (verdict,) = _sync(paths, roster_path).verdicts
    assert verdict.passed and verdict.commit == fixed
    assert (paths.dags / "ada" / "taxi_pipeline.py").read_text().endswith("# v3\n")
    assert deploy.DeployState.load(paths).students["ada"].held_reasons == []


def test_a_commit_reaching_into_a_classmates_folder_is_held_back(classroom) -> None:
    paths, roster_path, work = classroom
    commit_as(work, "ada", {"dags/ada/taxi_pipeline.py": REFERENCE}, "ada: v1")
    push(work)
    _sync(paths, roster_path)

    sneaky = commit_as(
        work,
        "sneaky",
        {
            "dags/sneaky/taxi_pipeline.py": REFERENCE,
            "dags/ada/taxi_pipeline.py": REFERENCE + "\n# sneaky was here\n",
            "dags/top_level.py": "# not in anyone's folder\n",
        },
        "sneaky: mine, and a little of ada's",
    )
    push(work)
    report = _sync(paths, roster_path)

    verdicts = {v.student: v for v in report.verdicts}
    assert not verdicts["sneaky"].passed and not verdicts["ada"].passed
    assert "its author is sneaky, not ada" in verdicts["ada"].problems[0].line()
    assert "also changes dags/ada/, dags/top_level.py" in verdicts["sneaky"].problems[0].line()
    assert "dags/top_level.py" in report.ignored
    assert (paths.dags / "ada" / "taxi_pipeline.py").read_text() == REFERENCE
    assert not (paths.dags / "sneaky").exists() and not (paths.dags / "top_level.py").exists()
    assert shared_repo.note(paths.shared_repo, sneaky).startswith("class gate: HELD BACK")
