"""
### ch01_nightly_dag: the nightly taxi load, orchestrated

The same five functions the cron script calls (`ch01_nightly_steps.py`), each one a task:

    download_file >> load_raw_trips >> dbt_run >> dbt_test >> notify_team

Airflow runs a task only when the one before it succeeded, retries the download when the
source hiccups, and runs `notify_team` whatever happened, so somebody always hears about it
(after a failure it sends the message, then fails itself so the run shows up red).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowFailException
from ch01_nightly_steps import dbt, download, load_raw, notify

MONTH = "2024-03"  # one fixed month in chapter 1; chapter 5 takes it from the schedule


# [START dag]
@dag(
    dag_id="ch01_nightly_dag",
    schedule="0 6 * * *",  # every morning at 06:00 UTC, like the cron entry
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch01"],
)
def ch01_nightly_dag():
    @task(retries=2, retry_delay=timedelta(minutes=1))
    def download_file() -> str:
        return str(download(MONTH))

    @task
    def load_raw_trips(path: str) -> int:
        return load_raw(MONTH, Path(path))

    @task
    def dbt_run() -> None:
        dbt("run")

    @task
    def dbt_test() -> None:
        dbt("test")

    @task(trigger_rule="all_done")  # run even when something upstream failed
    def notify_team(dag_run=None, ti=None) -> str:
        states = ti.get_task_states(dag_id=dag_run.dag_id, run_ids=[dag_run.run_id])
        failed = [
            t for t, s in states[dag_run.run_id].items() if t != ti.task_id and s != "success"
        ]
        if failed:
            notify(MONTH, "failed", f"failed: {', '.join(failed)}")
            raise AirflowFailException("the run failed; the team has been told")  # run goes red
        notify(MONTH, "success", "all steps succeeded")
        return "success"

    loaded = load_raw_trips(download_file())
    loaded >> dbt_run() >> dbt_test() >> notify_team()


# [END dag]

ch01_nightly_dag()
