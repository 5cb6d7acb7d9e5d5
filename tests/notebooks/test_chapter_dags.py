"""The chapter DAGs in `notebooks/dags/` all load cleanly, each from a file named after it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

FOLDER = REPO / "notebooks" / "dags"


@pytest.fixture(scope="module")
def bag():
    from airflow.models import DagBag

    # Airflow puts a bundle's folder on sys.path, so DAG files can import helper modules
    # next to them (ch01_nightly_dag imports ch01_nightly_steps); do the same here.
    sys.path.insert(0, str(FOLDER))
    try:
        yield DagBag(dag_folder=str(FOLDER))
    finally:
        sys.path.remove(str(FOLDER))


def test_every_chapter_dag_imports_without_errors_or_warnings(bag) -> None:
    assert bag.import_errors == {}, bag.import_errors
    assert not bag.captured_warnings, bag.captured_warnings


def test_every_dag_lives_in_a_file_named_after_it(bag) -> None:
    # The workbook finds a DAG's file by its id (wb.run("ch05_taxi_pipeline", ...)).
    for dag_id, dag in bag.dags.items():
        assert Path(dag.fileloc).stem == dag_id, f"{dag_id} is defined in {dag.fileloc}"
        assert dag_id.startswith("ch"), f"{dag_id}: chapter DAGs are named chNN_..."


def test_every_dag_is_tagged_time_zone_aware_and_without_catchup(bag) -> None:
    for dag_id, dag in bag.dags.items():
        assert "week11" in dag.tags, dag_id
        assert dag.start_date.tzinfo is not None, dag_id
        assert dag.catchup is False, dag_id


def test_no_chapter_dag_clashes_with_the_reference_folder(bag) -> None:
    assert not {"taxi_pipeline", "hello_pipeline"} & set(bag.dag_ids)


def test_no_module_is_named_like_a_dbt_plugin() -> None:
    # dbt imports every top-level dbt_* module on sys.path, and bundles are on sys.path.
    assert not list(FOLDER.glob("dbt_*.py"))
