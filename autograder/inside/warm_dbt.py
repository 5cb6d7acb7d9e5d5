"""Inside the sandbox: a warm dbt that the `dbt` command on the sandbox's PATH hands its work to.

A student who runs `dbt run` through `BashOperator` (the way the course teaches it) would pay
~4 s of dbt start-up per call, ~40 times per submission. The harness has already imported dbt,
so it serves dbt here instead: `bin/dbt` (first on the harness's PATH) sends its argv, working
directory and environment over a unix socket, this thread runs them with `dbtRunner` under
exactly that directory and environment, streams dbt's console output back, and answers with
dbt's exit code. Nothing crosses a trust boundary: the server lives in the harness, the
student's own process, and the command does what a dbt subprocess would do.

Not a top-level `dbt_*` module on purpose: dbt imports those as plugins (STACK_FACTS.md).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sys
import threading
from pathlib import Path

SOCKET_ENV = "AUTOGRADER_DBT_SOCKET"
BIN = Path(__file__).resolve().parent / "bin"
# What the warm dbt serves; anything else (deps, init, --version ...) runs the real command.
SERVED = frozenset({"run", "test", "build", "seed", "compile", "parse", "ls", "list", "snapshot"})
_MAX_REQUEST = 4 << 20
# dbt keeps process-wide state (flags, adapters, the working directory): one call at a time.
_ONE_AT_A_TIME = threading.Lock()


class _Stream(io.TextIOBase):
    """dbt's console output, sent to the caller as it is written."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with contextlib.suppress(OSError):  # the caller went away: finish the call quietly
            self.conn.sendall(b"o" + json.dumps(text).encode() + b"\n")
        return len(text)


def exit_code(result) -> int:
    """The exit code the dbt command gives for this result (0 ok, 1 failure, 2 error)."""
    if result.success:
        return 0
    return 2 if result.exception is not None else 1


def run_dbt(request: dict, out: io.TextIOBase) -> int:
    """Run one dbt command as if in a fresh `dbt` process with this argv, cwd and environment."""
    from dbt.cli.main import dbtRunner

    with _ONE_AT_A_TIME:
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        try:
            os.environ.clear()
            os.environ.update(request["env"])
            os.chdir(request["cwd"])
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    return exit_code(dbtRunner().invoke(list(request["argv"])))
                except BaseException as exc:  # noqa: BLE001 - dbt's SystemExit and the like
                    out.write(f"dbt failed: {type(exc).__name__}: {exc}\n")
                    return 2
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)


def _serve_one(conn: socket.socket) -> None:
    with conn:
        data = b""
        while not data.endswith(b"\n") and len(data) < _MAX_REQUEST:
            chunk = conn.recv(1 << 16)
            if not chunk:
                return
            data += chunk
        try:
            request = json.loads(data)
        except ValueError:
            return
        code = run_dbt(request, _Stream(conn))
        with contextlib.suppress(OSError):
            conn.sendall(b"x" + str(code).encode() + b"\n")


def _accept(server: socket.socket) -> None:
    while True:
        conn, _ = server.accept()
        threading.Thread(target=_serve_one, args=(conn,), daemon=True).start()


def start(folder: Path) -> Path:
    """Listen on `folder/dbt.sock` and put the `dbt` command on PATH. Call after dbt's import,
    once the harness no longer forks with `preexec_fn` (threads start here)."""
    path = folder / "dbt.sock"
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o600)
    server.listen(4)
    threading.Thread(target=_accept, args=(server,), daemon=True, name="warm-dbt").start()
    os.environ[SOCKET_ENV] = str(path)
    os.environ["PATH"] = f"{BIN}:{os.environ.get('PATH', '')}"
    return path


if __name__ == "__main__":  # pragma: no cover - a manual check: python -m ... FOLDER
    print(start(Path(sys.argv[1])))
    threading.Event().wait()
