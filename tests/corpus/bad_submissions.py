"""The known-bad submissions: each is the reference submission with one thing broken, written as
named patches of it, with the exact set of checks it must fail (no more, no fewer). A few are
slips the grader must forgive: their set is empty, and they must get full marks.

Names say the situation (`fork_bomb`, `append_not_idempotent`). When the reference DAG changes and
a patch no longer applies, building the corpus fails with the patch's file and text: fix the
patch here, never a built folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.checks.needs import DAG as LOADED_DAG
from autograder.checks.needs import DAG_IMPORT, steps
from autograder.checks.registry import dependents_of
from autograder.scenarios import FAILED_INGEST_STEPS, STEP_IDS
from tests.corpus.patches import DAG, Overwrite, Patch, Remove, Substitute

# The expected failures shared between submissions are registry queries, so a check added or
# changed in the autograder moves the corpus's expectations with it.
# Checks that read a run meant to succeed: every run-time failure of the pipeline trips them. (The
# steps whose ingest must fail, a broken source or an unpublished month, are not among them: a
# pipeline broken at run time still "passes" what they check.)
RUNS_BROKEN = dependents_of(*steps(s for s in STEP_IDS if s not in FAILED_INGEST_STEPS))
# Checks that need a loaded DAG: all of them fail when the DAG does not load (a cycle).
NEEDS_DAG = dependents_of(LOADED_DAG)
# ... and when the file does not even import.
DOES_NOT_LOAD = dependents_of(DAG_IMPORT)


@dataclass(frozen=True)
class BadSubmission:
    """One thing broken: why it is wrong, the checks it must fail, the patches that break it."""

    why: str
    fails: frozenset[str]
    patches: tuple[Patch, ...]


# What partitioning by the pickup's month breaks (the plain and the template corpus share it).
PICKUP_MONTH_FAILS = frozenset(
    {
        "behaviour_rerun_idempotent",
        "behaviour_backfill",
        "behaviour_backfill_any_order",
        "behaviour_neighbouring_month_rows",
    }
)


def dag(old: str, new: str) -> Substitute:
    """Replace `old`, which must occur exactly once, in the submission's DAG."""
    return Substitute(DAG, old, new)


# dbt as a command, in the course's chapter-4 style: BashOperator tasks instead of _dbt().
_DBT_COMMAND = (
    'dbt {0} --project-dir "$TAXI_DBT_PROJECT_DIR" --profiles-dir "$TAXI_DBT_PROJECT_DIR"'
)
DBT_THROUGH_BASH = (
    dag(
        "from airflow.sdk.exceptions import AirflowFailException\n",
        "from airflow.providers.standard.operators.bash import BashOperator\n"
        "from airflow.sdk.exceptions import AirflowFailException\n",
    ),
    dag(
        "    @task\n    def dbt_run() -> None:\n",
        f'    dbt_run = BashOperator(task_id="dbt_run", bash_command='
        f"'{_DBT_COMMAND.format('run')}')\n"
        f'    dbt_test = BashOperator(task_id="dbt_test", bash_command='
        f"'{_DBT_COMMAND.format('test')}')\n\n    def _unused_dbt_run() -> None:\n",
    ),
    dag("    @task\n    def dbt_test() -> None:\n", "    def _unused_dbt_test() -> None:\n"),
    dag(
        "ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()",
        "ingest_taxi_month() >> dbt_run >> dbt_test >> notify()",
    ),
)


SNOOP = """
# --- snooping at import time: look for the grader's secrets and other students' work ---
import glob as _glob  # noqa: E402
import urllib.request as _request  # noqa: E402

_FOUND = []
for _pattern in (
    "/root/.cache/week11-autograder/*",
    "/home/*/.cache/week11-autograder/*",
    "/tmp/*/results/*.json",
    "/tmp/pytest-of-*/*/*/results/*.json",
    "/work/*/dags/taxi_pipeline.py",
    "/tmp/pytest-of-*/*/corpus*/*/dags/taxi_pipeline.py",
    "/tmp/autograder-*/*/submission/dags/*.py",
    "/dev/shm/autograder-*/*/submission/dags/*.py",
):
    for _path in _glob.glob(_pattern):
        if _path.startswith(str(Path(__file__).resolve().parents[2])):
            continue
        try:
            with open(_path, "rb") as _handle:
                _FOUND.append((_path, len(_handle.read())))
        except OSError:
            pass
try:
    with _request.urlopen("http://127.0.0.1:8765/_control/faults", timeout=2) as _answer:
        _FOUND.append(("fault schedule", _answer.read()[:200]))
except OSError:
    pass
if _FOUND:
    raise RuntimeError(f"LEAKED: {_FOUND[:5]}")
"""

