"""Kernels that start warm: the next chapter's kernel has already imported Airflow and dbt.

Every kernel paid the same ~4-5 s on its first `wb.run(...)`: Airflow's and dbt's imports, the
Task Execution API's versioned routes, ipykernel's own start (py-spy). `WarmKernelProvisioner`
(JupyterLab and nbclient pick it through `make lab`'s settings and the `jupyter_client`
provisioner entry point) keeps one spare process that has done that while the student works in
the current chapter. When the next kernel is asked for, the spare becomes it: it gets the kernel's
command line, environment and folder on its stdin and starts ipykernel from there. Then a new
spare starts for the kernel after.

The spare is only used when nothing that matters to those imports differs: the same Python, the
same kernel command, the same environment except Jupyter's per-kernel variables (`JPY_*`). Else
the kernel starts the ordinary way, as it does when no spare is ready. Nothing is forked: the
spare is an ordinary child of the Jupyter server, started like a kernel, which is why interrupts,
restarts and shutdowns work as for any kernel.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

from jupyter_client.provisioning import LocalProvisioner

# Set by Jupyter per kernel; they do not change what the spare imported.
PER_KERNEL = ("JPY_",)
KERNEL_MODULE = "ipykernel_launcher"
REPO = Path(__file__).resolve().parent.parent


def _comparable(env: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if not key.startswith(PER_KERNEL)}


class _Spare:
    """A warming process and what it was started for."""

    def __init__(self, python: str, env: dict[str, str]) -> None:
        self.python = python
        self.env = _comparable(env)
        # ipykernel reads JPY_PARENT_PID when it is imported (to exit if this process dies).
        env = {**env, "JPY_PARENT_PID": str(os.getpid())}
        self.process = subprocess.Popen(
            [python, "-m", "workbook.warm_kernel"],
            stdin=subprocess.PIPE,
            env=env,
            cwd=str(REPO),
            start_new_session=True,  # as jupyter_client starts kernels: interrupts reach it alone
        )

    def fits(self, cmd: list[str], env: dict[str, str]) -> bool:
        return (
            self.process.poll() is None
            and cmd[:3] == [self.python, "-m", KERNEL_MODULE]
            and _comparable(env) == self.env
        )

    def become(self, cmd: list[str], env: dict[str, str], cwd: str) -> subprocess.Popen | None:
        request = {"argv": cmd[2:], "env": env, "cwd": cwd}
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except OSError:
            self.discard()
            return None
        return self.process

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)


class WarmKernelProvisioner(LocalProvisioner):
    """`LocalProvisioner` that hands out a pre-warmed spare when one fits."""

    _spare: ClassVar[_Spare | None] = None  # one per Jupyter server (or nbclient) process

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        spare, WarmKernelProvisioner._spare = WarmKernelProvisioner._spare, None
        process = None
        if spare is not None:
            kernel_env = dict(env)
            if not kwargs.get("independent"):  # as jupyter_client's launcher sets it
                kernel_env["JPY_PARENT_PID"] = str(os.getpid())
            process = spare.become(cmd, kernel_env, cwd) if spare.fits(cmd, env) else None
            if process is None:
                spare.discard()
        if process is None:
            info = await super().launch_kernel(cmd, **kwargs)
        else:  # what jupyter_client's launcher records for a kernel it starts itself
            self.process = process
            self.pid = process.pid
            self.pgid = os.getpgid(process.pid)
            self.cwd = cwd
            info = self.connection_info
        if cmd[1:3] == ["-m", KERNEL_MODULE]:
            with contextlib.suppress(OSError):
                WarmKernelProvisioner._spare = _Spare(cmd[0], env)
        return info

    @classmethod
    def discard_spare(cls) -> None:
        """Stop the spare (a process that started kernels is done with them)."""
        spare, cls._spare = cls._spare, None
        if spare is not None:
            spare.discard()


def warm_up() -> None:
    """What a chapter's kernel would import on its first cell and its first `wb.run(...)`,
    in the order `session.setup()` does it."""
    from ipykernel.zmqshell import ZMQInteractiveShell

    # What ipykernel puts in the environment before the first cell (FORCE_COLOR, TERM, a pager):
    # Airflow chooses its log colours from it when imported, so it must see the same here.
    ZMQInteractiveShell.init_environment(None)
    from workbook import paths, session

    student_dags = paths.work_root() / "dags"
    student_dags.mkdir(parents=True, exist_ok=True)
    os.environ[session.BUNDLES_ENV] = session._bundles(student_dags)
    session.airflow_settings.configure(home=paths.airflow_home())
    if os.environ.get(session.STRICT_WARNINGS_ENV) == "1":
        session.strict_deprecations()
    import airflow  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401

    from autograder.inside.zygote import warm_up as import_and_build  # the grader's warm start

    import_and_build()  # imports, dbt's schemas, the Execution API's routes; starts no thread
    from workbook import runner  # noqa: F401


def become_kernel(request: dict) -> None:
    """Start ipykernel as `python -m ipykernel_launcher ARGS` would, in the kernel's folder and
    environment. Never returns while the kernel runs."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(request["argv"])
    sys.path[0] = os.getcwd()  # `-m` puts the working folder first
    runpy.run_module(KERNEL_MODULE, run_name="__main__", alter_sys=True)


def main() -> None:
    try:
        warm_up()
    except Exception as err:  # noqa: BLE001 - a kernel that starts cold is still a kernel
        print(f"[workbook] kernel warm-up skipped: {type(err).__name__}: {err}", file=sys.stderr)
    line = sys.stdin.buffer.readline()
    if not line:  # the server went away before asking: nothing to do
        return
    become_kernel(json.loads(line))


if __name__ == "__main__":
    main()
