"""Chapter 8: what Airflow does with one DAG id in two files, and the class gate's rehearsal."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from workbook.deployment import parse_like_the_dag_processor, rehearse_deploy, shared_dry_run
from workbook.paths import REPO_ROOT

REFERENCE = REPO_ROOT / "dags" / "taxi_pipeline.py"
SALES = """
from airflow.sdk import dag, task


@dag(dag_id="sales_report", schedule=None, description="by {who}")
def sales_report():
    @task
    def total():
        return 1

    total()


sales_report()
"""


@pytest.fixture
def wb(tmp_path: Path) -> SimpleNamespace:
    # A workbook needs only its work folder here; Airflow's metadata DB is the test session's.
    return SimpleNamespace(work=tmp_path / "work")


def test_two_files_with_one_dag_id_the_last_parsed_wins_without_any_error(wb) -> None:
    import sys

    files = {who: SALES.format(who=who) for who in ("ada", "bo")}
    table = parse_like_the_dag_processor(wb, files, order=["ada", "bo", "ada", "bo"])
    # The scratch bundle is not left on sys.path (a sandbox would expose what is on it).
    assert not [entry for entry in sys.path if entry.startswith(str(wb.work))]
    owners = [row["the UI now shows"] for row in table]
    assert owners == ["ada/dag.py", "bo/dag.py", "ada/dag.py", "bo/dag.py"]
    assert {row["import errors"] for row in table} == {0}
    assert {row["dag_id"] for row in table} == {"sales_report"}


def test_the_reference_dag_passes_the_class_gate_under_its_folder_name(wb) -> None:
    dry = shared_dry_run(wb, REFERENCE, "ada_lovelace")
    assert dry.ok, [c for c in dry.checks if not c.passed]
    gate = next(c for c in dry.checks if c.name == "passes the class gate")
    assert gate.detail == "deployed as ada_lovelace_taxi_pipeline"
    assert dry.folder == wb.work / "class" / "clone" / "dags" / "ada_lovelace"
    assert "tagged with your name" in [c.name for c in dry.checks]
    assert "ready to push" in dry._repr_html_()


def test_a_classmate_taking_your_id_is_held_back_and_you_are_deployed(wb) -> None:
    taken = REFERENCE.read_text().replace('dag_id_for("taxi_pipeline")', '"ada_taxi_pipeline"')
    assert taken != REFERENCE.read_text()
    report = rehearse_deploy(wb, REFERENCE, "ada", {"bo": taken})
    verdicts = {v.student: v for v in report.verdicts}
    assert verdicts["ada"].passed and verdicts["ada"].dag_ids == ["ada_taxi_pipeline"]
    assert not verdicts["bo"].passed
    assert "belongs to ada" in verdicts["bo"].problems[0].message
    # The classmate's dry run shows the same reason, as a failed line.
    dry = shared_dry_run(wb, REFERENCE, "bo", {"ada": REFERENCE.read_text()})
    assert dry.ok  # bo's own unchanged reference is bo_taxi_pipeline: no clash


def test_a_broken_file_is_held_back_with_the_import_error(wb, tmp_path: Path) -> None:
    broken = tmp_path / "taxi_pipeline.py"
    broken.write_text("from airflow.sdk import dag, taks\n")
    dry = shared_dry_run(wb, broken, "ada")
    failed = {c.name: c.detail for c in dry.checks if not c.passed}
    assert failed.pop("passes the class gate") == "held back"
    assert list(failed) == ["gate: imports"] and "taks" in failed["gate: imports"]
    assert "fix the ❌ lines first" in dry._repr_html_()
