"""
### ch02_operators: two operators, one hand-over

`say_date` is a classic operator (BashOperator) whose command is a template: Airflow fills in
`{{ ds }}` for each run. The last line it prints becomes its XCom. `count_words` is a TaskFlow
task (`@task`, a PythonOperator underneath) that receives that line as an ordinary argument.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, task


# [START dag]
@dag(
    dag_id="ch02_operators",
    schedule=None,  # only runs when somebody triggers it
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["week11", "ch02"],
)
def ch02_operators():
    say_date = BashOperator(
        task_id="say_date",
        bash_command="echo 'taxi trips for {{ ds }} are on their way'",
    )

    @task
    def count_words(line: str) -> int:
        words = len(line.split())
        print(f"{line!r} has {words} words")
        return words

    count_words(say_date.output)


# [END dag]

ch02_operators()
