"""Self-checks of chapter 10, Gotchas & Pitfalls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook.selfchecks.registry import answer_dict, exercise, need, run_report

if TYPE_CHECKING:
    from workbook.session import Workbook

# snippet -> the number of the pitfall section that shows its mistake
GOTCHAS = {
    "month = datetime.now().strftime('%Y-%m')  # inside a task": 1,
    "CONFIG = requests.get('https://api.example.org/config').json()  # top of the file": 7,
    "@dag(start_date=datetime(2024, 1, 1), ...)": 5,
    "return df.to_dict('records')  # 2 million rows, to the next task": 6,
    "INSERT INTO raw_trips SELECT * FROM read_parquet(?)  # no DELETE before it": 3,
}


@exercise("ch10_spot_the_gotcha", success="five snippets, five pitfalls recognised")
def spot_the_gotcha(wb: Workbook, answers: object) -> None:
    given_answers = answer_dict(answers, "ex_gotcha")
    for snippet, number in GOTCHAS.items():
        given = given_answers.get(snippet)
        need(isinstance(given, int), f"Answer with the pitfall's number (1 to 10) for {snippet!r}.")
        need(given == number, f"Look again at {snippet!r}: which section shows that mistake?")


@exercise("ch10_safe_retry", success="retried, and still exactly one copy of January")
def safe_retry(wb: Workbook, report: object) -> None:
    run = run_report(
        report, "ex_safe_run", "ex_safe_run should hold the report wb.run(...) returns."
    )
    need(run.dag_id == "ch10_retry_append", "Run ch10_retry_append.")
    task = run.tasks["load_then_confirm"]
    need(
        task.tries == 2,
        f"The task ran {task.tries} time(s). Set the fault first, so the confirmation fails once: "
        'wb.source.faults({"2024-02": {"transient": 1}}).',
    )
    rows = wb.xcom(run, "load_then_confirm")
    from taxi_source.generator import month_rows

    january = len(month_rows(2024, 1))
    need(
        rows == january,
        f"After the retry the table holds {rows} rows, not one January ({january}): choose the "
        'mode that deletes before it inserts, conf={"mode": ...}.',
    )
    need(not wb.source.current_faults(), "Clear the fault afterwards: wb.source.faults({}).")
