"""Self-checks for the workbook's exercises: ✅ when it works, ❌ and a hint when it does not.

A notebook's check cell is one line, `wb.check("ch03_weekday_cron", ex_weekday_cron)`. The
check functions live here, one per exercise id, so they can be tested without a notebook and
so the notebooks stay short. A check never shows a traceback: a failed expectation raises
`Hint` (its message is what the student reads), and anything unexpected is reported as
"your code raised X" with the same friendly framing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Hint(Exception):
    """A self-check did not pass; the message tells the student what to try next."""


def need(condition: object, hint: str) -> None:
    if not condition:
        raise Hint(hint)


def filled(value: object, what: str) -> None:
    """The exercise's placeholder (`...`, None, an empty text or list) has been replaced."""
    empty = (
        value is ...
        or value is None
        or (isinstance(value, str) and value.strip() in ("", "..."))
        or (isinstance(value, list | tuple | dict | set) and (not value or ... in value))
    )
    if empty:
        raise Hint(f"Replace the `...` in {what} with your answer, run that cell, then this one.")


@dataclass(frozen=True)
class Result:
    exercise: str
    passed: bool
    message: str

    def __str__(self) -> str:
        return f"{'✅' if self.passed else '❌'} {self.exercise}: {self.message}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        colour, mark = ("#e8f5e9", "✅") if self.passed else ("#fff3e0", "❌")
        return (
            f"<div style='background:{colour};padding:6px 10px;border-radius:4px'>"
            f"{mark} <b>{html.escape(self.exercise)}</b>: {html.escape(self.message)}</div>"
        )


@dataclass(frozen=True)
class Exercise:
    id: str
    func: Callable[..., None]
    success: str


EXERCISES: dict[str, Exercise] = {}
RESULTS: dict[str, bool] = {}


def exercise(exercise_id: str, success: str) -> Callable[[Callable[..., None]], Callable]:
    """Register a check function for an exercise id; `success` is what a pass says."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        EXERCISES[exercise_id] = Exercise(exercise_id, func, success)
        return func

    return register


def check(exercise_id: str, wb: Any, *args: Any, **kwargs: Any) -> Result:
    """Run one exercise's check and return a Result (shown as ✅/❌ in the notebook)."""
    found = EXERCISES.get(exercise_id)
    if found is None:
        result = Result(exercise_id, False, f"there is no exercise called {exercise_id!r}")
    else:
        try:
            found.func(wb, *args, **kwargs)
            result = Result(exercise_id, True, found.success)
        except Hint as hint:
            result = Result(exercise_id, False, str(hint))
        except Exception as exc:  # noqa: BLE001 - students see a message, never a traceback
            result = Result(
                exercise_id,
                False,
                f"checking your answer raised {type(exc).__name__}: {exc}. Look at the exercise "
                "cell again, run it, then run this check.",
            )
    RESULTS[exercise_id] = result.passed
    return result


def mentions(text: str, *words: str) -> bool:
    """Does the text use any of these words (or their beginnings, e.g. 'retr' for retry)?"""
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(word.lower())}", lowered) for word in words)


def free_text(answer: object, what: str, min_chars: int, topics: list[tuple[tuple, str]]) -> None:
    """A written answer: long enough, and touching each topic (keywords -> hint if missing)."""
    filled(answer, what)
    need(isinstance(answer, str), f"{what} should be text in quotes.")
    text = str(answer)
    need(
        len(text.strip()) >= min_chars,
        f"{what} is {len(text.strip())} characters; explain a little more (at least {min_chars}).",
    )
    for words, hint in topics:
        need(mentions(text, *words), hint)


# =============================================================================================
# The exercises, chapter by chapter. Each check receives the notebook's Workbook first.
# =============================================================================================

STUDENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


# -- 00 Start here ----------------------------------------------------------------------------


@exercise("ch00_student_name", success="that name works as part of a schema name")
def _student_name(wb: Any, name: object, what: str = "ex_student_name") -> None:
    filled(name, what)
    need(isinstance(name, str), f'Put your name in quotes, e.g. {what} = "ada".')
    need(
        STUDENT_NAME.match(str(name)),
        f"{name!r} has characters a schema name cannot hold. Use lowercase letters, digits and "
        "underscores, starting with a letter: 'ada_lovelace', not 'Ada Lovelace'.",
    )
    need(
        name != "default", "'default' is what everyone gets who forgets to set a name; pick yours."
    )


# -- 01 Introduction to Orchestration ---------------------------------------------------------


@exercise(
    "ch01_scheduling_vs_orchestration",
    success="you named both sides: when things start, and what runs in which order and how "
    "failures are handled",
)
def _scheduling_vs_orchestration(wb: Any, answer: object) -> None:
    free_text(
        answer,
        "ex_scheduling_vs_orchestration",
        80,
        [
            (
                ("when", "time", "schedul", "cron", "start", "trigger"),
                "Say what scheduling decides: *when* a job starts.",
            ),
            (
                ("order", "depend", "sequence", "after", "before", "downstream", "upstream"),
                "Orchestration also decides the *order* of the steps: mention dependencies.",
            ),
            (
                ("fail", "retr", "recover", "error", "alert", "notif", "block"),
                "What does an orchestrator do when a step fails? Your answer does not say yet.",
            ),
        ],
    )