DELETER = """
# --- a clean-up gone wrong: delete everything that looks like grading output ---
import glob as _glob  # noqa: E402
import shutil as _shutil  # noqa: E402

_OWN = str(Path(__file__).resolve().parents[2])
for _pattern in ("/tmp/*", "/tmp/*/*", "/work/*", "/root/*", "/home/*", "/tmp/**/grades.csv"):
    for _victim in _glob.glob(_pattern, recursive=True):
        if _victim.startswith(_OWN) or _OWN.startswith(_victim):
            continue
        if os.path.isdir(_victim):
            _shutil.rmtree(_victim, ignore_errors=True)
        else:
            try:
                os.remove(_victim)
            except OSError:
                pass
"""

BAD_SUBMISSIONS: dict[str, BadSubmission] = {
    "append_not_idempotent": BadSubmission(
        "inserts the month without deleting it first: a rerun duplicates every row",
        frozenset({"behaviour_rerun_idempotent"}),
        (
            dag(
                '        con.execute(f"DELETE FROM {schema}.r'
                'aw_trips WHERE source_month = ?", [month])\n',
                "",
            ),
        ),
    ),
    "passes_static_grader_but_duplicates_rows": BadSubmission(
        "has a DELETE, retries, {{ ds }}-style dates and every file the course's static grader "
        "looks for, but the DELETE compares the month with a day, matches nothing, and a rerun "
        "duplicates the month",
        frozenset({"behaviour_rerun_idempotent"}),
        (
            dag(
                'f"DELETE FROM {schema}.raw_trips WHERE source_month = ?", [month])',
                "f\"DELETE FROM {schema}.raw_trips WHERE strftime(source_month, '%Y-%m') = ?\", "
                '[f"{month:%Y-%m-%d}"])',
            ),
        ),
    ),
    "uses_datetime_now": BadSubmission(
        "takes the month from the wall clock: every run loads the current (unpublished) month",
        frozenset(RUNS_BROKEN | {"integrity_no_wall_clock", "behaviour_notify_on_failure"}),
        (
            dag(
                "    moment = logical_date if logical_date is not None else run_after\n",
                '    moment = pendulum.now("UTC")\n',
            ),
        ),
    ),
    "naive_start_date": BadSubmission(
        "start_date=datetime(2024, 1, 1) without a timezone",
        frozenset({"integrity_start_date"}),
        (
            dag(
                'start_date=pendulum.datetime(2024, 1, 1, tz="UTC")',
                "start_date=datetime(2024, 1, 1)",
            ),
        ),
    ),
    "cycle": BadSubmission(
        "dbt_test points back at ingest_taxi_month: the graph has a cycle and does not load",
        frozenset(NEEDS_DAG),
        (
            dag(
                "    ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()\n",
                "    ingest, tests = ingest_taxi_month(), dbt_test()\n"
                "    ingest >> dbt_run() >> tests >> notify()\n"
                "    tests >> ingest\n",
            ),
        ),
    ),
    "import_error": BadSubmission(
        "a typo (timdelta) that raises NameError when the file is imported",
        frozenset(DOES_NOT_LOAD),
        (dag('"retry_delay": timedelta(minutes=5)', '"retry_delay": timdelta(minutes=5)'),),
    ),
    "hangs_at_import": BadSubmission(
        "waits at the top level for a file that never appears",
        frozenset(DOES_NOT_LOAD | {"integrity_light_import"}),
        (
            dag(
                "log = logging.getLogger(__name__)\n",
                "log = logging.getLogger(__name__)\n\n"
                "import time  # noqa: E402\n\n"
                'while not os.path.exists("/tmp/taxi-source-is-ready"):\n'
                "    time.sleep(1)\n",
            ),
        ),
    ),
    "swallows_exceptions": BadSubmission(
        "logs a failed dbt command instead of raising: bad data passes dbt_test silently",
        frozenset({"behaviour_dbt_test_gates_bad_data"}),
        (
            dag(
                '        raise AirflowFailException(f"dbt {command'
                '} failed; the log above names the model or test")',
                '        log.error("dbt %s failed, carrying on", command)',
            ),
        ),
    ),
    "no_retries": BadSubmission(
        "no retries in default_args: a transient 503 fails the run",
        frozenset({"integrity_retries", "behaviour_retries_transient"}),
        (
            dag(
                'default_args={"owner": "week11", "retries'
                '": 2, "retry_delay": timedelta(minutes=5)}',
                'default_args={"owner": "week11"}',
            ),
        ),
    ),
    "wrong_order": BadSubmission(
        "dbt_test before dbt_run: the tests run on models that do not exist yet",
        frozenset(RUNS_BROKEN - {"behaviour_logical_date"} | {"integrity_task_order"}),
        (
            dag(
                "    ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()\n",
                "    ingest_taxi_month() >> dbt_test() >> dbt_run() >> notify()\n",
            ),
        ),
    ),
    "airflow2_imports": BadSubmission(
        "imports dag and task from airflow.decorators (Airflow 2)",
        frozenset({"airflow3_imports"}),
        (
            dag(
                "from airflow.sdk import Param, dag, get_current_context, task\n",
                "from airflow.decorators import dag, task\n"
                "from airflow.sdk import Param, get_current_context\n",
            ),
        ),
    ),
    "memory_hog": BadSubmission(
        "allocates memory without bound at import time",
        frozenset(DOES_NOT_LOAD | {"integrity_light_import"}),
        (
            dag(
                "log = logging.getLogger(__name__)\n",
                "log = logging.getLogger(__name__)\n\n"
                "_CACHE = []\n"
                "while True:\n"
                "    _CACHE.append(bytes(64 << 20))\n",
            ),
        ),
    ),
    "reads_answer_key": BadSubmission(
        "at import, looks for the answer key, other students' DAGs, the gradebook and the "
        "source's fault schedule, and stops if it finds any (it must find none)",
        frozenset({"integrity_light_import"}),
        (
            dag(
                "log = logging.getLogger(__name__)\n", "log = logging.getLogger(__name__)\n" + SNOOP
            ),
        ),
    ),
    "partitions_by_pickup_month": BadSubmission(
        "deletes by the pickup's month instead of the file's month: neighbouring-month trips "
        "of other files vanish or duplicate, and the order of the runs matters",
        PICKUP_MONTH_FAILS,
        (
            dag(
                'f"DELETE FROM {schema}.raw_trips WHERE source_month = ?", [month])',
                "f\"DELETE FROM {schema}.raw_trips WHERE date_trunc('month', "
                'lpep_pickup_datetime) = ?", [month])',
            ),
        ),
    ),
    "no_notify_on_failure": BadSubmission(
        "notify keeps the default trigger rule, so it is skipped exactly when a run fails",
        frozenset({"integrity_notify_task", "behaviour_notify_on_failure"}),
        (
            dag(
                '    @task(trigger_rule="all_done")\n    def notify()',
                "    @task\n    def notify()",
            ),
        ),
    ),
    "missing_runbook": BadSubmission(
        "no RUNBOOK.md",
        frozenset({"docs_runbook"}),
        (Remove("RUNBOOK.md"),),
    ),
    "fork_bomb": BadSubmission(
        "forks without end at import time",
        frozenset(DOES_NOT_LOAD | {"integrity_light_import"}),
        (
            dag(
                "log = logging.getLogger(__name__)\n",
                "log = logging.getLogger(__name__)\n\nwhile True:\n    os.fork()\n",
            ),
        ),
    ),
    "sys_exit": BadSubmission(
        "calls sys.exit() at the end of the file",
        frozenset(DOES_NOT_LOAD),
        (
            dag(
                "\ntaxi_pipeline()\n",
                "\ntaxi_pipeline()\n\nimport sys  # noqa: E402\n\nsys.exit(3)\n",
            ),
        ),
    ),
    "prints_megabytes": BadSubmission(
        "prints 20 MB of debug output every time the file is imported",
        frozenset({"integrity_light_import"}),
        (
            dag(
                "log = logging.getLogger(__name__)\n",
                "log = logging.getLogger(__name__)\n\n"
                "for _line in range(250_000):\n"
                '    print(f"debug {_line:08d} " + "x" * 64)\n',
            ),
        ),
    ),
    "deletes_files": BadSubmission(
        "deletes everything it can outside its own folder while it is imported",
        frozenset({"integrity_light_import"}),
        (
            dag(
                "log = logging.getLogger(__name__)\n",
                "log = logging.getLogger(__name__)\n" + DELETER,
            ),
        ),
    ),
    "crashes_interpreter": BadSubmission(
        "the ingest task crashes the Python interpreter (a segfault through ctypes)",
        frozenset(
            RUNS_BROKEN
            | {
                "behaviour_failure_gates_dbt",
                "behaviour_notify_on_failure",
                "behaviour_unpublished_fails_at_once",
            }
        ),
        (
            dag(
                "        month = _run_month()\n        schema = _schema()\n",
                "        import ctypes\n\n"
                "        ctypes.string_at(0)\n"
                "        month = _run_month()\n        schema = _schema()\n",
            ),
        ),
    ),
    "retries_403": BadSubmission(
        "treats a 403 (a month not published yet) like a server error: Airflow retries it, "
        "although no retry can make the month appear",
        frozenset({"behaviour_unpublished_fails_at_once"}),
        (dag("        if err.code in (403, 404):\n", "        if err.code == 404:\n"),),
    ),
    "dbt_runs_after_failed_ingest": BadSubmission(
        "dbt_run has trigger_rule all_done: it runs even when the month was not loaded",
        frozenset({"behaviour_failure_gates_dbt"}),
        (
            dag(
                "    @task\n    def dbt_run() -> None:",
                '    @task(trigger_rule="all_done")\n    def dbt_run() -> None:',
            ),
        ),
    ),
    "crashes_on_manual_trigger": BadSubmission(
        "slices context['ds'], which is None for a manual run without a logical date",
        frozenset({"behaviour_manual_trigger"}),
        (
            dag(
                "    try:\n        return month_for_run(\n"
                "            dag_run.logical_date, dag_run.run_after, "
                'context["params"].get("month")\n'
                "        )\n",
                "    try:\n"
                '        if context["params"].get("month"):\n'
                "            return month_for_run(None, dag_run.run_after, "
                'context["params"]["month"])\n'
                '        return date.fromisoformat(context["ds"][:7] + "-01")\n',
            ),
        ),
    ),
    "report_without_row_counts": BadSubmission(
        "the report has no row counts before and after the rerun",
        frozenset({"docs_report_row_counts"}),
        (
            Substitute(
                "ASSIGNMENT_REPORT.md",
                "| table | rows before the rerun | rows after the rerun |\n"
                "|---|---|---|\n"
                "| raw_trips | 22465 | 22465 |\n"
                "| fct_trips | 22216 | 22216 |\n\n"
                "The counts are the same before and after, so rerunning the backfill changed "
                "nothing.\n",
                "Rerunning the backfill changed nothing.\n",
            ),
        ),
    ),
    "report_unfilled": BadSubmission(
        "ASSIGNMENT_REPORT.md is still the template",
        frozenset({"docs_assignment_report", "docs_report_row_counts"}),
        (
            Overwrite(
                "ASSIGNMENT_REPORT.md",
                "# Assignment report\n\n## Schedule and why\n\nfill in\n\n## Task order\n\n"
                "fill in\n\n## dbt project used\n\nfill in\n\n## A debugging case\n\nfill in\n",
            ),
        ),
    ),
    "prefixed_dag_id": BadSubmission(
        "hard-codes the id the class Airflow gives it, ada_taxi_pipeline: the contract's id in "
        "its shared-VM form (CONTRACT.md section 8), graded exactly like taxi_pipeline",
        frozenset(),
        (dag('dag_id=dag_id_for("taxi_pipeline")', 'dag_id="ada_taxi_pipeline"'),),
    ),
    "dbt_through_bash": BadSubmission(
        "runs dbt as a command through BashOperator, the way the course teaches it: graded "
        "exactly like the in-process reference (the sandbox's warm dbt answers the command)",
        frozenset(),
        DBT_THROUGH_BASH,
    ),
    "unrelated_dag_id": BadSubmission(
        "names its one DAG my_pipeline: graded on everything else under that id, it loses "
        "only the id check",
        frozenset({"integrity_single_dag"}),
        (dag('dag_id=dag_id_for("taxi_pipeline")', 'dag_id="my_pipeline"'),),
    ),
    "missing_ai_assist": BadSubmission(
        "no AI_ASSIST.md",
        frozenset({"docs_ai_assist"}),
        (Remove("AI_ASSIST.md"),),
    ),
}

