"""The sandbox supervisor: first process inside a submission's namespaces, run by the grader.

`autograder.sandbox.session` starts it as
`unshare --net --pid --mount ... python -m autograder.inside.supervisor`.
It is our code and keeps its privileges; the student's code only ever runs in its child, the
harness. In order, it:

1. reads its set-up (JSON, one line on stdin) from the grader;
2. turns on loopback in the new network namespace and rearranges the file system view of the
   new mount namespace (`mounts.py`): only the submission's own sandbox folder stays writable;
3. starts the harness as an unprivileged user with rlimits (memory, processes, file size, CPU);
4. serves the taxi source *inside* the namespace, with a control token only it knows, and sets
   each step's fault schedule itself: the schedule never reaches the student's process;
5. relays commands, enforces each step's wall-clock limit, and caps the console output.

When it exits, the kernel kills every process left in the PID namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque

from autograder.inside.cdn import mount_hosts, serve_cdn, tls_context
from autograder.inside.limits import apply_limits
from autograder.inside.mounts import arrange_filesystem, loopback_up
from autograder.inside.protocol import done_line
from autograder.inside.zygote import request_harness

_HEAD = 64 << 10
_TAIL = 256 << 10
_MAX_REPLY = 4 << 20
_PR_SET_DUMPABLE = 4

_libc = ctypes.CDLL(None, use_errno=True)


def _out(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- the harness process


class Capture:
    """The first and last bytes of a stream, and how many bytes went by."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if len(self.head) < _HEAD:
            room = _HEAD - len(self.head)
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size > _TAIL and len(self.tail) > 1:
                self.tail_size -= len(self.tail.popleft())

    def as_dict(self) -> dict:
        tail = b"".join(self.tail)[-_TAIL:]
        return {
            "bytes": self.total,
            "head": bytes(self.head).decode("utf-8", "replace"),
            "tail": tail.decode("utf-8", "replace"),
        }


