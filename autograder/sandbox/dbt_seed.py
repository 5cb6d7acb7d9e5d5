"""dbt's saved parse of the course's project, made once per grading session.

dbt keeps what it parsed in `target/partial_parse.msgpack` and reuses it while the project
files, the profile's connection and dbt's version stay the same. Without it every sandbox's
first `dbt run` parses the whole project (~3 s of each submission, profiled). So this makes it
once: trusted code, as the grader, on the course's project, in the folder every sandbox of the
session sees as its own (`session.ALIAS`, bound there in its mount namespace) and with the
contract's variables, so dbt accepts the copy each sandbox gets; tests a student adds are
parsed on top, and anything else that differs makes dbt parse in full, as before.

Parent side. It runs in a process of its own (`python -m autograder.sandbox.dbt_seed FOLDER`)
so that the grading process never becomes a dbt process, and in a thread, so that no sandbox
waits for it: the first ones start without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

SEED_NAME = "partial_parse.msgpack"  # dbt's own file name for its saved parse


class DbtSeed:
    """Makes the seed in the background; `path` is the saved parse once it exists."""

    def __init__(self, folder: Path, env: dict[str, str], dbt_project: Path, keep: Path) -> None:
        self._folder, self._env, self._project, self._keep = folder, env, dbt_project, keep
        self._done = threading.Event()
        self.failure = ""
        threading.Thread(target=self._make, name="dbt-seed", daemon=True).start()

    @property
    def path(self) -> Path | None:
        return self._keep if self._done.is_set() and not self.failure else None

    def wait(self, timeout: float | None = None) -> Path | None:
        self._done.wait(timeout)
        return self.path

    def _make(self) -> None:
        try:
            for name in ("home", "tmp"):  # the harness's $HOME and $TMPDIR
                (self._folder / name).mkdir(parents=True)
            shutil.copytree(
                self._project,
                self._folder / "dbt",
                ignore=shutil.ignore_patterns("target", "logs", ".user.yml"),
            )
            result = subprocess.run(
                [sys.executable, "-m", "autograder.sandbox.dbt_seed", str(self._folder)],
                capture_output=True,
                text=True,
                timeout=300,
                env=self._env,
                cwd=self._folder,
            )
            made = self._folder / "dbt" / "target" / SEED_NAME
            if result.returncode != 0 or not made.is_file():
                self.failure = (result.stdout + result.stderr)[-2000:] or "no saved parse"
            else:
                # Whole or not at all: the zygote may read it as soon as it exists.
                partial = self._keep.with_name(self._keep.name + ".part")
                shutil.copyfile(made, partial)
                os.replace(partial, self._keep)
        except (OSError, subprocess.SubprocessError) as err:
            self.failure = str(err)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._done.set()


def parse(folder: Path) -> int:
    """`dbt parse` of `folder/dbt`, as a sandbox's dbt would see it (in this environment)."""
    from dbt.cli.main import dbtRunner

    project = str(folder / "dbt")
    result = dbtRunner().invoke(["parse", "--project-dir", project, "--profiles-dir", project])
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(parse(Path(sys.argv[1])))
