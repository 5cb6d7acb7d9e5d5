"""
### ch08_connections: one PostgreSQL connection, used through a hook and through a template

A **connection** (`taxi_warehouse`) holds where a system is and how to log in. The DAG names
only its id; the host, the port, the login and the password live in Airflow: in the UI
(*Admin → Connections*), through `airflow connections add`, or in an environment variable
`AIRFLOW_CONN_TAXI_WAREHOUSE=postgresql://user:password@host:5432/taxi`.

* `who_am_i` uses it through a **hook**: `PostgresHook(postgres_conn_id=...)` opens the database
  connection for you; no password in the code.
* `where_is_it` reads it in a **template**: `{{ conn.taxi_warehouse.host }}` is rendered when the
  task runs (the Rendered tab shows it); never template the password into a command line.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, task

CONN_ID = "taxi_warehouse"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch08"],
    doc_md=__doc__,
)
def ch08_connections():
    # [START hook]
    @task
    def who_am_i() -> str:
        """Ask the warehouse who we are, through the connection's hook."""
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        hook = PostgresHook(postgres_conn_id=CONN_ID)
        database, user = hook.get_first("SELECT current_database(), current_user")
        return f"database {database} as {user}"

    # [END hook]

    # [START template]
    where_is_it = BashOperator(
        task_id="where_is_it",
        bash_command=(
            "echo warehouse {{ conn.taxi_warehouse.schema }} on "
            "{{ conn.taxi_warehouse.host }}:{{ conn.taxi_warehouse.port }}"
        ),
    )
    # [END template]

    who_am_i() >> where_is_it


ch08_connections()
