"""The sandbox from the inside: no network but the source, no secrets, no writes outside its
own folder, its own PID namespace and user id. A submission that reports what it sees through
an import error keeps this quick."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder import grade_submission
from autograder.sandbox.isolation import UID_COUNT, UID_FIRST
from tests.autograder.helpers import FAST, REFERENCE_DAG
from tests.corpus import REFERENCE, build_submission

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[3]

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
    "scratch_listing": sorted(os.listdir(SCRATCH)),
    "repo_listing": sorted(os.listdir(REPO)),
    "parent_secret_env": os.environ.get("AUTOGRADER_TEST_SECRET"),
    "student": os.environ.get("AIRFLOW_STUDENT"),
    "processes": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "pid1": open("/proc/1/cmdline").read().replace("\\0", " ")[:200],
}
raise RuntimeError("PROBE" + _json.dumps(_FACTS) + "END")
"""


def probe_submission(tmp_path: Path, secret: Path, scratch: Path) -> Path:
    root = tmp_path / "class" / "prober"
    build_submission(REFERENCE, root)
    header = f"SECRET = {str(secret)!r}\nREPO = {str(REPO)!r}\nSCRATCH = {str(scratch)!r}\n"
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
    scratch = options.resolved_scratch_dir()
    facts = probe_facts(grade_submission(probe_submission(tmp_path, secret, scratch), options))
    assert facts["internet"].startswith("blocked")
    assert facts["source_health"] == "ok: 200"  # the source serves inside the namespace
    assert facts["fault_schedule"] == "blocked: HTTPError"  # its controls need the token
    assert facts["secret_file"].startswith("blocked")
    assert facts["repo_write"].startswith("blocked")
    assert not (REPO / "autograder-sandbox-probe.txt").exists()
    assert facts["parent_secret_env"] is None
    assert facts["student"] == "grader"
    assert facts["root_listing"] in ([], [".pyenv"])
    # Where sandboxes are made (/dev/shm or /tmp), only this sandbox's own folder; /tmp shows
    # nothing else either, except the way to the repository when it lives under /tmp (CI may
    # clone there): the harness needs the repo's packages and venv.
    repo_top = REPO.relative_to("/tmp").parts[0] if REPO.is_relative_to("/tmp") else None
    assert len([entry for entry in facts["scratch_listing"] if entry != repo_top]) == 1
    if scratch != Path("/tmp"):
        assert [entry for entry in facts["tmp_listing"] if entry != repo_top] == []
    # of the repository only the packages the harness imports (no tests, fixtures, dags)
    assert set(facts["repo_listing"]) <= {"autograder", "taxi_source", ".venv"}
    assert "autograder.inside.supervisor" in facts["pid1"]  # its own PID namespace
    assert facts["processes"] < 10
    if os.geteuid() == 0:
        assert UID_FIRST <= facts["uid"] < UID_FIRST + UID_COUNT
