"""
### ch05_dates_in_tasks: three ways a task learns which month it is for

* `templated` — a BashOperator whose command uses Jinja templates such as `{{ ds }}`;
* `slice_ds` — a TaskFlow task that takes `ds` and slices it: fine on scheduled runs, but a
  manual run in Airflow 3 may have no logical date, and then `ds` is None;
* `month_from_context` — reads the run from the context and falls back to `run_after`.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, get_current_context, task


@dag(
    dag_id="ch05_dates_in_tasks",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch05"],
)
def ch05_dates_in_tasks():
    # [START templated]
    BashOperator(
        task_id="templated",
        bash_command=(
            "echo 'ds={{ ds }} ds_nodash={{ ds_nodash }} "
            "logical_date={{ logical_date }} "
            "data_interval={{ data_interval_start }}..{{ data_interval_end }}'"
        ),
    )
    # [END templated]

    # [START slice_ds]
    @task
    def slice_ds(ds=None) -> str:
        return ds[:7]  # 'YYYY-MM' ... unless ds is None

    # [END slice_ds]

    # [START month_from_context]
    @task
    def month_from_context() -> str:
        dag_run = get_current_context()["dag_run"]
        moment = dag_run.logical_date or dag_run.run_after  # Airflow 3: may be None
        return f"{moment:%Y-%m}"

    # [END month_from_context]

    slice_ds()
    month_from_context()


ch05_dates_in_tasks()
