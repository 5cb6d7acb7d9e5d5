"""INSIDE the gate's sandbox: import students' DAG files the way the dag-processor would.

Started by `gate/sandbox.py` as `python -m class_airflow.gate.inside` (in its own network and
PID namespaces when the machine allows). It imports Airflow once, then forks one child per
file, so a file costs milliseconds instead of Airflow's 3 s start-up. Each child, before it
touches the student's file: its own session, rlimits (address space, CPU seconds, processes,
file size), an unprivileged user id when the gate runs as root; then `DagBag` on that one file,
exactly as the dag-processor parses it. The child answers with one JSON object on a pipe; this
process enforces the wall-clock limit (SIGKILL to the child's group) and writes one JSON line
per file to stdout. Nothing here decides pass or fail: `gate/checks.py` does, in the parent.

Protocol: one JSON line on stdin,
    {"jobs": [{"id", "file", "bundle_root"}], "timeout": s, "memory_mb": n, "uid": int|null,
     "parallel": n}
and one line out per job: {"id", "status": ok|timeout|died|fatal, "dag_ids", "errors", ...}.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import sys
import time

_OUTPUT_CAP = 16 << 10
_RESULT_CAP = 1 << 20
# Exit statuses collected by _reap (this process may be PID 1 of a namespace and reap all).
_EXITED: dict[int, int] = {}


def _virtual_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_self(setup: dict) -> None:
    """rlimits for this child; the address space is counted above what is already mapped."""
    memory = _virtual_size() + int(setup["memory_mb"]) * (1 << 20)
    cpu = int(setup["timeout"]) + 5
    for which, value in (
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, 16 << 20),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 256),
    ):
        resource.setrlimit(which, (value, value))
    uid = setup.get("uid")
    if uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def _parse(job: dict) -> dict:
    """Import one file with DagBag; what it defined and what went wrong."""
    from airflow.dag_processing.dagbag import DagBag

    sys.path.insert(0, job["bundle_root"])
    began = time.monotonic()
    try:
        bag = DagBag(dag_folder=job["file"], bundle_path=job["bundle_root"], bundle_name="class")
    except SystemExit as stop:
        return {"status": "fatal", "fatal": f"SystemExit({stop.code!r})"}
    except BaseException as err:  # noqa: BLE001 - anything the student's import raised
        return {"status": "fatal", "fatal": f"{type(err).__name__}: {err}"}
    return {
        "status": "ok",
        "seconds": round(time.monotonic() - began, 3),
        "dag_ids": sorted(bag.dag_ids),
        "dag_files": {dag_id: bag.dags[dag_id].fileloc for dag_id in bag.dag_ids},
        "errors": {str(path): str(text)[-4000:] for path, text in bag.import_errors.items()},
        "warnings": [str(w) for ws in bag.captured_warnings.values() for w in ws][:20],
    }


def _child(job: dict, setup: dict, result_fd: int, output_fd: int) -> None:
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    code = 0
    try:
        _limit_self(setup)
        answer = _parse(job)
    except BaseException as err:  # noqa: BLE001 - e.g. MemoryError while setting up
        answer, code = {"status": "fatal", "fatal": f"{type(err).__name__}: {err}"}, 0
    data = json.dumps(answer).encode()[:_RESULT_CAP]
    try:
        while data:
            data = data[os.write(result_fd, data) :]
    finally:
        os._exit(code)


class Running:
    def __init__(self, job: dict, pid: int, result_fd: int, output_fd: int, deadline: float):
        self.job, self.pid, self.deadline = job, pid, deadline
        self.result_fd, self.output_fd = result_fd, output_fd
        self.result, self.output = b"", b""
        self.result_open = self.output_open = True


def _start(job: dict, setup: dict) -> Running:
    result_read, result_write = os.pipe()
    output_read, output_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(result_read)
        os.close(output_read)
        _child(job, setup, result_write, output_write)
    os.close(result_write)
    os.close(output_write)
    return Running(job, pid, result_read, output_read, time.monotonic() + float(setup["timeout"]))


def _finish(run: Running, status: str | None) -> dict:
    if status == "timeout":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
    wait_status = _EXITED.pop(run.pid, None)
    if wait_status is None:
        _, wait_status = os.waitpid(run.pid, 0)
    for fd in (run.result_fd, run.output_fd):
        with contextlib.suppress(OSError):
            os.close(fd)
    output = run.output[:_OUTPUT_CAP].decode(errors="replace")
    if status == "timeout":
        return {"status": "timeout", "output": output}
    try:
        answer = json.loads(run.result) if run.result else None
    except ValueError:
        answer = None
    if answer is None:
        if os.WIFSIGNALED(wait_status):
            how = f"killed by signal {signal.Signals(os.WTERMSIG(wait_status)).name}"
        else:
            how = f"exited with code {os.WEXITSTATUS(wait_status)}"
        return {"status": "died", "detail": how, "output": output}
    answer["output"] = output
    return answer


def _reap() -> None:
    """Collect exited children: ours (kept for _finish) and, as PID 1 of the namespace,
    whatever a student's code left behind."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _EXITED[pid] = status


def serve(setup: dict) -> None:
    queue = list(setup["jobs"])
    running: list[Running] = []
    parallel = max(1, int(setup.get("parallel", 1)))
    while queue or running:
        while queue and len(running) < parallel:
            running.append(_start(queue.pop(0), setup))
        fds = [r.result_fd for r in running if r.result_open]
        fds += [r.output_fd for r in running if r.output_open]
        ready, _, _ = select.select(fds, [], [], 0.2) if fds else ([], [], [])
        for run in running:
            for fd in ready:
                if fd == run.result_fd:
                    chunk = os.read(fd, 1 << 16)
                    run.result += chunk
                    run.result_open = bool(chunk)
                elif fd == run.output_fd:
                    chunk = os.read(fd, 1 << 16)
                    if len(run.output) < _OUTPUT_CAP:
                        run.output += chunk
                    run.output_open = bool(chunk)
        _reap()
        for run in list(running):
            status = None
            # Done when the answer is complete and the child is gone (a grandchild may still
            # hold the output pipe open; the namespace ends it later).
            if not run.result_open and (not run.output_open or run.pid in _EXITED):
                status = "done"
            elif time.monotonic() > run.deadline:
                status = "timeout"
            if status:
                running.remove(run)
                answer = _finish(run, status)
                answer["id"] = run.job["id"]
                sys.stdout.write(json.dumps(answer) + "\n")
                sys.stdout.flush()
    _EXITED.clear()


def main() -> None:
    setup = json.loads(sys.stdin.readline())
    # Import what every DAG file needs once, before the first fork.
    import airflow.sdk  # noqa: F401
    from airflow.dag_processing.dagbag import DagBag  # noqa: F401

    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    serve(setup)


if __name__ == "__main__":
    main()
