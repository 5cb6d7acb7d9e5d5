"""Grading as a normal user, as on a teacher's laptop: the sandbox falls back to user namespaces.

CI runs as root, where every other test gets the root sandbox (a separate user id per
submission). Here the class is handed to the user `nobody` and graded by them, with a
virtual environment they can run (pyenv's Python under /root is out of their reach).

The intruder knows exactly where this teacher keeps the answer key, the gradebook, a
classmate's DAG and a private file, and tries to read, then delete, all of them at import
time. Sandboxed, it must find nothing and break nothing; run again with `--isolation none`,
the same code does find them, which shows the test could fail.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.checks import all_checks
from autograder.sandbox.isolation import blocking_ancestors
from tests.autograder.helpers import REFERENCE_DAG
from tests.corpus import REFERENCE, build_submission

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="run as a normal user, the whole autograder suite already grades without root",
    ),
]

REPO = Path(__file__).resolve().parents[3]
USER = "nobody"

INTRUDER = """
# --- an intruder that knows where the teacher keeps things ---
import glob as _glob  # noqa: E402
import shutil as _shutil  # noqa: E402

_TARGETS = {targets!r}
_FOUND = []
for _pattern in _TARGETS:
    for _path in _glob.glob(_pattern, recursive=True):
        if os.path.isfile(_path):
            try:
                with open(_path, "rb") as _handle:
                    _FOUND.append((_path, len(_handle.read())))
            except OSError:
                pass
if _FOUND:
    raise RuntimeError(f"LEAKED: {{_FOUND[:3]}}")
for _pattern in _TARGETS:
    for _path in _glob.glob(_pattern):
        if os.path.isdir(_path):
            _shutil.rmtree(_path, ignore_errors=True)
        else:
            try:
                os.remove(_path)
            except OSError:
                pass
"""


def _python_for_everyone() -> str:
    """An interpreter a normal user can run: this one if its folders allow it, else the OS's."""
    own = Path(sys.executable).resolve()
    for candidate in (own, Path("/usr/bin/python3")):
        if candidate.exists() and not blocking_ancestors(candidate):
            return str(candidate)
    pytest.fail(f"{own} sits in a folder other users cannot enter; install python3 (apt).")


def _copy_checkout(target: Path) -> None:
    """The repository's files as they are now (tracked or new, not ignored), readable by all.

    A copy, because the checkout itself may sit in a folder other users cannot enter.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for folder in [target, *target.rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)


@pytest.fixture(scope="module")
def teacher_home():
    """A home folder for `nobody`, and a checkout with a venv they can run."""
    base = Path(tempfile.mkdtemp(prefix="week11-nonroot-"))
    base.chmod(0o755)
    checkout, venv = base / "repo", base / "venv"
    _copy_checkout(checkout)
    subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "sync", "--frozen", "--no-dev", "--quiet"]
        + ["--python", _python_for_everyone()],
        cwd=checkout,
        env=os.environ | {"UV_PROJECT_ENVIRONMENT": str(venv)},
        check=True,
        capture_output=True,
        timeout=600,
    )
    yield base / "home", venv
    shutil.rmtree(base, ignore_errors=True)


def _as_user(home: Path, venv: Path, *args: str) -> subprocess.CompletedProcess:
    entry = pwd.getpwnam(USER)
    subprocess.run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(home)], check=True)
    clean_env = [f"HOME={home}", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "COLUMNS=200"]
    command = [
        "runuser",
        "-u",
        USER,
        "--",
        "env",
        "-i",
        *clean_env,
        str(venv / "bin" / "autograder"),
    ]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=900, cwd=home)


def test_a_normal_user_grades_a_class_and_the_intruder_finds_nothing(teacher_home) -> None:
    home, venv = teacher_home
    students, out = home / "class", home / "out"
    cache = home / ".cache" / "week11-autograder"
    secret = home / "secret.txt"
    home.mkdir()
    secret.write_text("the teacher's private notes\n")
    build_submission(REFERENCE, students / "ref")
    targets = [
        f"{cache}/**",
        f"{out}/**",
        f"{students}/ref/dags/taxi_pipeline.py",
        str(secret),
    ]
    intruder = REFERENCE_DAG.replace(
        "log = logging.getLogger(__name__)\n",
        "log = logging.getLogger(__name__)\n" + INTRUDER.format(targets=targets),
        1,
    )
    assert intruder != REFERENCE_DAG
    build_submission(REFERENCE, students / "intruder")
    (students / "intruder" / "dags" / "taxi_pipeline.py").write_text(intruder)

    graded = _as_user(home, venv, "grade", str(students), "--out", str(out), "--jobs", "2")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "not run as root" in " ".join(graded.stderr.split())  # told once, to the teacher

    points = {check_id: item.points for check_id, item in all_checks().items()}
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert rows["ref"]["total"] == "100"
    lost = sorted(c for c in points if float(rows["intruder"][c]) < points[c])
    # Only the top-level file access itself costs points: it read and deleted nothing.
    assert lost == ["integrity_light_import"], rows["intruder"]
    assert secret.read_text() == "the teacher's private notes\n"
    assert list(cache.glob("answer-key-*.json"))
    assert (students / "ref" / "dags" / "taxi_pipeline.py").read_text() == REFERENCE_DAG

    assert "sandbox: user-namespaces" in (out / "logs" / "ref.log").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert any("not run as root" in note for note in summary["grader_notes"])
    for page in (out / "feedback").iterdir():  # a note on the set-up is not the student's
        assert "not run as root" not in page.read_text(), page.name

    # The control: without the sandbox the same code reads the teacher's files.
    unsandboxed = _as_user(home, venv, "check", str(students / "intruder"), "--isolation", "none")
    assert unsandboxed.returncode == 1, unsandboxed.stdout + unsandboxed.stderr
    assert "LEAKED" in unsandboxed.stdout, unsandboxed.stdout
    assert secret.exists()  # it stops at the first find, before deleting
