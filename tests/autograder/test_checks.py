"""Checks on real source files and a recorded DAG snapshot, without a sandbox (fast).

The slow corpus test grades every fixture for real; these cover the static analysis in detail
and the checks that no fixture in the corpus trips (see `corpus.UNIT_TESTED`).
"""

from __future__ import annotations

import pytest

from autograder.checks import Outcome
from autograder.source_scan import scan_files
from tests.autograder.helpers import REFERENCE_DAG, context, run_check, snapshot_with

DAG = "dags/taxi_pipeline.py"


def scan(source: str):
    return scan_files({DAG: source}, DAG)


def with_dag(old: str, new: str) -> str:
    assert REFERENCE_DAG.count(old) == 1, old
    return REFERENCE_DAG.replace(old, new)


def test_the_reference_passes_every_static_check(tmp_path) -> None:
    ctx = context(tmp_path)
    static = [
        "integrity_imports",
        "integrity_single_dag",
        "integrity_no_cycles",
        "integrity_required_tasks",
        "integrity_task_order",
        "integrity_schedule_monthly",
        "integrity_start_date",
        "integrity_catchup_and_concurrency",
        "integrity_retries",
        "integrity_light_import",
        "integrity_no_wall_clock",
        "integrity_no_stubs",
        "integrity_notify_task",
        "airflow3_imports",
        "airflow3_no_removed_features",
        "docs_runbook",
        "docs_assignment_report",
        "docs_report_row_counts",
        "docs_ai_assist",
    ]
    failed = {c: run_check(c, ctx).message for c in static if run_check(c, ctx).fraction < 1}
    assert failed == {}


# -- checks no corpus fixture trips (corpus.UNIT_TESTED) ----------------------------------


def test_single_dag_rejects_a_second_dag(tmp_path) -> None:
    snapshot = {
        **snapshot_with(),
        "dags_by_file": {"taxi_pipeline.py": ["taxi_pipeline", "taxi_pipeline_debug"]},
    }
    outcome = run_check("integrity_single_dag", context(tmp_path, snapshot=snapshot))
    assert outcome.fraction == 0
    assert "2 DAGs" in outcome.message


def test_single_dag_names_a_wrong_dag_id(tmp_path) -> None:
    snapshot = {**snapshot_with(), "dags_by_file": {"taxi_pipeline.py": ["my_taxis"]}, "dag": None}
    outcome = run_check("integrity_single_dag", context(tmp_path, snapshot=snapshot))
    assert outcome.fraction == 0 and "my_taxis" in outcome.message


@pytest.mark.parametrize(
    "schedule, expression, passes",
    [("@monthly", None, True), ("0 0 1 * *", "0 0 1 * *", True), ("@daily", None, False)],
)
def test_schedule_must_be_monthly(tmp_path, schedule, expression, passes) -> None:
    snapshot = snapshot_with(schedule=schedule, timetable_expression=expression)
    outcome = run_check("integrity_schedule_monthly", context(tmp_path, snapshot=snapshot))
    assert (outcome.fraction == 1) is passes


@pytest.mark.parametrize(
    "source_edit, max_active_runs, expected",
    [
        (None, 1, 1.0),
        (("    catchup=False,\n", ""), 1, 0.5),
        (("    catchup=False,\n", "    catchup=True,\n"), 1, 0.5),
        (None, 3, 0.5),
    ],
    ids=["reference", "catchup-implicit", "catchup-true", "three-active-runs"],
)
def test_catchup_must_be_explicit(tmp_path, source_edit, max_active_runs, expected) -> None:
    source = with_dag(*source_edit) if source_edit else None
    ctx = context(tmp_path, source, snapshot=snapshot_with(max_active_runs=max_active_runs))
    assert run_check("integrity_catchup_and_concurrency", ctx).fraction == expected


@pytest.mark.parametrize(
    "old, new",
    [
        (
            "\ntaxi_pipeline()\n",
            "\ntaxi_pipeline()\n\n\ndef later():\n    raise NotImplementedError\n",
        ),
        (
            '        """Rebuild stg_trips',
            '        # fill in: call dbt\n        """Rebuild stg_trips',
        ),
        ('        _dbt("test")\n', "        pass\n"),
    ],
    ids=["not-implemented", "fill-in-comment", "empty-task"],
)
def test_stubs_are_found(tmp_path, old, new) -> None:
    outcome = run_check("integrity_no_stubs", context(tmp_path, with_dag(old, new)))
    assert outcome.fraction == 0
    assert "dags/taxi_pipeline.py:" in outcome.message


