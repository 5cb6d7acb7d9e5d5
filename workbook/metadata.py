"""What Airflow's metadata database remembers about runs: XComs, rendered templates, the runs of
a DAG, asset events. Read straight from the database the notebook's DAG runs wrote to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbook.display import Table

if TYPE_CHECKING:
    from workbook.runner import RunReport


def xcom(report: RunReport, task_id: str, key: str = "return_value") -> Any:
    """The value a task pushed to XCom in that run (its return value by default)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter(
                XComModel.dag_id == report.dag_id,
                XComModel.run_id == report.run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
            )
            .one_or_none()
        )
        return None if row is None else row.value


def xcom_bytes(report: RunReport) -> dict[str, int]:
    """How many bytes each task's XComs take in the metadata database for that run."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import func

    with create_session() as session:
        rows = (
            session.query(XComModel.task_id, func.sum(func.length(XComModel.value)))
            .filter(XComModel.dag_id == report.dag_id, XComModel.run_id == report.run_id)
            .group_by(XComModel.task_id)
            .all()
        )
    return {task_id: int(size or 0) for task_id, size in rows}


def rendered_fields(report: RunReport, task_id: str) -> dict[str, Any]:
    """The task's templated fields as Airflow rendered them for that run."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as Rendered
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(Rendered)
            .filter(
                Rendered.dag_id == report.dag_id,
                Rendered.run_id == report.run_id,
                Rendered.task_id == task_id,
            )
            .one_or_none()
        )
        return {} if row is None else dict(row.rendered_fields)


def run_history(dag_id: str) -> Table:
    """Every run of the DAG the metadata database remembers, newest first."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = (
            session.query(DagRun)
            .filter(DagRun.dag_id == dag_id)
            .order_by(DagRun.run_after.desc())
            .all()
        )
        return Table(
            [
                {
                    "run_id": run.run_id,
                    "logical date": run.logical_date,
                    "run after": run.run_after,
                    "state": str(run.state),
                }
                for run in runs
            ],
            title=f"runs of {dag_id}",
        )


def asset_events() -> Table:
    """The asset events Airflow has recorded: which run updated which asset, and when."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(AssetEvent, AssetModel.uri)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .order_by(AssetEvent.timestamp)
            .all()
        )
        return Table(
            [
                {
                    "asset": uri,
                    "updated by": f"{event.source_dag_id}.{event.source_task_id}",
                    "at": event.timestamp,
                }
                for event, uri in rows
            ],
            title="asset events",
        )


def take_backfills(dag_id: str) -> list[int]:
    """The `max_active_runs` each backfill of `dag_id` stored, oldest first. The backfills and
    the runs they queued are deleted, so no scheduler (`make ui`) ever runs them."""
    from airflow.models import DagRun
    from airflow.models.backfill import Backfill, BackfillDagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        backfills = session.query(Backfill).filter(Backfill.dag_id == dag_id).order_by(Backfill.id)
        limits = [backfill.max_active_runs for backfill in backfills]
        ids = [backfill.id for backfill in backfills]
        session.query(BackfillDagRun).filter(BackfillDagRun.backfill_id.in_(ids)).delete()
        session.query(DagRun).filter(DagRun.backfill_id.in_(ids)).delete()
        session.query(Backfill).filter(Backfill.id.in_(ids)).delete()
    return limits
