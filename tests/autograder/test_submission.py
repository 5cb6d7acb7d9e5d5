"""Loading a student's folder: symlinks ignored, problems recorded, names checked, hashes."""

from __future__ import annotations

import pytest

from autograder.errors import AutograderError
from autograder.submission import find_submissions, load_submission
from tests.corpus import REFERENCE, build_submission


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