RISK_TOPICS = {
    "people forget or are away": ("forget", "human", "holiday", "sick", "away", "person", "miss"),
    "steps run in the wrong order or get skipped": ("order", "skip", "sequence", "wrong step"),
    "failures go unnoticed": ("notice", "silent", "unnoticed", "alert", "nobody", "visib", "know"),
    "reruns duplicate data": ("twice", "duplicat", "rerun", "double", "again"),
    "results arrive late or stale": ("late", "stale", "delay", "outdated", "on time", "old data"),
    "no record of what ran": ("log", "history", "record", "audit", "trace"),
    "half-finished runs leave bad data": ("partial", "half", "inconsist", "corrupt", "wrong"),
    "transient errors are not retried": ("retr", "transient", "timeout", "network"),
}


@exercise("ch01_manual_risks", success="three different risks; an orchestrator answers each one")
def _manual_risks(wb: Any, risks: object) -> None:
    filled(risks, "ex_manual_risks")
    need(isinstance(risks, list | tuple), 'ex_manual_risks should be a list: ["...", ...].')
    texts = [str(r).strip() for r in risks if str(r).strip()]  # type: ignore[union-attr]
    need(len(texts) >= 3, f"You listed {len(texts)} risk(s); name three.")
    need(len({t.lower() for t in texts}) == len(texts), "Two of your risks are the same text.")
    need(all(len(t) >= 10 for t in texts), "Write each risk as a short sentence, not one word.")
    topics = {name for name, words in RISK_TOPICS.items() for t in texts if mentions(t, *words)}
    need(
        len(topics) >= 2,
        "Your risks sound alike. Think wider: people forgetting, steps in the wrong order, "
        "failures nobody notices, duplicated data after a rerun, stale dashboards.",
    )


def _has_path(edges: list[tuple[str, str]], start: str, end: str) -> bool:
    frontier, seen = [start], set()
    while frontier:
        node = frontier.pop()
        if node == end:
            return True
        seen.add(node)
        frontier += [b for a, b in edges if a == node and b not in seen]
    return False


@exercise("ch01_sketch_dag", success="ingest → transform → test → notify, in that order")
def _sketch_dag(wb: Any, edges: object) -> None:
    filled(edges, "ex_edges")
    pairs_ok = isinstance(edges, list | tuple) and all(
        isinstance(e, tuple | list) and len(e) == 2
        for e in edges  # type: ignore[union-attr]
    )
    need(pairs_ok, 'Write each edge as a pair in parentheses: ("ingest", "transform").')
    pairs = [(str(a), str(b)) for a, b in edges]  # type: ignore[union-attr,misc]
    nodes = {n for pair in pairs for n in pair}
    named = {}
    for word in ("ingest", "transform", "test", "notify"):
        matches = [n for n in nodes if word in n.lower()]
        need(matches, f"No task name contains {word!r}; the sketch needs a {word} step.")
        named[word] = matches[0]
    from workbook import pictures

    try:
        pictures._layers(sorted(nodes), pairs)
    except ValueError:
        raise Hint("Your edges form a loop: a DAG may never lead back to a task.") from None
    steps = ["ingest", "transform", "test", "notify"]
    for before, after in zip(steps, steps[1:], strict=False):
        need(
            _has_path(pairs, named[before], named[after]),
            f"Nothing leads from {named[before]!r} to {named[after]!r}: "
            f"{after} must wait for {before}.",
        )
    need(
        not any(a == named["notify"] for a, _ in pairs),
        "notify should be the last step: nothing should wait for it.",
    )


# -- 02 Airflow Fundamentals ------------------------------------------------------------------


def _load_student_dag(wb: Any, dag_id: str, cell: str) -> Any:
    """Parse a DAG the student saved with %%dag, or explain why it cannot be used."""
    path = wb.student_dags / f"{dag_id}.py"
    need(path.exists(), f"There is no {dag_id}.py yet: run the {cell} cell first.")
    try:
        return wb.dag(dag_id)
    except Exception as err:  # noqa: BLE001 - the message is what the student needs
        raise Hint(f"{err} Fix the {cell} cell and run it again.") from None


@exercise("ch02_my_first_dag", success="your DAG loads, runs, and shout got count_letters' 13")
def _my_first_dag(wb: Any) -> None:
    dag = _load_student_dag(wb, "ch02_my_first_dag", "%%dag ch02_my_first_dag")
    tasks = set(dag.task_ids)
    need(
        {"count_letters", "shout"} <= tasks,
        "Your DAG has no tasks yet: a @task function becomes a task only when you call it "
        "inside the DAG function, e.g. shout(count_letters()).",
    )
    need(
        "shout" in dag.get_task("count_letters").downstream_task_ids,
        "shout does not wait for count_letters: pass count_letters() into shout(...).",
    )
    report = wb.run("ch02_my_first_dag", None)
    for task in ("count_letters", "shout"):
        need(
            report.tasks[task].state == "success",
            f"{task} ended {report.tasks[task].state}; read wb.log(...) for it.",
        )
    counted = wb.xcom(report, "count_letters")
    need(counted == 13, f"count_letters returned {counted!r}; 'orchestration' has 13 letters.")
    shouted = wb.xcom(report, "shout")
    need(isinstance(shouted, str), "shout should return the message (a string).")
    need("13" in shouted, f"shout returned {shouted!r}, which does not contain the number 13.")
    need(shouted == shouted.upper(), f"shout returned {shouted!r}: shout it, in CAPITALS.")


