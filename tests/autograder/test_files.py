"""Files the grader writes and reads: whole files only, nothing followed out of a sandbox."""

from __future__ import annotations

import os

import pytest

from autograder.files import atomic_write_text, copy_out, read_inside


def test_atomic_write_replaces_whole_files_and_leaves_no_temp(tmp_path) -> None:
    target = tmp_path / "results" / "ada.json"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["ada.json"]


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