@pytest.mark.parametrize(
    "old, new, word",
    [
        ('    schedule="@monthly",\n', '    schedule_interval="@monthly",\n', "schedule_interval"),
        (
            "        month = _run_month()\n        schema",
            '        month = _run_month()\n        log.info("%s", get_current_context().get'
            '("execution_date"))\n        schema',
            "execution_date",
        ),
        ('    tags=["week11"', '    params_doc="{{ prev_ds }}",\n    tags=["week11"', "prev_ds"),
    ],
)
def test_removed_features_are_found(tmp_path, old, new, word) -> None:
    outcome = run_check("airflow3_no_removed_features", context(tmp_path, with_dag(old, new)))
    assert outcome.fraction == 0
    assert word in outcome.output


def test_removed_words_in_docstrings_and_comments_are_fine() -> None:
    source = with_dag('"""\n### taxi_pipeline', '"""\nNo execution_date here.\n### taxi_pipeline')
    source = source.replace("import json\n", "import json  # not schedule_interval\n")
    assert scan(source).removed_words == []


# -- static analysis details --------------------------------------------------------------


@pytest.mark.parametrize(
    "snippet, picks_month",
    [
        ("def month():\n    return pendulum.now().strftime('%Y-%m')\n", True),
        ("def f():\n    now = datetime.now()\n    partition = now.replace(day=1)\n", True),
        ("def f():\n    today = date.today()\n    return parquet_url_for(today)\n", True),
        ("def f():\n    started = time.time()\n    return time.time() - started\n", False),
        ("def f():\n    return {'notified_at': datetime.now().isoformat()}\n", False),
        ("def f():\n    log.info('at %s', pendulum.now().strftime('%H:%M:%S'))\n", False),
    ],
)
def test_wall_clock_only_counts_when_it_picks_the_month(snippet, picks_month) -> None:
    facts = scan("import time\nfrom datetime import date, datetime\nimport pendulum\n" + snippet)
    assert bool(facts.wall_clock_month) is picks_month
    assert bool(facts.wall_clock_month or facts.wall_clock_other)


@pytest.mark.parametrize(
    "expression, verdict",
    [
        ('pendulum.datetime(2024, 1, 1, tz="UTC")', "aware"),
        ("pendulum.datetime(2024, 1, 1)", "aware"),
        ("datetime(2024, 1, 1)", "naive"),
        ("datetime(2024, 1, 1, tzinfo=timezone.utc)", "aware"),
        ("datetime(2024, 1, 1).replace(tzinfo=timezone.utc)", "aware"),
        ('datetime.fromisoformat("2024-01-01")', "naive"),
        ('datetime.fromisoformat("2024-01-01T00:00:00+00:00")', "aware"),
        ("pendulum.now().subtract(days=30)", "dynamic"),
        ("days_ago(2)", "dynamic"),
    ],
)
def test_start_date_verdicts(expression, verdict) -> None:
    source = with_dag(
        'start_date=pendulum.datetime(2024, 1, 1, tz="UTC")', f"start_date={expression}"
    )
    assert [s.verdict for s in scan(source).start_dates] == [verdict]


def test_start_date_through_a_module_constant() -> None:
    source = with_dag(
        'start_date=pendulum.datetime(2024, 1, 1, tz="UTC")', "start_date=START"
    ).replace(
        "log = logging.getLogger(__name__)\n",
        "log = logging.getLogger(__name__)\nSTART = datetime(2024, 1, 1)\n",
    )
    assert [s.verdict for s in scan(source).start_dates] == ["naive"]


@pytest.mark.parametrize(
    "top_level, found",
    [
        ('CON = duckdb.connect("x.duckdb")', "connect"),
        ("ROWS = Path('rows.csv').read_text()", "read_text"),
        ('URL = Variable.get("taxi_url")', "Variable.get"),
        ("import requests\nDATA = requests.get('http://x')", "requests.get"),
        ("def load():\n    return open('x').read()\n\nDATA = load()", "open"),
        ("while True:\n    pass", "while True"),
    ],
)
def test_import_time_work_is_found(top_level, found) -> None:
    source = with_dag(
        "log = logging.getLogger(__name__)\n", f"log = logging.getLogger(__name__)\n{top_level}\n"
    )
    facts = scan(source)
    assert any(found in f.text for f in facts.import_time_io), facts.import_time_io


