"""Chapter 10 §9: a backfill's run limit is its own, not the DAG's (Airflow 3.3's scheduler)."""

from __future__ import annotations

import sys

from airflow_env.settings import ensure_db
from workbook import metadata, processes
from workbook.paths import NOTEBOOKS


def _serialize(dag_file) -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    saved = list(sys.path)  # a bundle's DagBag adds the bundle to sys.path for good
    try:
        bag = BundleDagBag(str(dag_file), bundle_path=dag_file.parent, bundle_name="dags-folder")
        assert not bag.import_errors, bag.import_errors
        sync_bag_to_db(bag, "dags-folder", None)
    finally:
        sys.path[:] = saved


def test_a_backfill_runs_ten_at_once_unless_told_whatever_the_dags_limit() -> None:
    ensure_db()
    dag_file = NOTEBOOKS / "dags" / "ch10_which_month.py"
    _serialize(dag_file)
    stored = {}
    for flag in ("", "--max-active-runs 1"):
        done = processes.airflow_command(
            f"backfill create --dag-id ch10_which_month --from-date 2025-01-01 "
            f"--to-date 2025-03-31 {flag}"
        )
        assert done.exit_code == 0, done.output[-2000:]
        stored[flag] = metadata.take_backfills("ch10_which_month")
    assert stored == {"": [10], "--max-active-runs 1": [1]}
    assert metadata.take_backfills("ch10_which_month") == []  # deleted, runs and all
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        queued = session.query(DagRun).filter(
            DagRun.dag_id == "ch10_which_month", DagRun.backfill_id.isnot(None)
        )
        queued = queued.count()
    assert queued == 0
