"""The end-of-suite check finds a service the suite started and forgot, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys

from tests import process_ledger

FORGOTTEN = "import time; time.sleep(120)  # airflow scheduler stand-in"


def _start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", FORGOTTEN], env=env, start_new_session=True)


def test_a_recorded_service_left_running_is_found() -> None:
    proc = _start({k: v for k, v in os.environ.items() if k != process_ledger.MARK})
    try:
        process_ledger.record_started(proc.pid)
        assert proc.pid in {p.pid for p in process_ledger.leftovers()}
    finally:
        proc.kill()
        proc.wait()
    assert proc.pid not in {p.pid for p in process_ledger.leftovers()}


def test_a_marked_process_is_found_without_being_recorded() -> None:
    proc = _start(dict(os.environ))
    try:
        assert proc.pid in {p.pid for p in process_ledger.leftovers()}
    finally:
        proc.kill()
        proc.wait()


def test_a_process_the_suite_did_not_start_is_left_alone() -> None:
    proc = _start({k: v for k, v in os.environ.items() if k != process_ledger.MARK})
    try:
        assert proc.pid not in {p.pid for p in process_ledger.leftovers()}
    finally:
        proc.kill()
        proc.wait()