class HarnessProcess:
    """The unprivileged child (`harness.py`) that imports and runs the student's DAG."""

    def __init__(self, setup: dict) -> None:
        self.setup = setup
        self.lock = threading.Lock()
        self.capture = Capture()
        self.process: subprocess.Popen | None = None
        self.results = None
        self.commands = None
        self.buffer = b""

    def _limits(self) -> None:
        apply_limits(self.setup["limits"])
        if self.setup.get("own_session"):
            os.setsid()

    def start(self) -> None:
        if self.setup.get("zygote_fd") is not None:
            if self._start(warm=True):
                return
            self.setup["zygote_fd"] = None  # this sandbox goes on with cold starts
        self._start(warm=False)

    def _start(self, warm: bool) -> bool:
        cmd_read, cmd_write = os.pipe()
        res_read, res_write = os.pipe()
        try:
            if warm:
                self.process = request_harness(self.setup, cmd_read, res_write)
            else:
                self.process = self._spawn_cold(cmd_read, res_write)
        except OSError as err:  # the warm start is gone; a cold start cannot fail this way
            if not warm:
                raise
            sys.stderr.write(f"warm start unreachable: {err}\n")
            for fd in (cmd_write, res_read):
                os.close(fd)
            return False
        finally:
            os.close(cmd_read)
            os.close(res_write)
        self.commands = os.fdopen(cmd_write, "w", encoding="utf-8")
        self.results = res_read
        self.buffer = b""
        if warm:
            rest = self.process.await_start(self.results)
            if rest is None:
                self.commands.close()
                os.close(self.results)
                self.process.stdout.close()
                return False
            self.buffer = rest
        threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()
        return True

    def _spawn_cold(self, cmd_read: int, res_write: int) -> subprocess.Popen:
        """A fresh interpreter that imports Airflow itself (no warm start available)."""
        user = self.setup.get("uid")
        return subprocess.Popen(
            [*self.setup["harness_argv"], "--cmd-fd", str(cmd_read), "--result-fd", str(res_write)],
            env=self.setup["harness_env"],
            cwd=self.setup["harness_cwd"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(cmd_read, res_write),
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
            preexec_fn=self._limits,
        )

    def _drain(self, process: subprocess.Popen) -> None:
        stream = process.stdout
        while chunk := stream.read1(1 << 16):
            with self.lock:
                self.capture.add(chunk)

    def wait_for_marker(self, seq: int, limit: float) -> None:
        marker = done_line(seq).encode()
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.lock:
                recent = b"".join(list(self.capture.tail)[-2:])
                if marker in recent or marker in self.capture.head:
                    return
            time.sleep(0.005)

    def take_capture(self) -> dict:
        with self.lock:
            captured, self.capture = self.capture, Capture()
        return captured.as_dict()

    def send(self, command: dict) -> bool:
        try:
            self.commands.write(json.dumps(command) + "\n")
            self.commands.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def receive(
        self, seq: int, deadline: float, grader: LineReader
    ) -> tuple[str, dict | None, str]:
        """Wait for the answer numbered `seq`. Returns (status, message, detail)."""
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict) and message.get("seq") == seq:
                    return "ok", message, ""
            if len(self.buffer) > _MAX_REPLY:
                return "protocol_error", None, "the sandbox sent an oversized answer"
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", None, ""
            ready, _, _ = select.select([self.results, grader.fd], [], [], min(left, 1.0))
            if grader.fd in ready and grader.closed():
                return "grader_gone", None, "the grader went away"
            if self.results in ready:
                chunk = os.read(self.results, 1 << 16)
                if not chunk:
                    return "died", None, self._exit_detail()
                self.buffer += chunk
            elif self.process.poll() is not None:
                return "died", None, self._exit_detail()

    def _exit_detail(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the sandbox process stopped answering"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else ""
            reason = {
                "SIGKILL": " (killed: out of memory or a limit)",
                "SIGSEGV": " (the interpreter crashed)",
                "SIGXCPU": " (CPU time limit)",
                "SIGXFSZ": " (file size limit)",
                "SIGABRT": " (aborted)",
            }.get(name, "")
            return f"the sandbox process died from signal {name or -code}{reason}"
        return f"the sandbox process exited with code {code}"

    def kill(self) -> None:
        """Kill the harness and everything it started, then reap them."""
        if self.setup.get("own_session") and self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.setup.get("pid_namespace"):
            _kill_namespace()
        if self.process:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        _reap()
        for handle in (self.commands,):
            with contextlib.suppress(OSError, ValueError):
                handle.close()
        if self.results is not None:
            with contextlib.suppress(OSError):
                os.close(self.results)
            self.results = None


def _kill_namespace() -> None:
    """SIGKILL every process in this PID namespace except this one (PID 1)."""
    for _ in range(50):
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _reap()
        time.sleep(0.02)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------- main loop


class LineReader:
    """Commands from the grader on stdin, read without Python's buffering so that the end of
    the stream (the grader was killed) can be noticed while waiting for the harness."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.eof = False

    def _fill(self) -> None:
        chunk = os.read(self.fd, 1 << 16)
        if chunk:
            self.buffer += chunk
        else:
            self.eof = True

    def closed(self) -> bool:
        """Read what is waiting (the fd is readable); True if the grader closed its end."""
        self._fill()
        return self.eof

    def readline(self) -> str | None:
        while b"\n" not in self.buffer and not self.eof:
            self._fill()
        if b"\n" not in self.buffer:
            return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


def main() -> None:
    with contextlib.suppress(OSError):
        _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace or /proc/<pid>/mem for the harness
    grader = LineReader(sys.stdin.fileno())
    setup = json.loads(grader.readline() or "{}")
    warnings: list[str] = []
    if setup.get("network_namespace"):
        try:
            loopback_up()
        except OSError as err:
            warnings.append(f"could not turn on loopback: {err}")
    cdn = setup.get("cdn")  # the course-template profile (autograder.inside.cdn)
    context = tls_context(cdn["cert"], cdn["key"]) if cdn else None
    if setup.get("mount_plan"):
        warnings.extend(arrange_filesystem(setup["mount_plan"]))
    if cdn:
        warnings.extend(mount_hosts(cdn["hosts"]))
    harness = HarnessProcess(setup)
    harness.start()  # before any thread starts: preexec_fn is only safe in a one-thread process

    from taxi_source.server import files_from_json, serve_in_thread

    source = serve_in_thread(
        port=setup.get("source_port", 0),
        latest_month=setup["latest_month"],
        control_token=secrets.token_urlsafe(24),
        files=files_from_json(setup.get("source_files")),
    )
    https = serve_cdn(source, context, cdn["port"]) if cdn else None
    _out({"op": "ready", "warnings": warnings, "pid_namespace": bool(setup.get("pid_namespace"))})
    while (line := grader.readline()) is not None:
        command = json.loads(line)
        op = command.get("op")
        if op == "stop":
            break
        if op == "restart":
            harness.kill()
            harness.take_capture()
            harness.start()
            _out({"op": "reply", "seq": command["seq"], "status": "ok"})
            continue
        seq = command["seq"]
        to_harness = dict(command["harness"], seq=seq)
        if op == "run":
            source.set_faults(command.get("faults") or {})
            env = dict(to_harness.get("env") or {})
            env["TAXI_SOURCE_URL"] = source.base_url
            env["AIRFLOW_VAR_TAXI_SOURCE_URL"] = source.base_url
            to_harness["env"] = env
        harness.take_capture()
        deadline = time.monotonic() + float(command["timeout"])
        if harness.send(to_harness):
            status, message, detail = harness.receive(seq, deadline, grader)
        else:
            status, message, detail = "died", None, harness._exit_detail()
        if status == "grader_gone":
            break
        if status == "timeout":
            detail = f"no answer within {command['timeout']:.0f} s"
            harness.kill()
        elif status != "ok":
            harness.kill()
        harness.wait_for_marker(seq, 0.5)  # the last lines of output may still be in the pipe
        reply = {
            "op": "reply",
            "seq": seq,
            "status": status,
            "detail": detail,
            "harness": message,
            "output": harness.take_capture(),
        }
        if op == "run":
            reply["source_requests"] = source.requests()
            source.set_faults({})
        _out(reply)
    harness.kill()
    source.stop()
    if https:
        https.stop()


if __name__ == "__main__":
    main()
