"""Print the start_date (in UTC) of the DAG in each file given, as Airflow parses it here.

Chapter 10 runs this twice, with two different `[core] default_timezone` settings, to show
what a naive start_date means on someone else's Airflow.
"""

from __future__ import annotations

import json
import sys

from airflow_env.settings import configure

configure()

from airflow.models import DagBag  # noqa: E402 - Airflow must be configured first

found = {}
for path in sys.argv[1:]:
    bag = DagBag(dag_folder=path)
    for dag_id, dag in bag.dags.items():
        found[dag_id] = dag.start_date.in_timezone("UTC").isoformat()
print("START_DATES", json.dumps(found))
