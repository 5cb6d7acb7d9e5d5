"""Checks Airflow does before it runs anything: the DAG imports, and it is wired as asked.

Keep these passing; do not edit them (your teacher grades with the original copy).
"""

from __future__ import annotations

from datetime import timedelta

TASKS_IN_ORDER = ["ingest_taxi_month", "dbt_run", "dbt_test", "notify"]


def test_dags_import_without_errors(dagbag) -> None:
    problems = "\n".join(f"{path}:\n{error}" for path, error in dagbag.import_errors.items())
    assert not dagbag.import_errors, f"Airflow cannot import these files:\n{problems}"
    assert "taxi_pipeline" in dagbag.dag_ids, (
        f"no DAG with dag_id 'taxi_pipeline' in dags/ (found {sorted(dagbag.dag_ids)})"
    )


def test_every_dag_has_tags(dagbag) -> None:
    untagged = [dag_id for dag_id, dag in dagbag.dags.items() if not dag.tags]
    assert not untagged, f"these DAGs have no tags: {untagged}"


def test_tasks_run_in_order(dagbag) -> None:
    dag = dagbag.dags["taxi_pipeline"]
    assert sorted(dag.task_ids) == sorted(TASKS_IN_ORDER), (
        f"taxi_pipeline has tasks {sorted(dag.task_ids)}; expected {TASKS_IN_ORDER}. "
        "Call each of the four task functions once inside the DAG function."
    )
    edges = {(task.task_id, down) for task in dag.tasks for down in task.downstream_task_ids}
    expected = set(zip(TASKS_IN_ORDER, TASKS_IN_ORDER[1:], strict=False))
    assert edges == expected, (
        f"taxi_pipeline's dependencies are {sorted(edges)}; expected the chain "
        + " >> ".join(TASKS_IN_ORDER)
    )


def test_runs_monthly_one_at_a_time_without_catchup(dagbag) -> None:
    dag = dagbag.dags["taxi_pipeline"]
    assert dag.schedule == "@monthly", f"schedule is {dag.schedule!r}; each run loads one month"
    assert dag.catchup is False, "set catchup=False: unpausing must not queue every old month"
    assert dag.max_active_runs == 1, "set max_active_runs=1: two dbt runs at once collide"


def test_tasks_retry_transient_failures(dagbag) -> None:
    dag = dagbag.dags["taxi_pipeline"]
    for task in dag.tasks:
        assert task.retries >= 2, f"{task.task_id} has retries={task.retries}; give it at least 2"
        assert task.retry_delay >= timedelta(minutes=1), (
            f"{task.task_id} retries after {task.retry_delay}; wait a few minutes between tries"
        )
