"""File helpers the grader trusts: atomic writes, hashing, and copying out of a sandbox.

A sandbox folder is written by student code. Everything read from it goes through
`copy_out`, which never follows a symlink (a student could point `taxi.duckdb` at the answer
key), accepts regular files only, and stops at a size cap.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from autograder.errors import AutograderError

_CHUNK = 1 << 20


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `path` so that readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _walk_nofollow(root_fd: int, parts: list[str]) -> int:
    """Open the directory `parts` below `root_fd` without following any symlink."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            if part in ("", ".", ".."):
                raise OSError(f"refusing path component {part!r}")
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def open_inside(root: Path, relative: str) -> Iterator[int]:
    """A read-only fd of the regular file `root/relative`, or OSError. No symlinks followed."""
    parts = Path(relative).parts
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        dir_fd = _walk_nofollow(root_fd, list(parts[:-1]))
    finally:
        os.close(root_fd)
    try:
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{relative} is not a regular file")
        yield fd
    finally:
        os.close(fd)


def copy_out(root: Path, relative: str, target: Path, max_bytes: int) -> int:
    """Copy `root/relative` (written by untrusted code) to `target`. Returns the size.

    Raises OSError if the file is missing, not a regular file, behind a symlink, or larger
    than `max_bytes`.
    """
    with open_inside(root, relative) as fd:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise OSError(f"{relative} is {size} bytes, more than the {max_bytes} allowed")
        target.parent.mkdir(parents=True, exist_ok=True)
        copied = 0
        with target.open("wb") as out:
            while chunk := os.read(fd, _CHUNK):
                copied += len(chunk)
                if copied > max_bytes:
                    raise OSError(f"{relative} grew past {max_bytes} bytes while copying")
                out.write(chunk)
        return copied


def read_inside(root: Path, relative: str, max_bytes: int) -> bytes:
    """Read a small file written by untrusted code (same rules as `copy_out`)."""
    with open_inside(root, relative) as fd:
        data = b""
        while len(data) <= max_bytes and (chunk := os.read(fd, _CHUNK)):
            data += chunk
        if len(data) > max_bytes:
            raise OSError(f"{relative} is larger than {max_bytes} bytes")
        return data


def ensure_private_dir(path: Path) -> Path:
    """Create `path` readable by this user only (answer key, evidence)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def require_dir(path: Path, what: str) -> Path:
    if not path.exists():
        raise AutograderError(f"{what} {path} does not exist. Check the path and try again.")
    if not path.is_dir():
        raise AutograderError(f"{what} {path} is a file; pass the folder that contains it.")
    return path.resolve()
