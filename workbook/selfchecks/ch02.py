"""Self-checks of chapter 02, Airflow Fundamentals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook.selfchecks.registry import answer_dict, exercise, load_student_dag, need

if TYPE_CHECKING:
    from workbook.session import Workbook

VOCABULARY = {
    "a workflow: steps plus the order between them, defined in a Python file": "DAG",
    "one step of a workflow, such as dbt_run": "task",
    "one execution of one step within one run; it has a state and a try number": "task instance",
    "a reusable kind of step, such as 'run this shell command'": "operator",
    "a small value one step hands to the next through Airflow's database": "XCom",
}


@exercise("ch02_my_first_dag", success="your DAG loads, runs, and shout got count_letters' 13")
def my_first_dag(wb: Workbook) -> None:
    dag = load_student_dag(wb, "ch02_my_first_dag", "%%dag ch02_my_first_dag")
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


@exercise("ch02_vocabulary", success="all five terms in the right place")
def vocabulary(wb: Workbook, answers: object) -> None:
    given_answers = answer_dict(answers, "ex_vocabulary")
    terms = set(VOCABULARY.values())
    for description, expected in VOCABULARY.items():
        given = str(given_answers.get(description, "")).strip()
        need(
            given.lower() in {t.lower() for t in terms},
            f"{given!r} is not one of the five terms {sorted(terms)}.",
        )
        need(
            given.lower() == expected.lower(),
            f"Look again at “{description}”: {given!r} is not the best fit.",
        )
