"""The chapter 8 dry run: a DAG parsed in a stand-in of the shared scheduler's folder."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from workbook.deployment import shared_dry_run
from workbook.paths import REPO_ROOT

REFERENCE = REPO_ROOT / "dags" / "taxi_pipeline.py"


def test_the_reference_dag_is_ready_for_the_shared_scheduler(tmp_path: Path) -> None:
    dry = shared_dry_run(SimpleNamespace(work=tmp_path), REFERENCE, "ada_lovelace")
    assert dry.ok, [c for c in dry.checks if not c.passed]
    assert dry.folder == tmp_path / "shared" / "dags" / "ada_lovelace"
    names = [c.name for c in dry.checks]
    assert "tagged with your name" in names and "dag_id unique on the shared scheduler" in names
    assert "ready to open a pull request" in dry._repr_html_()


def test_a_classmate_with_the_same_dag_id_is_a_clash(tmp_path: Path) -> None:
    classmate = REFERENCE.read_text()
    dry = shared_dry_run(SimpleNamespace(work=tmp_path), REFERENCE, "ada", {"grace": classmate})
    failed = {c.name: c.detail for c in dry.checks if not c.passed}
    # The scheduler keeps one of the two files, whichever it parses first.
    assert "same dag_id as another file" in failed.pop("dag_id unique on the shared scheduler")
    assert set(failed) <= {"the file imports", "it defines a DAG"}, failed
    assert "fix the ❌ lines first" in dry._repr_html_()


def test_a_broken_file_fails_the_first_checks(tmp_path: Path) -> None:
    broken = tmp_path / "taxi_pipeline.py"
    broken.write_text("from airflow.sdk import dag, taks\n")
    dry = shared_dry_run(SimpleNamespace(work=tmp_path / "work"), broken, "ada")
    failed = [c.name for c in dry.checks if not c.passed]
    assert failed == ["the file imports", "it defines a DAG"]
