"""Submissions written for the course's Astro project template (issue #13), built at test time.

`template_files/` holds what a student of that course hands in: `dags/taxi_pipeline.py` with
requests + pandas from the TLC's CDN URL, `PostgresHook(postgres_conn_id="azure_pg")`, dbt via
`uvx` with `{{ conn.azure_pg.* }}` variables, the student-prefixed DAG id, and a dbt project in
`include/dbt_project/` that needs `dbt deps` (so the course's project is built instead). The bad
ones are that file with one ordinary bug each, and the checks the bug must cost (the same sets
as the plain corpus's twins in bad_submissions.py). `make test` grades the good one, the append
bug and the missing package (public checks); the others need the hidden runs (~10 min each).

    .venv/bin/python -m tests.corpus.template_submissions OUT   # the whole template corpus
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from tests.corpus.bad_submissions import PICKUP_MONTH_FAILS, RUNS_BROKEN, BadSubmission
from tests.corpus.build import REFERENCE_FILES, SCREENSHOTS, png
from tests.corpus.patches import DAG, Substitute

TEMPLATE = "template_good"
FILES = Path(__file__).resolve().parent / "template_files"
DBT_DIR = "include/dbt_project"
INTEGRITY_TESTS = '''"""The template's DAG integrity test: the DAG folder imports without errors."""

from airflow.models import DagBag


def test_no_import_errors():
    assert DagBag(include_examples=False).import_errors == {}
'''


def dag(old: str, new: str) -> Substitute:
    return Substitute(DAG, old, new)


TEMPLATE_SUBMISSIONS: dict[str, BadSubmission] = {
    "template_append": BadSubmission(
        "inserts the month without deleting it first: a rerun duplicates every row",
        frozenset({"behaviour_rerun_idempotent"}),
        (
            dag(
                '            cur.execute(f"DELETE FROM {SCHEMA}.raw_trips WHERE source_month '
                '= %s", (month,))\n',
                "",
            ),
        ),
    ),
    "template_pickup_month": BadSubmission(
        "deletes by the pickup's month instead of the file's month",
        PICKUP_MONTH_FAILS,
        (
            dag(
                'WHERE source_month = %s", (month,))',
                "WHERE date_trunc('month', lpep_pickup_datetime) = %s\", (month,))",
            ),
        ),
    ),
    "template_no_retries": BadSubmission(
        "no retries in default_args: a transient 503 fails the run",
        frozenset({"integrity_retries", "behaviour_retries_transient"}),
        (
            dag(
                'default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},',
                "default_args={},",
            ),
        ),
    ),
    "template_wall_clock": BadSubmission(
        "takes the month from the wall clock: every run loads the current (unpublished) month",
        frozenset(RUNS_BROKEN | {"integrity_no_wall_clock", "behaviour_notify_on_failure"}),
        (
            dag(
                "    moment = dag_run.logical_date or dag_run.run_after\n",
                '    moment = pendulum.now("UTC")\n',
            ),
        ),
    ),
    "template_missing_package": BadSubmission(
        "imports polars, which the course's template does not list and the grader lacks",
        frozenset({"integrity_imports"}),
        (dag("import pendulum\n", "import pendulum\nimport polars  # noqa: F401\n"),),
    ),
}


def write_template(into: Path) -> Path:
    """The good template submission, in the new folder `into`."""
    into.mkdir(parents=True)
    for name in ("RUNBOOK.md", "ASSIGNMENT_REPORT.md", "AI_ASSIST.md"):
        shutil.copyfile(REFERENCE_FILES / name, into / name)
    shutil.copyfile(FILES / "requirements.txt", into / "requirements.txt")
    (into / "dags").mkdir()
    shutil.copyfile(FILES / "taxi_pipeline.py", into / DAG)
    (into / DBT_DIR).mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml", "packages.yml"):
        shutil.copyfile(FILES / name, into / DBT_DIR / name)
    (into / "tests").mkdir()
    (into / "tests" / "test_dag_integrity.py").write_text(INTEGRITY_TESTS)
    (into / "screenshots").mkdir()
    for name, colour in SCREENSHOTS.items():
        (into / "screenshots" / name).write_bytes(png(80, 40, colour))
    return into


def build_template_submission(name: str, into: Path) -> Path:
    if name != TEMPLATE and name not in TEMPLATE_SUBMISSIONS:
        known = ", ".join([TEMPLATE, *sorted(TEMPLATE_SUBMISSIONS)])
        raise KeyError(f"no template submission named {name!r}; known: {known}")
    write_template(into)
    for patch in TEMPLATE_SUBMISSIONS[name].patches if name != TEMPLATE else ():
        patch.apply(into)
    return into


def build_template_corpus(into: Path, names: Iterable[str] | None = None) -> Path:
    """Every template submission (or only `names`) as `into/<name>/`. Returns `into`."""
    into.mkdir(parents=True, exist_ok=True)
    for name in names or [TEMPLATE, *TEMPLATE_SUBMISSIONS]:
        build_template_submission(name, into / name)
    return into


if __name__ == "__main__":
    build_template_corpus(Path(sys.argv[1]), sys.argv[2:] or None)