VOCABULARY = {
    "a workflow: steps plus the order between them, defined in a Python file": "DAG",
    "one step of a workflow, such as dbt_run": "task",
    "one execution of one step within one run; it has a state and a try number": "task instance",
    "a reusable kind of step, such as 'run this shell command'": "operator",
    "a small value one step hands to the next through Airflow's database": "XCom",
}


@exercise("ch02_vocabulary", success="all five terms in the right place")
def _vocabulary(wb: Any, answers: object) -> None:
    need(isinstance(answers, dict), "Keep ex_vocabulary a dictionary; only replace the `...`.")
    filled(list(answers.values()), "ex_vocabulary")  # type: ignore[union-attr]
    terms = set(VOCABULARY.values())
    for description, expected in VOCABULARY.items():
        given = str(answers.get(description, "")).strip()  # type: ignore[union-attr]
        need(
            given.lower() in {t.lower() for t in terms},
            f"{given!r} is not one of the five terms {sorted(terms)}.",
        )
        need(
            given.lower() == expected.lower(),
            f"Look again at “{description}”: {given!r} is not the best fit.",
        )


# -- 03 Scheduling and Triggers ---------------------------------------------------------------


def _cron_runs(cron: object, what: str, after: str, count: int) -> list:
    filled(cron, what)
    need(isinstance(cron, str), f"{what} should be a string in quotes, like '0 6 * * *'.")
    need(
        len(str(cron).split()) == 5,
        f"{cron!r} does not have five fields (minute hour day-of-month month day-of-week).",
    )
    from workbook.notebook import next_runs

    try:
        return next_runs(cron, after=after, count=count)
    except Exception as err:  # noqa: BLE001 - an invalid expression is the student's to fix
        raise Hint(f"Airflow cannot read {cron!r} as a schedule: {err}") from None


@exercise("ch03_weekday_cron", success="Monday to Friday at 06:00 UTC, and never at weekends")
def _weekday_cron(wb: Any, cron: object) -> None:
    runs = _cron_runs(cron, "ex_weekday_cron", "2025-01-06", 10)  # a Monday
    times = {f"{r:%H:%M}" for r in runs}
    need(times == {"06:00"}, f"Your runs start at {sorted(times)}; they should start at 06:00.")
    days = sorted({r.isoweekday() for r in runs})
    need(6 not in days and 7 not in days, "Your schedule also runs at the weekend.")
    need(days == [1, 2, 3, 4, 5], "Your schedule skips a weekday: use the range 1-5.")


@exercise("ch03_second_of_month", success="07:30 UTC on the 2nd, once a month")
def _second_of_month(wb: Any, cron: object) -> None:
    runs = _cron_runs(cron, "ex_second_of_month", "2025-01-01", 4)
    need(
        {f"{r:%H:%M}" for r in runs} == {"07:30"},
        "The first two fields are minute and hour: 07:30 is '30 7'.",
    )
    need({r.day for r in runs} == {2}, "The third field is the day of the month: use 2.")
    need(
        [r.month for r in runs] == [1, 2, 3, 4],
        "It should run every month: leave the month and day-of-week fields as *.",
    )


@exercise("ch03_catchup_count", success="that is exactly how many runs the timetable queues")
def _catchup_count(wb: Any, answer: object) -> None:
    import pendulum
    from airflow.sdk import DAG

    from workbook.notebook import planned_runs

    filled(answer, "ex_catchup_runs")
    need(isinstance(answer, int), "Answer with a whole number, e.g. ex_catchup_runs = 5.")
    dag = DAG(
        "catchup_exercise",
        schedule="@weekly",
        start_date=pendulum.datetime(2025, 1, 6, tz="UTC"),
        catchup=True,
    )
    runs = planned_runs(dag, pendulum.datetime(2025, 3, 3, tz="UTC"))
    need(
        answer == len(runs),
        f"{answer} is not it. List the Sundays from 12 January to 2 March 2025: each one is a "
        "run (the first Sunday after the start date is the first run).",
    )


@exercise("ch03_interval_logical_date", success="the run covers 1 March and starts when it ends")
def _interval_logical_date(wb: Any, answer: object) -> None:
    filled(answer, "ex_interval_logical_date")
    need(
        str(answer).strip() == "2024-03-01",
        f"{answer!r} is not it. With data intervals, a run starts when its interval ends, and "
        "its logical date is the interval's start.",
    )


# -- 04 Sequential Pipeline Steps -------------------------------------------------------------

PIPELINE_EDGES = {
    ("ingest_taxi_month", "dbt_run"),
    ("dbt_run", "dbt_test"),
    ("dbt_test", "notify"),
}


@exercise("ch04_wire_pipeline", success="strict order, and notify reports even a failed run")
def _wire_pipeline(wb: Any) -> None:
    dag = _load_student_dag(wb, "ch04_my_pipeline", "%%dag ch04_my_pipeline")
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
def _pick_rules(wb: Any, rules: object) -> None:
    need(isinstance(rules, dict), "Keep ex_rules a dictionary; only replace the `...`.")
    filled(list(rules.values()), "ex_rules")  # type: ignore[union-attr]
    expected = {
        "load the cleaned data into the reporting table": "all_success",
        "post a run summary to the team channel, success or not": "all_done",
        "page the on-call engineer": "one_failed",
    }
    for job, rule in expected.items():
        given = str(rules.get(job, "")).strip()  # type: ignore[union-attr]
        need(
            given in {"all_success", "all_done", "one_failed"},
            f"{given!r} is not one of all_success, all_done, one_failed.",
        )
        need(given == rule, f"Think again about “{job}”: when should it run, and when not?")


