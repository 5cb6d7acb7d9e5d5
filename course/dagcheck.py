"""`python -m course.dagcheck DAGS_FOLDER`: parse a dags folder the way Airflow does, print JSON.

Run in a subprocess with a throw-away Airflow home, so the teacher's process never imports
Airflow with someone else's configuration. Used on the released stub only (teacher-written code):
student code is run by the autograder's sandbox, never here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from course.errors import CourseError


def parse_dags(folder: Path, timeout: float = 120.0) -> dict:
    """{'dag_ids': [...], 'import_errors': {file: text}, 'tasks': {dag_id: [...]}} for `folder`."""
    with tempfile.TemporaryDirectory(prefix="course-dagcheck-") as home:
        env = {
            **os.environ,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        }
        done = subprocess.run(
            [sys.executable, "-m", "course.dagcheck", str(folder)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if done.returncode != 0:
        raise CourseError(f"parsing {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _main(folder: str) -> None:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=folder)
    print(
        json.dumps(
            {
                "dag_ids": sorted(bag.dag_ids),
                "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
                "tasks": {d: sorted(dag.task_ids) for d, dag in bag.dags.items()},
            }
        )
    )


if __name__ == "__main__":
    _main(sys.argv[1])
