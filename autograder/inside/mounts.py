"""Inside the sandbox: the supervisor's set-up of its new namespaces, before the harness starts.

Loopback is turned on in the new network namespace (nothing else is reachable), and the mount
namespace gets an allow-list view of the file system that the parent planned
(`autograder.sandbox.isolation.mount_plan`): /tmp, /root and the teacher's home become empty,
the repository's needed packages and the Python installation read-only, the gradebook, the
answer key and the other submissions disappear, and only the submission's own sandbox folder
stays writable (at the session's `alias` path when given, the same in every sandbox). Mounts
are made with libc directly: no `mount` or `ip` tool is needed.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC = 32, 4096, 16384
_MS_NOATIME, _MS_NODIRATIME, _MS_RELATIME = 1024, 2048, 1 << 21
# statvfs f_flag bit -> mount flag, to keep the flags the kernel locks on a remount
_LOCKED_FLAGS = {1: _MS_RDONLY, 2: _MS_NOSUID, 4: _MS_NODEV, 8: _MS_NOEXEC, 1024: _MS_NOATIME}
_LOCKED_FLAGS.update({2048: _MS_NODIRATIME, 4096: _MS_RELATIME})

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    result = _libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        flags,
        data.encode() if data else None,
    )
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source or fstype} on {target}: {os.strerror(errno)}")


def _remount_read_only(target: str) -> None:
    flags = os.statvfs(target).f_flag
    kept = 0
    for bit, flag in _LOCKED_FLAGS.items():
        if flags & bit:
            kept |= flag
    _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | kept)


def loopback_up() -> None:
    """`ip link set lo up`, without needing the `ip` tool."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def _under(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


def arrange_filesystem(plan: dict) -> list[str]:
    """Apply the mount plan. Returns warnings for steps that could not be done."""
    warnings: list[str] = []
    keep_ro = [p for p in plan.get("keep_ro", []) if os.path.exists(p)]
    keep_rw = [p for p in plan.get("keep_rw", []) if os.path.exists(p)]
    kept = [(p, False) for p in keep_ro] + [(p, True) for p in keep_rw]
    # [folder, path]: the writable folder is shown at `path` instead of its own path, so that
    # every sandbox of a session sees its own folder at the same path
    alias = plan.get("alias") or (None, None)
    modes = {path: mode for path, mode in plan.get("overlay", []) if os.path.isdir(path)}
    overlays = sorted(modes, key=len)
    overlays = [o for o in overlays if not any(_under(o, b) and o != b for b in overlays)]
    fds = {path: os.open(path, os.O_PATH) for path, _ in kept}
    try:
        for base in overlays:
            inside = [(p, rw) for p, rw in kept if _under(p, base) and p not in (base, alias[0])]
            try:
                options = f"mode={modes[base]},size=256m"
                _mount("tmpfs", base, "tmpfs", _MS_NOSUID | _MS_NODEV, options)
            except OSError as err:
                warnings.append(f"could not hide {base}: {err}")
                continue
            for path, writable in inside:
                try:
                    os.makedirs(path, exist_ok=True)
                    _mount(f"/proc/self/fd/{fds[path]}", path, None, _MS_BIND | _MS_REC)
                    if not writable:
                        _remount_read_only(path)
                except OSError as err:
                    warnings.append(f"could not expose {path}: {err}")
        for path, writable in kept:
            if writable or any(_under(path, b) for b in overlays):
                continue
            try:
                _mount(path, path, None, _MS_BIND | _MS_REC)
                _remount_read_only(path)
            except OSError as err:
                warnings.append(f"could not make {path} read-only: {err}")
        source, target = alias
        if source in fds:
            try:
                os.makedirs(target, exist_ok=True)
                _mount(f"/proc/self/fd/{fds[source]}", target, None, _MS_BIND | _MS_REC)
            except OSError as err:
                warnings.append(f"could not show {source} at {target}: {err}")
    finally:
        for fd in fds.values():
            os.close(fd)
    for path in plan.get("read_only", []):
        if not os.path.isdir(path) or os.path.islink(path) or path in modes:
            continue
        try:
            _mount(path, path, None, _MS_BIND | _MS_REC)
            _remount_read_only(path)
        except OSError as err:
            warnings.append(f"could not make {path} read-only: {err}")
    for path in plan.get("hide", []):
        if not os.path.isdir(path) or any(_under(k, path) for k, _ in kept):
            continue
        try:
            _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0000,size=4k")
        except OSError as err:
            warnings.append(f"could not hide {path}: {err}")
    return warnings
