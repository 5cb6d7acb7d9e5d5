"""The grading session's warm start: one zygote (`autograder.inside.zygote`) per session.

Started on first use, in a scratch Airflow home on the session's private side (which no sandbox
can see): it imports Airflow, dbt and DuckDB once, then forks a harness into each sandbox that
asks. `adopt()` gives a sandbox its end of a socket pair to the zygote. If the zygote cannot
start (or dies), sandboxes start cold, as before: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder.options import GradingOptions
from autograder.sandbox.environment import contract_env, harness_env
from autograder.sandbox.isolation import Isolation

ZYGOTE = "autograder.inside.zygote"
WARM_UP_TIMEOUT = 300.0


class WarmStart:
    """The zygote of one grading session, shared by its sandboxes (and their threads)."""

    def __init__(
        self,
        options: GradingOptions,
        isolation: Isolation,
        private: Path,
        dbt_seed: Path | None = None,
    ) -> None:
        self.options = options
        self.isolation = isolation
        self.private = private
        self.dbt_seed = dbt_seed  # where the session's dbt saved parse will be (zygote.serve)
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.folder: Path | None = None
        self.timings: dict = {}
        self.failure: str | None = None
        self._lock = threading.Lock()

    @property
    def namespaces(self) -> list[str]:
        """The supervisor's namespaces a forked harness joins (see zygote.NAMESPACES)."""
        names = ["ipc", "uts", "net", "pid", "mnt"]
        return (["user"] if self.isolation.kind == "user-namespaces" else []) + names

    def adopt(self) -> socket.socket | None:
        """A new sandbox's end of a socket pair to the zygote; None: start cold."""
        with self._lock:
            if self.failure is None and self.process is None:
                self._start()
            if self.failure is not None or self.process.poll() is not None:
                self.failure = self.failure or "the warm start exited"
                return None
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                socket.send_fds(self.control, [b"adopt"], [theirs.fileno()])
            except OSError as err:
                ours.close()
                self.failure = f"the warm start stopped answering: {err}"
                return None
            finally:
                theirs.close()
            return ours

    def _prepare(self) -> tuple[Path, dict[str, str]]:
        folder = Path(tempfile.mkdtemp(prefix="zygote-", dir=self.private))
        for name in ("home", "tmp", "airflow", "submission/dags", "work"):
            (folder / name).mkdir(parents=True)
        # Only paths: the zygote opens no metadata DB and reads no DAG, warehouse or source
        # (see zygote.warm_up).
        contract = contract_env(
            source_url="http://127.0.0.1:9/trip-data",
            dbt_dir=folder / "dbt",
            warehouse=folder / "work" / "taxi.duckdb",
            notifications=folder / "work" / "notifications.jsonl",
        )
        return folder, harness_env(folder, self.options.import_timeout, contract)

    def _start(self) -> None:
        started = time.monotonic()
        try:
            self.folder, env = self._prepare()
        except OSError as err:
            self.failure = f"could not prepare the warm start: {err}"
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log = (self.folder / "zygote.log").open("wb")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-s", "-m", ZYGOTE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=str(self.folder / "home"),
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            log.close()
            theirs_fd = theirs.fileno()
            theirs.close()
        self.control = ours
        seed = str(self.dbt_seed) if self.dbt_seed else None
        setup = {"control_fd": theirs_fd, "dbt_seed": seed}
        self.process.stdin.write((json.dumps(setup) + "\n").encode())
        self.process.stdin.flush()
        reply = self._read_reply(WARM_UP_TIMEOUT)
        if reply.get("op") != "ready":
            self.failure = "the warm start failed: " + str(reply.get("error") or self._log_tail())
            self.close()
            return
        self.timings = {k: v for k, v in reply.items() if k != "op"}
        self.timings["start_seconds"] = round(time.monotonic() - started, 3)

    def _read_reply(self, timeout: float) -> dict:
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if selector.select(timeout=timeout):
                with contextlib.suppress(ValueError):
                    return json.loads(self.process.stdout.readline() or b"{}")
        return {}

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "zygote.log").read_text(errors="replace")[-1500:]
        return "no answer"

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)  # its forked children too
            with contextlib.suppress(Exception):
                self.process.wait(timeout=10)