@exercise("ch04_delete_sql", success="a second load replaces the month and leaves others alone")
def _delete_sql(wb: Any, sql: object) -> None:
    from datetime import date

    import duckdb

    filled(sql, "ex_delete_sql")
    need(isinstance(sql, str), "ex_delete_sql should be the SQL statement, as a string.")
    need("..." not in str(sql), "Replace the `...` in ex_delete_sql with the condition.")
    need(str(sql).count("?") == 1, "Use exactly one ? where the month goes.")
    need(str(sql).strip().upper().startswith("DELETE"), "The statement should be a DELETE.")
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE raw_trips (trip_id INTEGER, source_month DATE)")
        con.execute("INSERT INTO raw_trips VALUES (1, DATE '2024-01-01'), (2, DATE '2024-01-01')")
        for _ in range(2):  # load February twice
            try:
                con.execute(str(sql), [date(2024, 2, 1)])
            except duckdb.Error as err:
                raise Hint(f"DuckDB cannot run your statement: {err}") from None
            con.execute(
                "INSERT INTO raw_trips VALUES "
                "(3, DATE '2024-02-01'), (4, DATE '2024-02-01'), (5, DATE '2024-02-01')"
            )
        counts = dict(
            con.execute(
                "SELECT strftime(source_month, '%Y-%m'), count(*) FROM raw_trips GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    need(
        counts.get("2024-01") == 2,
        "Loading February also deleted January: limit the DELETE to the month being loaded.",
    )
    need(
        counts.get("2024-02") == 3,
        f"After loading February twice it has {counts.get('2024-02')} rows instead of 3: the "
        "DELETE must remove the earlier copy (WHERE source_month = ?).",
    )


# -- 05 Parameterized Runs and Backfills ------------------------------------------------------


@exercise("ch05_month_for", success="config first, then the logical date, then run_after")
def _month_for(wb: Any, month_for: object) -> None:
    from datetime import UTC, datetime

    need(callable(month_for), "ex_month_for should stay a function: def ex_month_for(...):")
    cases = [
        ((datetime(2024, 3, 1, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC), {}), "2024-03",
         "a scheduled run for 2024-03-01"),
        ((datetime(2024, 12, 31, 23, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), {}), "2024-12",
         "a run whose logical date is late on 31 December"),
        ((None, datetime(2024, 6, 15, tzinfo=UTC), {}), "2024-06",
         "a manual run without a logical date, queued on 2024-06-15"),
        ((datetime(2024, 3, 1, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC), {"month": "2024-02"}),
         "2024-02", "a run whose config asks for 2024-02"),
        ((None, datetime(2026, 1, 5, tzinfo=UTC), {"month": "2024-02"}), "2024-02",
         "a manual run without a logical date whose config asks for 2024-02"),
    ]  # fmt: skip
    for args, expected, story in cases:
        try:
            got = month_for(*args)  # type: ignore[operator]
        except Exception as err:  # noqa: BLE001 - reported as a hint
            raise Hint(f"For {story}, your function raised {type(err).__name__}: {err}") from None
        need(got is not None, f"For {story}, your function returned None: return a 'YYYY-MM'.")
        need(
            got == expected, f"For {story}, your function returned {got!r}; expected {expected!r}."
        )


@exercise("ch05_backfill_range", success="three runs, August to October 2024, all green")
def _backfill_range(wb: Any, reports: object) -> None:
    filled(reports, "ex_backfill")
    need(
        isinstance(reports, list) and all(hasattr(r, "tasks") for r in reports),
        "ex_backfill should hold what wb.backfill(...) returns.",
    )
    need(
        {r.dag_id for r in reports} == {"ch05_taxi_pipeline"},  # type: ignore[union-attr]
        "Backfill ch05_taxi_pipeline, the parameterized one.",
    )
    months = [f"{r.logical_date:%Y-%m}" for r in reports if r.logical_date]  # type: ignore[union-attr]
    need(
        months == ["2024-08", "2024-09", "2024-10"],
        f"Your backfill ran {months}; it should run 2024-08, 2024-09 and 2024-10, in order.",
    )
    failed = [m for m, r in zip(months, reports, strict=True) if not r.succeeded]  # type: ignore[arg-type]
    need(not failed, f"These months did not succeed: {failed}. Read their logs with wb.log(...).")
    counts = wb.counts()
    need(
        all(counts.get(m, 0) > 0 for m in months),
        "The warehouse has no rows for those months; did the runs use this notebook's set-up?",
    )


@exercise("ch05_which_idempotent", success="you can tell a safe rerun from a duplicating one")
def _which_idempotent(wb: Any, answers: object) -> None:
    need(isinstance(answers, dict), "Keep ex_idempotent a dictionary; only replace the `...`.")
    filled(list(answers.values()), "ex_idempotent")  # type: ignore[union-attr]
    expected = {
        "delete the month's rows, then insert the month's file, in one transaction": True,
        "append the month's file to raw_trips": False,
        "replace a table that holds only this month (CREATE OR REPLACE TABLE)": True,
        "append the file with a loaded_at = now() column": False,
    }
    for load, answer in expected.items():
        given = answers.get(load)  # type: ignore[union-attr]
        need(isinstance(given, bool), f"Answer True or False for “{load}”.")
        need(
            given == answer,
            f"Think again about “{load}”: run it twice for the same month. Is the table the "
            "same as after one run?",
        )


# -- 06 Testing DAGs --------------------------------------------------------------------------

MY_TESTS = ("test_no_import_errors", "test_expected_edges", "test_parquet_url_for")
RUN_TEST = "test_a_month_runs"
CHAIN = "ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()"
MUTANTS = {
    "test_no_import_errors": (
        "an import error",
        lambda text: text.replace("import pendulum\n", "import pendulum\nimport no_such_module\n"),
    ),
    "test_expected_edges": (
        "dbt_test wired before dbt_run",
        lambda text: text.replace(
            CHAIN, "ingest_taxi_month() >> dbt_test() >> dbt_run() >> notify()"
        ),
    ),
    "test_parquet_url_for": (
        "parquet_url_for building yellow_tripdata_ URLs",
        lambda text: text.replace("/green_tripdata_", "/yellow_tripdata_"),
    ),
}


def _first_failure_line(output: str, test: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("E ")]
    return lines[0][2:].strip() if lines else f"see wb.pytest(...) output for {test}"


@exercise("ch06_my_tests", success="your tests pass on the real DAG and catch all three bugs")
def _my_tests(wb: Any) -> None:
    path = wb.work / "test_my_dag.py"
    need(path.exists(), "There is no test_my_dag.py yet: run the %%writefile cell first.")
    good = wb.pytest(path)
    outcomes = {n: "passed" for n in good.passed}
    outcomes |= {n: "failed" for n in good.failed} | {n: "skipped" for n in good.skipped}
    missing = [t for t in (*MY_TESTS, RUN_TEST) if t not in outcomes]
    need(not missing, f"Keep the test names as they were; missing: {missing}.")
    skipped = [t for t in (*MY_TESTS, RUN_TEST) if outcomes[t] == "skipped"]
    need(not skipped, f"These tests still skip: {skipped}. Replace each pytest.skip(...) line.")
    for test in (*MY_TESTS, RUN_TEST):
        if outcomes[test] == "failed":
            raise Hint(
                f"{test} fails on the real, working DAG: {_first_failure_line(good.output, test)}"
            )
    original = wb.dag_file("ch05_taxi_pipeline").read_text()
    for test, (bug, mutate) in MUTANTS.items():
        mutant = wb.work / "mutants" / test / "ch05_taxi_pipeline.py"
        mutant.parent.mkdir(parents=True, exist_ok=True)
        mutant.write_text(mutate(original))
        result = wb.pytest(path, "-k", f"not {RUN_TEST}", env={"DAG_UNDER_TEST": str(mutant)})
        need(
            test in result.failed,
            f"{test} still passes on a copy of the DAG with {bug}. Make it assert something "
            "that such a bug would break.",
        )


@exercise("ch06_which_layer", success="each bug caught by the cheapest test that can see it")
def _which_layer(wb: Any, answers: object) -> None:
    need(isinstance(answers, dict), "Keep ex_layer a dictionary; only replace the `...`.")
    filled(list(answers.values()), "ex_layer")  # type: ignore[union-attr]
    expected = {
        "a typo in an import at the top of the DAG file": "integrity",
        "parquet_url_for builds yellow_tripdata_ instead of green_tripdata_": "unit",
        "dbt_test is wired to run before dbt_run": "integrity",
        "the load's SQL names a column the raw table does not have": "run",
    }
    for bug, layer in expected.items():
        given = str(answers.get(bug, "")).strip()  # type: ignore[union-attr]
        need(given in {"integrity", "unit", "run"}, f"{given!r}: answer integrity, unit or run.")
        need(
            given == layer,
            f"Think again about “{bug}”: what is the first moment this bug could be seen?",
        )


# -- 07 Monitoring and Debugging --------------------------------------------------------------


@exercise("ch07_fix_model", success="with that fix, dbt_run and dbt_test are green again")
def _fix_model(wb: Any, wrong: object, right: object) -> None:
    import os
    import shutil

    filled(wrong, "ex_wrong_name")
    filled(right, "ex_right_name")
    need(isinstance(wrong, str) and isinstance(right, str), "Give both names as strings.")
    project = wb.work / "fix_check" / "taxi_dbt"
    shutil.rmtree(project.parent, ignore_errors=True)
    shutil.copytree(wb.dbt_project, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "staging" / "stg_trips.sql"
    broken = model.read_text().replace("and fare_amount >= 0", "and fare_amnt >= 0")
    need(
        str(wrong) in broken,
        f"{wrong!r} does not appear in the broken model: copy the name from the error message.",
    )
    model.write_text(broken.replace(str(wrong), str(right)))
    saved = {key: os.environ.get(key) for key in ("TAXI_DBT_PROJECT_DIR", "AIRFLOW_STUDENT")}
    # A schema of its own: only May, whatever else this notebook loaded meanwhile.
    os.environ.update(TAXI_DBT_PROJECT_DIR=str(project), AIRFLOW_STUDENT="fix_check")
    try:
        report = wb.run("ch07_taxi_pipeline", "2024-05-01")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    need(
        report.tasks["dbt_run"].state == "success",
        f"With {wrong!r} replaced by {right!r}, dbt_run still fails. Which column does "
        "raw_trips really have? The error message suggests one.",
    )
    need(report.succeeded, f"dbt_run works now, but the run still failed: {report.failed_tasks}")


@exercise("ch07_read_the_log", success="found from the report and the log, not by guessing")
def _read_the_log(wb: Any, report: Any, failed_task: object, failing_test: object) -> None:
    filled(failed_task, "ex_failed_task")
    filled(failing_test, "ex_failing_test")
    failed = [t for t, r in report.tasks.items() if r.state == "failed" and t != "notify"]
    need(
        failed_task in failed,
        f"{failed_task!r} did not fail in that run. Look at the run's table: which task is red "
        "(other than notify, which only reports)?",
    )
    log = wb.log(report, str(failed_task))
    failing = set(re.findall(r"\d+ of \d+ FAIL \d+ (\S+)", log))
    need(
        failing_test in failing,
        f"{failing_test!r} is not one of the tests that failed. Search the task's log for lines "
        "containing FAIL.",
    )


@exercise("ch07_retry_or_fix", success="retries for the transient, a person for the rest")
def _retry_or_fix(wb: Any, answers: object) -> None:
    need(isinstance(answers, dict), "Keep ex_response a dictionary; only replace the `...`.")
    filled(list(answers.values()), "ex_response")  # type: ignore[union-attr]
    expected = {
        "the source answers 503 Service Unavailable": "retry",
        "the source answers 403 for next month's file": "fix",
        "dbt: Referenced column not found": "fix",
        "the connection to the source timed out": "retry",
        "dbt test unique_stg_trips_trip_key failed": "fix",
    }
    for failure, response in expected.items():
        given = str(answers.get(failure, "")).strip()  # type: ignore[union-attr]
        need(given in {"retry", "fix"}, f"{given!r}: answer 'retry' or 'fix'.")
        need(
            given == response,
            f"Think again about “{failure}”: would the very same request succeed a minute later?",
        )


RUNBOOK_SECTIONS = {
    "trigger": ("trigger", "manual", "run a month", "by hand"),
    "backfill": ("backfill",),
    "logs": ("log",),
    "failures": ("fail", "problem", "error", "incident"),
}


def _visible_text(markdown: str) -> str:
    without_comments = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"[#*`>_\-\[\]()|]", " ", without_comments)).strip()


