"""No silent unsandboxed grading: a host without namespaces is refused unless `--isolation none`.

The host without namespaces is real, not simulated: the grader runs inside a user namespace of
its own in which the kernel's namespace limits (`/proc/sys/user/max_*_namespaces`) are 0. Any
user may lower them in a namespace they own, the machine's own limits stay as they are, and the
probe's `unshare` then fails there exactly as on a host with user namespaces switched off
(`user.max_user_namespaces=0`). A host with no `unshare` at all (macOS) is the PATH without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.errors import AutograderError
from autograder.sandbox import isolation
from autograder.sandbox.isolation import detect_isolation
from tests.conftest import REPO
from tests.corpus import build_submission

LIMITS = "user net pid mnt ipc uts cgroup"
# In the new user namespace: no namespace of any kind may be made below it; then the command.
NO_NAMESPACES = (
    f'for kind in {LIMITS}; do echo 0 > /proc/sys/user/max_"$kind"_namespaces || exit 97; done; '
    'exec "$@"'
)


def _host_without_namespaces() -> list[str]:
    """The prefix that runs a command on a host without namespaces (see the module docstring)."""
    unshare = shutil.which("unshare")
    if unshare:
        prefix = [unshare, "--user", "--map-root-user", "sh", "-c", NO_NAMESPACES, "sh"]
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    try:  # no user namespace to switch them off in: is this host already without them?
        detect_isolation("auto")
    except AutograderError:
        return []
    pytest.skip("cannot make a user namespace here, yet the host has sandbox namespaces")


def _cli(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`tool args` from this checkout, on a host without namespaces."""
    command = [sys.executable, "-c", f"from {tool}.cli import app; app()", *args]
    return subprocess.run(
        [*_host_without_namespaces(), *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def _assert_refused(done: subprocess.CompletedProcess[str], code: int) -> None:
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == code, said
    assert "Traceback" not in said
    assert "no sandbox on this host" in said
    assert "namespaces" in said  # what the host lacks
    assert "user.max_user_namespaces" in said and "class Airflow's workers" in said  # the way
    assert "--isolation none" in said  # and the one way around it, by name


def test_autograder_grade_and_check_refuse_a_host_without_namespaces(tmp_path: Path) -> None:
    students, out = tmp_path / "class", tmp_path / "out"
    build_submission("import_error", students / "ada")
    grade = ["grade", str(students), "--out", str(out)]
    _assert_refused(_cli("autograder", *grade), 2)
    _assert_refused(_cli("autograder", *grade, "--isolation", "namespaces"), 2)
    assert not out.exists()  # refused before anything was written
    _assert_refused(_cli("autograder", "check", str(students / "ada")), 2)


def test_course_grade_and_grade_repos_refuse_a_host_without_namespaces(tmp_path: Path) -> None:
    root = tmp_path / "course"
    (root / "release" / "taxi_pipeline").mkdir(parents=True)
    shutil.copy2(REPO / "assignment" / "nbgrader_config.py", root / "nbgrader_config.py")
    _assert_refused(_cli("course", "grade", "--root", str(root)), 1)
    listing = tmp_path / "prs.csv"
    listing.write_text(f"student,repo,ref\nada,{tmp_path / 'nowhere'},main\n")
    _assert_refused(_cli("course", "grade-repos", str(listing), "--root", str(root)), 1)
    assert not (root / "grading").exists()  # nothing cloned, nothing graded


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    isolation._unshare_failure.cache_clear()
    yield
    isolation._unshare_failure.cache_clear()  # the next test probes the real PATH again


def test_without_unshare_only_isolation_none_grades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_probe: None
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no `unshare`, as on macOS
    for mode in ("auto", "namespaces"):
        with pytest.raises(AutograderError, match="there is no `unshare` command"):
            detect_isolation(mode)
    assert detect_isolation("none").kind == "none"
