"""Self-checks of chapter 04, Sequential Pipeline Steps. The student's DAG and SQL are run, not
read: the DAG with a step failing on purpose, the DELETE twice on a small table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook.selfchecks import own_pipeline
from workbook.selfchecks.registry import (
    Hint,
    answer_dict,
    exercise,
    filled,
    load_student_dag,
    need,
)

if TYPE_CHECKING:
    from workbook.session import Workbook

PIPELINE_EDGES = {
    ("ingest_taxi_month", "dbt_run"),
    ("dbt_run", "dbt_test"),
    ("dbt_test", "notify"),
}
TRIGGER_RULES = {
    "load the cleaned data into the reporting table": "all_success",
    "post a run summary to the team channel, success or not": "all_done",
    "page the on-call engineer": "one_failed",
}


@exercise("ch04_wire_pipeline", success="strict order, and notify reports even a failed run")
def wire_pipeline(wb: Workbook) -> None:
    dag = load_student_dag(wb, "ch04_my_pipeline", "%%dag ch04_my_pipeline")
    edges = {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}
    need(edges, "There are no dependencies yet: write them with >>, e.g. ingest >> run >> ...")
    for a, b in sorted(edges - PIPELINE_EDGES):
        raise Hint(f"This arrow is not part of the pipeline's order: {a} >> {b}.")
    for a, b in sorted(PIPELINE_EDGES - edges):
        raise Hint(f"An arrow is missing: {a} >> {b}.")
    rule = dag.get_task("notify").trigger_rule
    rule = str(getattr(rule, "value", rule))
    need(
        rule != "one_failed",
        "With one_failed, notify stays silent on good days. It should run whatever happened.",
    )
    need(
        rule == "all_done",
        f"With {rule}, notify does not run after a failure: which rule waits for everything to "
        "finish, however it finished?",
    )
    failed = wb.run("ch04_my_pipeline", None, conf={"fail_at": "dbt_run"})
    states = {task: t.state for task, t in failed.tasks.items()}
    need(
        states.get("dbt_test") == "upstream_failed" and states.get("notify") == "success",
        f"With dbt_run failing, the states were {states}.",
    )
    clean = wb.run("ch04_my_pipeline", None)
    need(clean.succeeded, f"A run without failures should succeed; it ended {clean.summary()}")


@exercise("ch04_pick_rules", success="the right rule for each job")
def pick_rules(wb: Workbook, rules: object) -> None:
    given_rules = answer_dict(rules, "ex_rules")
    for job, rule in TRIGGER_RULES.items():
        given = str(given_rules.get(job, "")).strip()
        need(
            given in {"all_success", "all_done", "one_failed"},
            f"{given!r} is not one of all_success, all_done, one_failed.",
        )
        need(given == rule, f"Think again about “{job}”: when should it run, and when not?")


@exercise("ch04_delete_sql", success="a second load replaces the month and leaves others alone")
def delete_sql(wb: Workbook, sql: object) -> None:
    filled(sql, "ex_delete_sql")
    need(isinstance(sql, str), "ex_delete_sql should be the SQL statement, as a string.")
    need("..." not in str(sql), "Replace the `...` in ex_delete_sql with the condition.")
    need(str(sql).count("?") == 1, "Use exactly one ? where the month goes.")
    need(str(sql).strip().upper().startswith("DELETE"), "The statement should be a DELETE.")
    counts = _rows_per_month_after_two_loads(str(sql))
    need(
        counts.get("2024-01") == 2,
        "Loading February also deleted January: limit the DELETE to the month being loaded.",
    )
    need(
        counts.get("2024-02") == 3,
        f"After loading February twice it has {counts.get('2024-02')} rows instead of 3: the "
        "DELETE must remove the earlier copy (WHERE source_month = ?).",
    )


def _rows_per_month_after_two_loads(sql: str) -> dict[str, int]:
    """A small raw_trips with January in it; February loaded twice, each time after `sql`."""
    from datetime import date

    import duckdb

    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE raw_trips (trip_id INTEGER, source_month DATE)")
        con.execute("INSERT INTO raw_trips VALUES (1, DATE '2024-01-01'), (2, DATE '2024-01-01')")
        for _ in range(2):  # load February twice
            try:
                con.execute(sql, [date(2024, 2, 1)])
            except duckdb.Error as err:
                raise Hint(f"DuckDB cannot run your statement: {err}") from None
            con.execute(
                "INSERT INTO raw_trips VALUES "
                "(3, DATE '2024-02-01'), (4, DATE '2024-02-01'), (5, DATE '2024-02-01')"
            )
        return dict(
            con.execute(
                "SELECT strftime(source_month, '%Y-%m'), count(*) FROM raw_trips GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()


@exercise("ch04_own_pipeline", success=own_pipeline.SUCCESS["04"])
def own_pipeline_step(wb: Workbook) -> None:
    own_pipeline.check(wb, "04")