@exercise("ch07_runbook", success="four sections, enough detail to hand it over; saved")
def _runbook(wb: Any, text: object) -> None:
    filled(text, "ex_runbook")
    need(isinstance(text, str), "ex_runbook should be Markdown text in triple quotes.")
    runbook = str(text)
    need("..." not in runbook, "The runbook still contains `...`: replace every placeholder.")
    need("fill in" not in runbook.lower(), "The runbook still says 'fill in' somewhere.")
    headings = [h.lower() for h in re.findall(r"^##\s+(.+)$", runbook, flags=re.M)]
    for section, words in RUNBOOK_SECTIONS.items():
        need(
            any(mentions(h, *words) for h in headings),
            f"There is no ## section about {section} yet (a heading mentioning "
            f"{' or '.join(repr(w) for w in words)}).",
        )
    failures = next(
        (
            part
            for part in re.split(r"^##\s+", runbook, flags=re.M)
            if mentions(part.splitlines()[0], *RUNBOOK_SECTIONS["failures"])
        ),
        "",
    )
    items = re.findall(r"^\s*(?:[-*]|\d+[.)])\s+\S", failures, flags=re.M)
    need(len(items) >= 3, "List at least three failures (as - bullets or 1. numbers).")
    visible = len(_visible_text(runbook))
    need(visible >= 400, f"The runbook has {visible} characters of text; aim for at least 400.")
    need(
        mentions(runbook, "wb.run", "airflow dags trigger", "workbook run", "astro"),
        "Show the exact command or call that triggers a run, so a classmate can copy it.",
    )
    target = wb.work / "RUNBOOK.md"
    target.write_text(runbook.strip() + "\n")


