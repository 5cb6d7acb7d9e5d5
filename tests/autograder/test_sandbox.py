"""The sandbox from the inside and under attack: no network, no secrets, no way out, no
leftovers; interrupted grading resumes. Small submissions that stop early keep this quick."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder import GradingOptions, grade_class, grade_submission
from autograder.sandbox import UID_COUNT, UID_FIRST
from tests.autograder.helpers import REFERENCE_DAG
from tests.corpus import REFERENCE, build_submission

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
FAST = GradingOptions(import_timeout=15, run_timeout=20, max_restarts=0)

# Top-level code that looks around and reports what it saw through an import error.
PROBE = """
import json as _json
import socket as _socket
import urllib.request as _request


def _try(action):
    try:
        return f"ok: {action()!r}"[:120]
    except Exception as err:
        return f"blocked: {type(err).__name__}"


def _connect(host, port):
    with _socket.create_connection((host, port), timeout=2):
        return "connected"


def _control():
    with _request.urlopen("http://127.0.0.1:8765/_control/faults", timeout=2) as answer:
        return answer.read()


def _health():
    with _request.urlopen("http://127.0.0.1:8765/health", timeout=2) as answer:
        return answer.status


def _write(path):
    with open(path, "w") as handle:
        handle.write("x")


_FACTS = {
    "uid": os.getuid(),
    "internet": _try(lambda: _connect("1.1.1.1", 53)),
    "source_health": _try(_health),
    "fault_schedule": _try(_control),
    "secret_file": _try(lambda: open(SECRET).read()),
    "repo_write": _try(lambda: _write(REPO + "/autograder-sandbox-probe.txt")),
    "root_listing": sorted(os.listdir("/root")) if os.path.isdir("/root") else None,
    "tmp_listing": sorted(os.listdir("/tmp")),
    "repo_listing": sorted(os.listdir(REPO)),
    "parent_secret_env": os.environ.get("AUTOGRADER_TEST_SECRET"),
    "student": os.environ.get("AIRFLOW_STUDENT"),
    "processes": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "pid1": open("/proc/1/cmdline").read().replace("\\0", " ")[:200],
}
raise RuntimeError("PROBE" + _json.dumps(_FACTS) + "END")
"""


def probe_submission(tmp_path: Path, secret: Path) -> Path:
    root = tmp_path / "class" / "prober"
    build_submission(REFERENCE, root)
    header = f"SECRET = {str(secret)!r}\nREPO = {str(REPO)!r}\n"
    source = REFERENCE_DAG.replace(
        "log = logging.getLogger(__name__)\n",
        "log = logging.getLogger(__name__)\n" + header + PROBE,
    )
    (root / "dags" / "taxi_pipeline.py").write_text(source)
    return root


def probe_facts(result) -> dict:
    text = result.check("integrity_imports").output
    start = text.rindex("PROBE{") + len("PROBE")
    return json.loads(text[start : text.index("}END", start) + 1])


def test_inside_the_sandbox(tmp_path, monkeypatch) -> None:
    secret = tmp_path / "answer-key.json"
    secret.write_text("the expected checksums")
    secret.chmod(0o644)
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", "s3cret")
    options = FAST.model_copy(update={"isolation": "namespaces"})
    facts = probe_facts(grade_submission(probe_submission(tmp_path, secret), options))
    assert facts["internet"].startswith("blocked")
    assert facts["source_health"] == "ok: 200"  # the source serves inside the namespace
    assert facts["fault_schedule"] == "blocked: HTTPError"  # its controls need the token
    assert facts["secret_file"].startswith("blocked")
    assert facts["repo_write"].startswith("blocked")
    assert not (REPO / "autograder-sandbox-probe.txt").exists()
    assert facts["parent_secret_env"] is None
    assert facts["student"] == "grader"
    assert facts["root_listing"] in ([], [".pyenv"])
    # Only the sandbox's own folder, plus the way to the repository when it lives under /tmp
    # (CI may clone there): the harness needs the repo's packages and venv.
    repo_top = REPO.relative_to("/tmp").parts[0] if REPO.is_relative_to("/tmp") else None
    assert len([entry for entry in facts["tmp_listing"] if entry != repo_top]) == 1
    # of the repository only the packages the harness imports (no tests, fixtures, dags)
    assert set(facts["repo_listing"]) <= {"autograder", "workbook", ".venv"}
    assert "sandbox_entry" in facts["pid1"]  # its own PID namespace
    assert facts["processes"] < 10
    if os.geteuid() == 0:
        assert UID_FIRST <= facts["uid"] < UID_FIRST + UID_COUNT


def _sandbox_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if UID_FIRST <= uid < UID_FIRST + UID_COUNT and "sleep 987" in cmdline:
            found.append(cmdline)
    return found


def test_a_hanging_run_is_killed_with_everything_it_started(tmp_path) -> None:
    root = tmp_path / "class" / "hangs_in_a_task"
    build_submission(REFERENCE, root)
    source = REFERENCE_DAG.replace(
        "        month = _run_month()\n        schema",
        "        import subprocess\n        import time\n\n"
        '        subprocess.Popen(["sleep", "987"], start_new_session=True)\n'
        "        time.sleep(3600)\n"
        "        month = _run_month()\n        schema",
    )
    (root / "dags" / "taxi_pipeline.py").write_text(source)
    result = grade_submission(root, FAST.model_copy(update={"public_only": True}))
    one_month = result.check("behaviour_one_month")
    assert one_month.score == 0 and "did not finish in time" in one_month.message
    assert result.check("integrity_imports").passed
    assert _sandbox_processes() == []


def test_an_interrupted_class_resumes_without_regrading(tmp_path) -> None:
    students = tmp_path / "class"
    for name, source in (("ada", "cycle"), ("bob", "import_error"), ("cy", "sys_exit")):
        build_submission(source, students / name)
    out = tmp_path / "out"
    finished: list[str] = []

    def stop_after_first(student, result, reused) -> None:
        if result is not None:
            finished.append(student)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_class(students, out, jobs=1, options=FAST, on_progress=stop_after_first)
    saved = sorted(p.name for p in (out / "results").iterdir())
    assert saved == [f"{finished[0]}.json"]  # whole files only: no temp files left behind
    (out / "results" / "bob.json").write_text("{not json")  # a torn file from elsewhere
    again = grade_class(students, out, jobs=2, options=FAST)
    assert again.reused == (finished[0],) if finished[0] != "bob" else again.reused == ()
    assert sorted(r.student for r in again.results) == ["ada", "bob", "cy"]
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("student,total,max,tier,integrity_imports")
