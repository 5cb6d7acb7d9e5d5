"""The DAG snapshots (`make lab` writes them into the git-ignored `assets/dag_snapshots/`): the
course's DAG as it stands after each chapter. Each snapshot loads, the last one is the reference,
and each chapter adds what the chapter teaches. Built here into a temporary folder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
import pytest

from tests.conftest import REPO
from tests.notebooks.test_build import build_module

FILES = sorted(build_module().SNAPSHOT_SOURCES)
CHAIN = {("ingest_taxi_month", "dbt_run"), ("dbt_run", "dbt_test"), ("dbt_test", "notify")}


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dag_snapshots")
    build_module().write_snapshots(folder)
    return folder


def load(snapshots: Path, name: str):
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(snapshots / name))
    assert bag.import_errors == {}, bag.import_errors
    assert len(bag.dags) == 1, f"{name} should define exactly one DAG, found {bag.dag_ids}"
    return next(iter(bag.dags.values()))


def edges(dag) -> set[tuple[str, str]]:
    return {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}


def test_the_expected_snapshots_exist(snapshots: Path) -> None:
    assert (
        sorted(p.name for p in snapshots.glob("*.py"))
        == FILES
        == [
            "hello_pipeline.py",
            "hello_pipeline_ch03.py",
            "taxi_pipeline.py",
            "taxi_pipeline_ch04.py",
            "taxi_pipeline_ch05.py",
            "taxi_pipeline_ch07.py",
        ]
    )


@pytest.mark.parametrize("name", FILES, ids=lambda n: n.removesuffix(".py"))
def test_snapshot_imports_and_follows_the_course_conventions(snapshots: Path, name: str) -> None:
    dag = load(snapshots, name)
    assert dag.dag_id == name.split("_ch")[0].removesuffix(".py")
    assert dag.tags and "week11" in dag.tags
    assert dag.start_date.tzinfo is not None
    assert dag.catchup is False


@pytest.mark.parametrize("name", ["taxi_pipeline.py", "hello_pipeline.py"])
def test_final_snapshots_are_the_reference_files(snapshots: Path, name: str) -> None:
    assert (snapshots / name).read_text() == (REPO / "dags" / name).read_text()


def test_final_snapshot_has_the_reference_structure(snapshots: Path) -> None:
    from airflow.models import DagBag

    reference = DagBag(dag_folder=str(REPO / "dags" / "taxi_pipeline.py")).dags["taxi_pipeline"]
    final = load(snapshots, "taxi_pipeline.py")
    assert edges(final) == edges(reference) == CHAIN
    for attribute in ("schedule", "start_date", "catchup", "max_active_runs", "tags"):
        assert getattr(final, attribute) == getattr(reference, attribute), attribute
    assert final.params.dump() == reference.params.dump()


def test_chapter_3_only_changes_the_schedule(snapshots: Path) -> None:
    before, after = load(snapshots, "hello_pipeline.py"), load(snapshots, "hello_pipeline_ch03.py")
    assert (before.schedule, after.schedule) == ("@daily", "0 6 * * 1-5")
    assert edges(before) == edges(after)
    assert before.start_date == after.start_date == pendulum.datetime(2025, 1, 1, tz="UTC")


def test_chapter_4_builds_the_chain_with_a_notification_and_a_fixed_month(snapshots: Path) -> None:
    dag = load(snapshots, "taxi_pipeline_ch04.py")
    assert edges(dag) == CHAIN
    assert dag.get_task("notify").trigger_rule == "all_done"
    assert "MONTH = date(2024, 1, 1)" in (snapshots / "taxi_pipeline_ch04.py").read_text()


def test_chapter_5_takes_the_month_from_the_run_and_runs_one_at_a_time(snapshots: Path) -> None:
    dag = load(snapshots, "taxi_pipeline_ch05.py")
    assert edges(dag) == CHAIN
    assert dag.schedule == "@monthly"
    assert dag.max_active_runs == 1
    assert "month" in dag.params
    assert all(task.retries == 2 for task in dag.tasks)
    text = (snapshots / "taxi_pipeline_ch05.py").read_text()
    assert "def parquet_url_for(" in text and "MONTH =" not in text


def test_chapter_7_retries_five_minutes_apart_and_fails_fast_on_missing_months(
    snapshots: Path,
) -> None:
    dag = load(snapshots, "taxi_pipeline_ch07.py")
    assert all(t.retry_delay == timedelta(minutes=5) for t in dag.tasks)
    text = (snapshots / "taxi_pipeline_ch07.py").read_text()
    assert "if err.code in (403, 404):" in text and "AirflowFailException" in text


def test_snapshots_tell_where_they_come_from(snapshots: Path) -> None:
    for name in FILES:
        if name in ("taxi_pipeline.py", "hello_pipeline.py"):
            continue
        head = (snapshots / name).read_text().splitlines()[0]
        assert head.startswith("# Snapshot:"), f"{name} should say what it is"
