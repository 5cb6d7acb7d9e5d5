"""
### ch04_dbt_bash: dbt the way the course's DAGs call it, through a BashOperator

The course runs dbt as a shell command. This DAG does the same with the workbook's dbt
project: `dbt run` in a BashOperator, with the settings dbt needs passed in its environment.
(The workbook's other DAGs call dbt inside the task's Python process instead, which saves
about four seconds of start-up per command; the result is the same.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag

DBT = Path(sys.executable).parent / "dbt"  # the dbt installed next to Airflow


# [START dag]
@dag(
    dag_id="ch04_dbt_bash",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch04"],
)
def ch04_dbt_bash():
    BashOperator(
        task_id="dbt_run",
        bash_command=f"{DBT} run --project-dir $PROJECT --profiles-dir $PROJECT",
        env={
            "PROJECT": os.environ.get("TAXI_DBT_PROJECT_DIR", "include/taxi_dbt"),
            "TAXI_SCHEMA": f"airflow_{os.environ.get('AIRFLOW_STUDENT', 'default')}",
        },
        append_env=True,  # keep the rest of the environment (TAXI_WAREHOUSE, PATH, ...)
    )


# [END dag]

ch04_dbt_bash()