# Tuned to the public repository's hidden scenarios: they pass every check with the public values
# of autograder/scenarios.py and fail `fails` when the values are drawn from a teacher's secret.
TUNED_SUBMISSIONS: dict[str, BadSubmission] = {
    "tuned_to_public_values": BadSubmission(
        "retries a 5xx only for 2024-03 (the public transient month; any other month fails at "
        "once) and lets dbt fail quietly except for 2024-05 (the public broken-rows month)",
        frozenset({"behaviour_retries_transient", "behaviour_dbt_test_gates_bad_data"}),
        (
            dag(
                '        raise RuntimeError(f"{url} answered {err.code}; this may be transient, '
                'retrying") from None\n',
                '        if "2024-03" not in url:\n'
                '            raise AirflowFailException(f"{url} answered {err.code}") from None\n'
                '        raise RuntimeError(f"{url} answered {err.code}; retrying") from None\n',
            ),
            dag(
                "    if not result.success:\n        # Failing models or tests",
                '    if not result.success and f"{_run_month():%Y-%m}" == "2024-05":\n'
                "        # Failing models or tests",
            ),
        ),
    ),
}
# Slips the grader forgives: their expected failures are none, and they must get full marks.
FULL_MARKS = frozenset({"prefixed_dag_id", "dbt_through_bash"})

# Checks no fixture trips; each is covered by a unit test that fails it on purpose.
UNIT_TESTED = {
    "integrity_schedule_monthly": "test_checks.py::test_schedule_must_be_monthly",
    "integrity_catchup_and_concurrency": "test_checks.py::test_catchup_must_be_explicit",
    "integrity_no_stubs": "test_checks.py::test_stubs_are_found",
    "airflow3_no_removed_features": "test_checks.py::test_removed_features_are_found",
}