def test_work_inside_tasks_is_not_import_time() -> None:
    assert scan(REFERENCE_DAG).import_time_io == []


def test_light_import_fails_on_output_and_parse_time(tmp_path) -> None:
    ctx = context(tmp_path)
    loud = type(ctx)(**{**ctx.__dict__, "import_output_bytes": 20 << 20})
    assert run_check("integrity_light_import", loud).fraction == 0
    slow = context(
        tmp_path / "slow", snapshot={**snapshot_with(), "parse_seconds": {"taxi_pipeline.py": 9.0}}
    )
    assert run_check("integrity_light_import", slow).fraction == 0


def test_naive_start_date_fails_even_though_airflow_adds_utc(tmp_path) -> None:
    source = with_dag(
        'start_date=pendulum.datetime(2024, 1, 1, tz="UTC")', "start_date=datetime(2024, 1, 1)"
    )
    outcome = run_check("integrity_start_date", context(tmp_path, source))
    assert 0 < outcome.fraction < 1 and "no timezone" in outcome.message


def test_task_order_and_required_tasks_report_what_is_wrong(tmp_path) -> None:
    tasks = snapshot_with()["dag"]["tasks"]
    swapped = [dict(t) for t in tasks]
    swapped[1]["upstream"], swapped[2]["upstream"] = ["ingest_taxi_month", "dbt_test"], []
    ctx = context(tmp_path, snapshot=snapshot_with(tasks=swapped))
    outcome = run_check("integrity_task_order", ctx)
    assert outcome.fraction < 1 and "dbt_test does not wait for dbt_run" in outcome.message
    renamed = [dict(t, task_id="run_dbt") if t["task_id"] == "dbt_run" else t for t in tasks]
    ctx = context(tmp_path / "renamed", snapshot=snapshot_with(tasks=renamed))
    assert run_check("integrity_required_tasks", ctx).fraction == pytest.approx(2 / 3)


def test_retries_need_a_count_and_a_delay(tmp_path) -> None:
    tasks = [dict(t, retries=2, retry_delay_seconds=0.0) for t in snapshot_with()["dag"]["tasks"]]
    outcome = run_check("integrity_retries", context(tmp_path, snapshot=snapshot_with(tasks=tasks)))
    assert outcome.fraction == 0 and "retry_delay=0 s" in outcome.message


# -- documents ----------------------------------------------------------------------------


def test_runbook_gaps_each_have_their_own_message(tmp_path) -> None:
    runbook = "# Runbook\n\nTrigger it in the UI. <!-- TODO: backfill -->\n" + "words " * 100
    outcome = run_check("docs_runbook", context(tmp_path, RUNBOOK_md=runbook))
    assert 0 < outcome.fraction < 1
    assert "backfill" in outcome.message and "likely failures" in outcome.message
    assert "placeholders" not in outcome.message  # TODO inside an HTML comment does not count


def test_missing_documents_fail_with_the_file_name(tmp_path) -> None:
    ctx = context(tmp_path, RUNBOOK_md=None, AI_ASSIST_md=None)
    assert "RUNBOOK.md is missing" in run_check("docs_runbook", ctx).message
    assert "AI_ASSIST.md is missing" in run_check("docs_ai_assist", ctx).message


def test_backfill_is_not_a_fill_in_placeholder(tmp_path) -> None:
    report = tmp_path / "r.md"
    report.write_text("We backfill in order.")
    outcome = run_check(
        "docs_assignment_report",
        context(tmp_path, ASSIGNMENT_REPORT_md=(REFERENCE_DAG and "Backfill in one go. " * 40)),
    )
    assert "placeholders" not in outcome.message


def test_outcome_parts_give_partial_credit() -> None:
    outcome = Outcome.from_parts([(True, "a"), (False, "b is wrong."), (False, "c is wrong.")])
    assert outcome.fraction == pytest.approx(1 / 3)
    assert outcome.message == "b is wrong. c is wrong."
