"""`class up` / `class down` without Docker: the declared services as processes on loopback.

    up:   secrets and roster -> PostgreSQL data folder (initdb once) -> shared repository
          -> each layer of the declaration's start order: start, then wait until healthy
    down: every recorded service, last started first: stop signal, grace period, SIGKILL

What was started is recorded in `run/stack.json` after every start, so a failed `up` or a
crashed shell can always be cleaned up by `down`. Logs: `logs/<service>.log`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from class_airflow import credentials, shared_repo
from class_airflow import roster as roster_module
from class_airflow.errors import ClassError
from class_airflow.files import atomic_write_json, private_dir
from class_airflow.paths import REPO_ROOT, ClassPaths
from class_airflow.placement import TwinPlacement
from class_airflow.stack import Service, Stack, StackSettings, declare
from class_airflow.twin import health, processes
from class_airflow.versions import major_of

ONESHOT_TIMEOUT = 300.0
# Passed from the caller to every service: a test suite's mark for finding what it started.
PASSED_THROUGH = ("WEEK11_TEST_SESSION",)
READY_TIMEOUT = 240.0
VENV_BIN = Path(sys.executable).parent


@dataclass
class UpReport:
    seconds: float
    services: dict[str, int]  # name -> pid (= session id)
    versions: dict[str, str]
    restarted: list[str] = field(default_factory=list)  # services that had died


def find_programs() -> dict[str, str]:
    """The binaries the declaration's commands name, or a ClassError saying what to install."""
    from workbook.system_setup import find_pg_bin

    pg_bin = find_pg_bin()
    redis = shutil.which("redis-server")
    missing = []
    if pg_bin is None:
        missing.append("a PostgreSQL server (Debian: apt-get install postgresql; or set PG_BIN)")
    if redis is None:
        missing.append("Redis (Debian: apt-get install redis-server)")
    if missing:
        raise ClassError(
            "missing " + " and ".join(missing) + ". `python -m class_airflow.system_setup` "
            "installs both when run as root on Debian/Ubuntu."
        )
    return {
        "postgres": str(pg_bin / "postgres"),
        "initdb": str(pg_bin / "initdb"),
        "redis-server": redis,
        "airflow": str(VENV_BIN / "airflow"),
        "python": sys.executable,
    }


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: as root it runs as the `postgres` OS user."""
    return "postgres" if os.geteuid() == 0 else None


def _prepare_postgres(paths: ClassPaths, programs: dict[str, str], password: str) -> None:
    user = _server_user()
    paths.pgsocket.mkdir(parents=True, exist_ok=True)
    if user:
        shutil.chown(paths.pgsocket, user)
    if (paths.pgdata / "PG_VERSION").exists():
        return
    pwfile = paths.pgsocket / ".initdb-password"
    pwfile.write_text(password + "\n")
    os.chmod(pwfile, 0o600)
    if user:
        shutil.chown(pwfile, user)
    try:
        done = subprocess.run(
            [
                programs["initdb"],
                "-D",
                str(paths.pgdata),
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer" if user else "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if done.returncode != 0:
        raise ClassError(f"initdb failed for {paths.pgdata}:\n{done.stderr.strip()}")


def _argv(service: Service, programs: dict[str, str], place: TwinPlacement) -> list[str]:
    command = [place.text(part) for part in [*service.command, *service.twin_args]]
    return [programs.get(command[0], command[0]), *command[1:]]


def service_environment(service: Service, place: TwinPlacement) -> dict[str, str]:
    """What a twin service runs with: a plain base plus exactly the declared variables."""
    base = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": os.environ.get("HOME", "/tmp"),
        **{key: os.environ[key] for key in PASSED_THROUGH if key in os.environ},
    }
    return {**base, **{key: place.text(value) for key, value in service.environment.items()}}


def load_record(paths: ClassPaths) -> dict:
    import json

    if not paths.stack_record.exists():
        return {"services": []}
    return json.loads(paths.stack_record.read_text())


def _save_record(paths: ClassPaths, record: dict) -> None:
    atomic_write_json(paths.stack_record, record)


def _save_environment(paths: ClassPaths, name: str, env: dict[str, str]) -> None:
    """What a service was started with, for checking it against the declaration later (its
    /proc environ is not reliable: setproctitle and PostgreSQL overwrite it). Holds secrets."""
    atomic_write_json(private_dir(paths.run / "env") / f"{name}.json", env, mode=0o600)


def started_environment(paths: ClassPaths, name: str) -> dict[str, str]:
    import json

    return json.loads((paths.run / "env" / f"{name}.json").read_text())


def _versions(programs: dict[str, str]) -> dict[str, str]:
    def output(argv: list[str]) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    from class_airflow.versions import running_python

    return {
        "postgres": major_of(output([programs["postgres"], "--version"])) or "?",
        "redis": major_of(output([programs["redis-server"], "--version"])) or "?",
        "python": running_python(),
    }


def _wait_ready(
    stack: Stack, started: dict[str, tuple[Service, int, float]], place: TwinPlacement, paths
) -> None:
    waiting = dict(started)
    deadline = time.monotonic() + READY_TIMEOUT
    while waiting:
        for name, (service, pid, started_at) in list(waiting.items()):
            if processes.exit_code(pid) is not None:
                raise ClassError(
                    f"{name} stopped while starting. The end of {paths.service_logs / name}.log:"
                    f"\n{processes.tail(paths.service_logs / f'{name}.log')}"
                )
            if health.is_ready(stack, service.health, started_at, place.text):
                del waiting[name]
        if not waiting:
            return
        if time.monotonic() > deadline:
            names = ", ".join(waiting)
            raise ClassError(
                f"{names} did not become healthy within {READY_TIMEOUT:.0f} s; see "
                f"{paths.service_logs}/<service>.log"
            )
        time.sleep(0.5)


def _run_oneshot(service: Service, argv, env, paths: ClassPaths) -> None:
    log = paths.service_logs / f"{service.name}.log"
    pid = processes.start(argv, env, log, cwd=paths.state)
    code = processes.wait_exit(pid, ONESHOT_TIMEOUT)
    if code != 0:
        if code is None:
            processes.stop(pid, signal.SIGKILL, 0)
        raise ClassError(
            f"{service.name} failed (exit code {code}). The end of {log}:\n{processes.tail(log)}"
        )


def up(
    paths: ClassPaths,
    roster_path: Path,
    settings: StackSettings | None = None,
    only: list[str] | None = None,
) -> UpReport:
    """Start the declared stack (or the services in `only`), each healthy before its dependents."""
    began = time.monotonic()
    record = load_record(paths)
    stopped = stopped_services(paths)
    revived: list[str] = []
    if record["services"] and not only:
        if not stopped:
            raise ClassError(
                f"the class stack is already running (state in {paths.state}); `class down` "
                "stops it"
            )
        if len(stopped) < len(record["services"]):
            # Some services died (a crash, an OOM kill): start just those, as they were.
            settings, only = StackSettings(**record["settings"]), stopped
            revived = stopped
    stack = declare(settings)
    programs = find_programs()
    roster = roster_module.load(roster_path)
    for folder in (
        paths.state,
        paths.service_logs,
        paths.airflow_home,
        paths.dags,
        paths.redis,
        paths.dbt_target,
        paths.notifications.parent,
        paths.run,
        paths.grading,
    ):
        folder.mkdir(parents=True, exist_ok=True)
    private_dir(paths.secrets)
    env_values = credentials.sync(paths, roster)
    place = TwinPlacement(paths, roster_path.resolve(), env_values)
    _prepare_postgres(paths, programs, env_values["CLASS_POSTGRES_PASSWORD"])
    shared_repo.ensure(paths.shared_repo, roster)
    record = {
        "settings": stack.settings.model_dump(),
        "roster": str(roster_path.resolve()),
        "versions": _versions(programs),
        "services": [] if not only else record["services"],
    }
    try:
        for layer in stack.start_order():
            started: dict[str, tuple[Service, int, float]] = {}
            for service in layer:
                if only and service.name not in only:
                    continue
                argv = _argv(service, programs, place)
                env = service_environment(service, place)
                if service.role == "oneshot":
                    _run_oneshot(service, argv, env, paths)
                    continue
                _save_environment(paths, service.name, env)
                user = _server_user() if service.run_as_postgres else None
                started_at = time.time()
                pid = processes.start(
                    argv, env, paths.service_logs / f"{service.name}.log", paths.state, user
                )
                started[service.name] = (service, pid, started_at)
                record["services"] = [s for s in record["services"] if s["name"] != service.name]
                record["services"].append(
                    {
                        "name": service.name,
                        "pid": pid,
                        "stop_signal": service.stop_signal,
                        "grace": service.grace_seconds,
                        "started_at": started_at,
                    }
                )
                _save_record(paths, record)
            _wait_ready(stack, started, place, paths)
    except BaseException:
        down(paths, only)  # what this call started; a failed restart leaves the rest running
        raise
    return UpReport(
        time.monotonic() - began,
        {s["name"]: s["pid"] for s in record["services"]},
        record["versions"],
        revived,
    )


# Stopped last, in this order: the servers everything else talks to while shutting down.
_INFRASTRUCTURE = ("redis", "postgres")


def down(paths: ClassPaths, only: list[str] | None = None) -> dict[str, list[str]]:
    """Stop what `up` recorded: first every Airflow and class service at once, then Redis, then
    PostgreSQL. Returns, per service, the processes that had to be killed after the grace."""
    record = load_record(paths)
    chosen = [e for e in record["services"] if not only or e["name"] in only]
    waves = [[e for e in chosen if e["name"] not in _INFRASTRUCTURE]]
    waves += [[e for e in chosen if e["name"] == name] for name in _INFRASTRUCTURE]
    killed: dict[str, list[str]] = {}
    for wave in waves:
        if not wave:
            continue
        by_session = {e["pid"]: e["name"] for e in wave}
        stubborn = processes.stop_all(
            {e["pid"]: (signal.Signals[e["stop_signal"]], float(e["grace"])) for e in wave}
        )
        for process in stubborn:
            name = by_session.get(process.sid) or by_session.get(process.pgid) or "?"
            killed.setdefault(name, []).append(f"{process.pid} {process.command[:80]}")
    record["services"] = [e for e in record["services"] if e not in chosen]
    if paths.stack_record.exists():
        _save_record(paths, record)
    return killed


def stopped_services(paths: ClassPaths) -> list[str]:
    """Services `up` recorded that have no process left (crashed, killed, or the machine
    rebooted); `up` starts them again."""
    return [
        entry["name"]
        for entry in load_record(paths)["services"]
        if not processes.living_in_sessions({entry["pid"]})
    ]


def restart(paths: ClassPaths, names: list[str]) -> None:
    """Restart some services with the current settings (e.g. the api-server after the roster
    changed: the simple auth manager reads its user list at start)."""
    record = load_record(paths)
    if not record["services"]:
        return
    down(paths, only=names)
    up(paths, Path(record["roster"]), StackSettings(**record["settings"]), only=names)


def stack_processes(paths: ClassPaths) -> list[processes.ProcessInfo]:
    sessions = {entry["pid"] for entry in load_record(paths)["services"]}
    return processes.living_in_sessions(sessions) if sessions else []


def running_settings(paths: ClassPaths) -> StackSettings | None:
    record = load_record(paths)
    return StackSettings(**record["settings"]) if record.get("settings") else None


def repo_relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
