"""
### ch04_trigger_rules: who runs when something upstream fails?

A small chain, `extract >> transform >> load`, with two watchers that depend on all three:

* `report` uses `trigger_rule="all_done"`: it runs once the others are finished, however they
  finished (a run summary, a clean-up);
* `alert` uses `trigger_rule="one_failed"`: it runs only if something failed (a page to the
  on-call person).

Trigger a run with `{"fail_at": "transform"}` in its config to make that task fail.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


def _step(name: str, params: dict) -> str:
    if params.get("fail_at") == name:
        raise RuntimeError(f"{name} failed (asked for in the run config)")
    return f"{name} done"


# [START dag]
@dag(
    dag_id="ch04_trigger_rules",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"fail_at": None},
    tags=["week11", "ch04"],
)
def ch04_trigger_rules():
    @task
    def extract(params=None) -> str:
        return _step("extract", params)

    @task
    def transform(params=None) -> str:
        return _step("transform", params)

    @task
    def load(params=None) -> str:
        return _step("load", params)

    @task(trigger_rule="all_done")
    def report() -> str:
        return "summary written"

    @task(trigger_rule="one_failed")
    def alert() -> str:
        return "on-call paged"

    steps = [extract(), transform(), load()]
    steps[0] >> steps[1] >> steps[2]
    steps >> report()
    steps >> alert()


# [END dag]

ch04_trigger_rules()
