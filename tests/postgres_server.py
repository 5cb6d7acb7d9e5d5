"""A throwaway PostgreSQL server for tests: initdb in a temp dir, loopback only, trust auth.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.process_ledger import record_started
from workbook.system_setup import find_pg_bin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a postgresql:// URL of a fresh database `taxi`; stop and delete it afterwards."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise RuntimeError("no PostgreSQL server found: run `python -m workbook.system_setup`")
    root = Path(tempfile.mkdtemp(prefix="week11-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        _as_server_user([str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]),
        **run,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log")]
    subprocess.run(_as_server_user([*pg_ctl, "-o", options, "-w", "start"]), **run)
    record_started(int((data / "postmaster.pid").read_text().split()[0]))
    try:
        subprocess.run(
            [
                str(pg_bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "taxi",
            ],
            **run,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/taxi"
    finally:
        subprocess.run(_as_server_user([*pg_ctl, "-m", "fast", "-w", "stop"]), check=False)
        shutil.rmtree(root, ignore_errors=True)