# -- 08 Deploying to Shared Airflow -----------------------------------------------------------


@exercise("ch08_dry_run", success="your DAG would load on the shared scheduler, under your name")
def _dry_run(wb: Any, student: object, dry_run: object) -> None:
    _student_name(wb, student, "ex_student")
    filled(dry_run, "ex_dry_run")
    need(
        hasattr(dry_run, "checks") and hasattr(dry_run, "student"),
        "ex_dry_run should hold what shared_dry_run(...) returns.",
    )
    need(
        dry_run.student == student,  # type: ignore[union-attr]
        f"That dry run was for {dry_run.student!r}, not for you ({student!r}).",  # type: ignore[union-attr]
    )
    failing = [c.name for c in dry_run.checks if not c.passed]  # type: ignore[union-attr]
    need(not failing, f"Your dry run has problems: {failing}. Look at its table.")


@exercise("ch08_my_run", success="your run loaded into your own schema")
def _my_run(wb: Any, student: object, report: object) -> None:
    _student_name(wb, student, "ex_student")
    filled(report, "ex_my_run")
    need(hasattr(report, "tasks"), "ex_my_run should hold the report wb.run(...) returns.")
    need(
        report.dag_id == "taxi_pipeline",  # type: ignore[union-attr]
        "Run the reference DAG, taxi_pipeline.",
    )
    need(
        report.logical_date is not None and f"{report.logical_date:%Y-%m}" == "2024-02",  # type: ignore[union-attr]
        "Run it for February 2024 (logical date 2024-02-01).",
    )
    need(report.succeeded, f"The run did not succeed: {report.failed_tasks}")  # type: ignore[union-attr]
    schema = f"airflow_{student}"
    months = wb.counts(student=str(student))
    need(
        "2024-02" in months,
        f"There is no February in {schema}.raw_trips. Was AIRFLOW_STUDENT set to "
        f"{student!r} when the run started?",
    )
    import os

    need(
        os.environ.get("AIRFLOW_STUDENT") == "default",
        'Set AIRFLOW_STUDENT back to "default" after your run, as the exercise asks.',
    )


