"""What this host supports for sandboxes, and what a sandbox may see of it.

Probing: can `unshare` make network, PID and mount namespaces here, as root or as a normal user
(`--map-root-user`)? As root each running sandbox also gets a user id of its own (`UidPool`).
The mount plan is the allow-list view of the file system the supervisor sets up inside the
mount namespace (`autograder.inside.mounts` applies it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from autograder.errors import AutograderError

REPO_ROOT = Path(__file__).resolve().parents[2]
# The repository's packages the sandbox needs: the supervisor imports autograder.inside and
# serves the taxi source; nothing else of the repository (no tests, fixtures, gradebooks).
SANDBOX_PACKAGES = ("autograder", "taxi_source")
UID_FIRST, UID_COUNT = 61000, 1000
# Top-level directories the sandbox sees (read-only); every other one is emptied.
SYSTEM_DIRS = {"bin", "boot", "etc", "lib", "lib32", "lib64", "libx32", "sbin", "usr", "var"}
SYSTEM_DIRS |= {"nix", "gnu", "opt"}  # where some systems install Python itself
NAMESPACE_FLAGS = (
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount",
    "--mount-proc",
    "--ipc",
    "--uts",
    "--propagation",
    "private",
)


@dataclass(frozen=True)
class Isolation:
    kind: str  # "root-namespaces" | "user-namespaces" | "none"
    warnings: tuple[str, ...] = ()

    @property
    def namespaces(self) -> bool:
        return self.kind != "none"

    @property
    def separate_user(self) -> bool:
        return self.kind == "root-namespaces"

    def wrap(self, command: list[str]) -> list[str]:
        """`command` run in new namespaces (unchanged without them)."""
        if not self.namespaces:
            return command
        user = ["--map-root-user"] if self.kind == "user-namespaces" else []
        return [shutil.which("unshare") or "unshare", *user, *NAMESPACE_FLAGS, "--", *command]


NO_UNSHARE = "there is no `unshare` command (util-linux; macOS and Windows have none)"


@cache
def _unshare_failure(map_root: bool) -> str | None:
    """Why `unshare` cannot make the sandbox's namespaces here (None: it can)."""
    unshare = shutil.which("unshare")
    if not unshare:
        return NO_UNSHARE
    command = [unshare, *(["--map-root-user"] if map_root else []), *NAMESPACE_FLAGS, "true"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    said = done.stderr.strip().splitlines()
    return said[-1] if said else f"exit code {done.returncode}"


def _lacks(root_failure: str | None, user_failure: str) -> str:
    if user_failure == NO_UNSHARE:
        return NO_UNSHARE
    tries = [f"as root: {root_failure}"] if root_failure else []
    tries.append(f"as your user with --map-root-user: {user_failure}")
    return f"`unshare` cannot create network, PID and mount namespaces ({'; '.join(tries)})"


def refusal(lacks: str) -> str:
    """The message for a host without namespaces: what it lacks and the ways to a sandbox."""
    return (
        f"no sandbox on this host: {lacks}. Without network, PID and mount namespaces the "
        "students' code would run as you, with your files and the network in reach, so grading "
        "stops here. To get a sandbox, grade on Linux with unprivileged user namespaces "
        "(enable them with `sudo sysctl -w user.max_user_namespaces=15000`; Debian also needs "
        "`kernel.unprivileged_userns_clone=1`, Ubuntu 24.04 "
        "`kernel.apparmor_restrict_unprivileged_userns=0`), or as root, or on the class "
        "Airflow's workers. To run without a sandbox anyway (only code you trust, e.g. your "
        "own), ask for it by name: --isolation none."
    )


def detect_isolation(mode: str) -> Isolation:
    """The namespaces this host gives the sandbox; never silently none (issue #16).

    `auto` and `namespaces` both take root's namespaces or a user namespace, whichever works,
    and raise AutograderError (the refusal) when neither does. Only `none` runs unsandboxed.
    """
    if mode == "none":
        return Isolation(
            "none",
            (
                "no sandbox namespaces (--isolation none): the submission could reach the "
                "network and read your files. Use this for development only.",
            ),
        )
    root_failure = _unshare_failure(False) if os.geteuid() == 0 else None
    if os.geteuid() == 0 and root_failure is None:
        return Isolation("root-namespaces")
    user_failure = _unshare_failure(True)
    if user_failure is None:
        return Isolation(
            "user-namespaces",
            (
                "not run as root: the submission ran with your user id (inside its own "
                "namespaces, which hide your files and the network, but with no separate "
                "process limit)",
            ),
        )
    raise AutograderError(refusal(_lacks(root_failure, user_failure)))


def describe(kind: str) -> str:
    """One line for a summary: the isolation used, in words."""
    return {
        "root-namespaces": "root-namespaces (own network, PID and mount namespaces, own user id)",
        "user-namespaces": "user-namespaces (own network, PID and mount namespaces, your user id)",
        "none": "none (NO sandbox: plain subprocesses with your files and the network)",
    }.get(kind, kind)


class UidPool:
    """One user id per running sandbox, locked with a file so parallel graders never share."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(PermissionError):
            os.chmod(self.folder, 0o700)

    @contextlib.contextmanager
    def lease(self) -> Iterator[int]:
        for uid in range(UID_FIRST, UID_FIRST + UID_COUNT):
            handle = open(self.folder / f"{uid}.lock", "a+")  # noqa: SIM115 - held for the lease
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield uid
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        raise AutograderError("all sandbox user ids are in use; lower --jobs")


def tasks_of(uid: int) -> int:
    """Processes and threads `uid` has now (RLIMIT_NPROC counts them all, per user)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                status = (entry / "status").read_text()
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    count += int(fields["Threads"].strip())
    return count


def blocking_ancestors(path: Path) -> set[str]:
    """Ancestors another user cannot traverse (e.g. /root holding pyenv's Python)."""
    blocked = set()
    for ancestor in path.parents:
        with contextlib.suppress(OSError):
            if not os.stat(ancestor).st_mode & 0o001:
                blocked.add(str(ancestor))
    return blocked


def mount_plan(
    writable: Path, hide: list[Path], uid: int | None, alias: Path | None = None
) -> dict:
    """The sandbox's view of the file system: an allow-list.

    System directories stay, read-only. Every other top-level directory (homes, /tmp, /run,
    /opt, /srv, the folder holding this repository, ...) is replaced by an empty tmpfs into
    which only what the sandbox needs is bound back, read-only: the Python installation, the
    virtualenv, and this project's `SANDBOX_PACKAGES` (not the rest of the repository: no tests,
    fixtures, other students or gradebooks). `writable` (the sandbox's own folder) is bound back
    writable, at `alias` instead of its own path when given (a path inside an emptied folder);
    `hide` (the grader's folders) is covered with an empty, read-only tmpfs.
    """
    keep = {Path(sys.base_prefix).resolve(), Path(sys.prefix), Path(sys.prefix).resolve()}
    keep |= {REPO_ROOT / name for name in SANDBOX_PACKAGES}
    for entry in sys.path:
        path = Path(entry).resolve() if entry else None
        if path and path.is_dir() and path != REPO_ROOT and REPO_ROOT not in path.parents:
            keep.add(path)
    kept = sorted({str(p) for p in keep})
    kept = [p for p in kept if not any(p != q and p.startswith(q + "/") for q in kept)]
    overlay: dict[str, str] = {}
    read_only: list[str] = []
    for top in sorted(Path("/").iterdir()):
        if top.is_symlink() or not top.is_dir() or top.name in ("proc", "sys", "dev"):
            continue
        if top.name in SYSTEM_DIRS:
            read_only.append(str(top))
        else:
            overlay[str(top)] = "1777" if top.name == "tmp" else "0755"
    # Scratch space stays writable for everyone (a private, empty tmpfs).
    for scratch in ("/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()):
        overlay[scratch] = "1777"
    if uid is not None:
        for path in kept:
            for ancestor in blocking_ancestors(Path(path)):
                overlay.setdefault(ancestor, "0755")
    return {
        "read_only": read_only,
        "keep_ro": kept,
        "keep_rw": [str(writable)],
        "alias": [str(writable), str(alias)] if alias and alias != writable else None,
        "overlay": sorted([path, mode] for path, mode in overlay.items()),
        "hide": [str(p) for p in hide],
    }