@exercise("ch08_etiquette", success="a good neighbour on the shared scheduler")
def _etiquette(wb: Any, answers: object) -> None:
    need(isinstance(answers, dict), "Keep ex_fine a dictionary; only replace the `...`.")
    filled(list(answers.values()), "ex_fine")  # type: ignore[union-attr]
    expected = {
        "pause a classmate's DAG because its failures clutter the UI": False,
        "tag your DAG with student:<your name>": True,
        "run your DAG and its tests locally before opening the pull request": True,
        "start a backfill of 30 months on the shared scheduler to see if it works": False,
        "clear your own failed task once you know the cause is fixed": True,
    }
    for action, fine in expected.items():
        given = answers.get(action)  # type: ignore[union-attr]
        need(isinstance(given, bool), f"Answer True or False for “{action}”.")
        need(given == fine, f"Think again about “{action}”: who else does it affect?")


# -- 09 Practice ------------------------------------------------------------------------------


def _taxi_report(report: object, what: str, month: str) -> Any:
    filled(report, what)
    need(hasattr(report, "tasks"), f"{what} should hold the report wb.run(...) returns.")
    need(report.dag_id == "taxi_pipeline", "Use the reference DAG, taxi_pipeline.")  # type: ignore[union-attr]
    when = report.logical_date  # type: ignore[union-attr]
    need(
        when is not None and f"{when:%Y-%m}" == month,
        f"Run it for the logical date {month}-01.",
    )
    return report


@exercise("ch09_first_run", success="January 2024 is loaded, modelled and tested")
def _first_run(wb: Any, report: object) -> None:
    report = _taxi_report(report, "ex1_report", "2024-01")
    need(report.succeeded, f"The run failed at {report.failed_tasks}; read their logs.")
    need("2024-01" in wb.counts(), "raw_trips has no January rows in this notebook's warehouse.")


SEVEN_MONTHS = [f"2024-{m:02d}" for m in range(1, 8)]


def _seven_runs(runs: object, what: str) -> list:
    filled(runs, what)
    need(
        isinstance(runs, list) and all(hasattr(r, "tasks") for r in runs),
        f"{what} should hold what wb.backfill(...) returns.",
    )
    months = [f"{r.logical_date:%Y-%m}" for r in runs if r.logical_date]  # type: ignore[union-attr]
    need(months == SEVEN_MONTHS, f"{what} ran {months}; it should run 2024-01 to 2024-07.")
    need(
        all(r.dag_id == "taxi_pipeline" for r in runs),  # type: ignore[union-attr]
        "Backfill the reference DAG, taxi_pipeline.",
    )
    failed = [m for m, r in zip(months, runs, strict=True) if not r.succeeded]  # type: ignore[arg-type]
    need(not failed, f"These months failed: {failed}. Read their logs.")
    return runs  # type: ignore[return-value]


@exercise("ch09_backfill", success="seven green runs, seven months in raw_trips")
def _backfill(wb: Any, runs: object) -> None:
    _seven_runs(runs, "ex2_runs")
    counts = wb.counts()
    missing = [m for m in SEVEN_MONTHS if not counts.get(m)]
    need(not missing, f"raw_trips has no rows for {missing}.")


@exercise("ch09_idempotent", success="identical before and after: the rerun changed nothing")
def _idempotent(wb: Any, before: object, rerun: object, after: object) -> None:
    for value, what in ((before, "ex3_before"), (after, "ex3_after")):
        filled(value, what)
        need(
            isinstance(value, dict) and "raw_trips" in value,
            f"{what} should hold what wb.fingerprint() returns.",
        )
    _seven_runs(rerun, "ex3_rerun")
    need(before["raw_trips"][0] > 0, "ex3_before was taken on an empty warehouse.")  # type: ignore[index]
    changed = [t for t in before if before[t] != after.get(t)]  # type: ignore[union-attr,index]
    need(
        not changed,
        f"These tables changed with the rerun: {changed}. Did something else run in between, "
        "or is the load appending?",
    )


@exercise("ch09_integrity_test", success="green on the real folder, red on both broken ones")
def _integrity_test(wb: Any) -> None:
    import shutil

    from workbook import paths

    path = wb.work / "test_integrity.py"
    need(path.exists(), "There is no test_integrity.py yet: run the %%writefile cell first.")
    tests = ("test_no_import_errors", "test_taxi_pipeline_has_tags")
    good = wb.pytest(path)
    for test in tests:
        need(test in good.passed + good.failed + good.skipped, f"Keep the test named {test}.")
        need(test not in good.skipped, f"{test} still skips: replace its pytest.skip(...) line.")
        need(
            test not in good.failed,
            f"{test} fails on the real dags/ folder: {_first_failure_line(good.output, test)}",
        )
    folders = {}
    for test, (bug, mutate) in {
        "test_no_import_errors": (
            "a file that does not import",
            # DagBag only imports files that mention both "airflow" and "dag".
            lambda folder: (folder / "broken.py").write_text("from airflow.sdk import dag, taks\n"),
        ),
        "test_taxi_pipeline_has_tags": (
            "taxi_pipeline without tags",
            lambda folder: (folder / "taxi_pipeline.py").write_text(
                (folder / "taxi_pipeline.py")
                .read_text()
                .replace('tags=["week11", "taxi", f"student:{STUDENT}"]', "tags=[]")
            ),
        ),
    }.items():
        folder = wb.work / "mutants" / test
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(paths.dags_folder(), folder, ignore=shutil.ignore_patterns("__pycache__"))
        mutate(folder)
        folders[test] = folder
        result = wb.pytest(path, env={"DAGS_UNDER_TEST": str(folder)})
        need(test in result.failed, f"{test} still passes on a folder with {bug}.")


@exercise("ch09_find_the_failure", success="the failing task and every failing test, from the log")
def _find_the_failure(wb: Any, report: Any, task: object, tests: object) -> None:
    filled(task, "ex5_failed_task")
    filled(tests, "ex5_failing_tests")
    need(
        task == "dbt_test",
        f"{task!r} is not the task that found the problem. Which task is red in the run's table "
        "(notify only reports)?",
    )
    need(isinstance(tests, list | tuple | set), "ex5_failing_tests should be a list of names.")
    failing = set(re.findall(r"\d+ of \d+ FAIL \d+ (\S+)", wb.log(report, "dbt_test")))
    given = {str(t).strip() for t in tests}  # type: ignore[union-attr]
    wrong = sorted(given - failing)
    need(not wrong, f"These did not fail in that run: {wrong}.")
    need(
        given == failing,
        f"You found {len(given)} of the {len(failing)} failing tests. Search the dbt_test log "
        "for every line with FAIL.",
    )


@exercise("ch09_flaky_source", success="two 503s, three tries, one green run")
def _flaky_source(wb: Any, report: object) -> None:
    report = _taxi_report(report, "ex6_report", "2024-06")
    tries = report.tasks["ingest_taxi_month"].tries
    need(
        tries == 3,
        f"ingest_taxi_month needed {tries} tries. Make the source answer 503 to the first two "
        'requests: wb.source.faults({"2024-06": {"transient": 2}}), before the run.',
    )
    need(
        report.succeeded, f"The run should succeed after the retries; failed: {report.failed_tasks}"
    )
    need(
        not wb.source.current_faults(),
        "The source still has faults set: clear them with wb.source.faults({}).",
    )


exercise("ch09_runbook", success="four sections, enough detail to hand it over; saved")(_runbook)


# -- 10 Gotchas & Pitfalls --------------------------------------------------------------------


@exercise("ch10_spot_the_gotcha", success="five snippets, five pitfalls recognised")
def _spot_the_gotcha(wb: Any, answers: object) -> None:
    need(isinstance(answers, dict), "Keep ex_gotcha a dictionary; only replace the `...`.")
    filled(list(answers.values()), "ex_gotcha")  # type: ignore[union-attr]
    expected = {
        "month = datetime.now().strftime('%Y-%m')  # inside a task": 1,
        "CONFIG = requests.get('https://api.example.org/config').json()  # top of the file": 7,
        "@dag(start_date=datetime(2024, 1, 1), ...)": 5,
        "return df.to_dict('records')  # 2 million rows, to the next task": 6,
        "INSERT INTO raw_trips SELECT * FROM read_parquet(?)  # no DELETE before it": 3,
    }
    for snippet, number in expected.items():
        given = answers.get(snippet)  # type: ignore[union-attr]
        need(isinstance(given, int), f"Answer with the pitfall's number (1 to 10) for {snippet!r}.")
        need(given == number, f"Look again at {snippet!r}: which section shows that mistake?")


@exercise("ch10_safe_retry", success="retried, and still exactly one copy of January")
def _safe_retry(wb: Any, report: object) -> None:
    filled(report, "ex_safe_run")
    need(hasattr(report, "tasks"), "ex_safe_run should hold the report wb.run(...) returns.")
    need(report.dag_id == "ch10_retry_append", "Run ch10_retry_append.")  # type: ignore[union-attr]
    task = report.tasks["load_then_confirm"]  # type: ignore[union-attr]
    need(
        task.tries == 2,
        f"The task ran {task.tries} time(s). Set the fault first, so the confirmation fails once: "
        'wb.source.faults({"2024-02": {"transient": 1}}).',
    )
    rows = wb.xcom(report, "load_then_confirm")
    from taxi_source.generator import month_rows

    january = len(month_rows(2024, 1))
    need(
        rows == january,
        f"After the retry the table holds {rows} rows, not one January ({january}): choose the "
        'mode that deletes before it inserts, conf={"mode": ...}.',
    )
    need(not wb.source.current_faults(), "Clear the fault afterwards: wb.source.faults({}).")
