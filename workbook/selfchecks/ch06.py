"""Self-checks of chapter 06, Testing DAGs. The student's tests are run on the real DAG (they
must pass) and on broken copies of it (each must catch its bug)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from workbook.selfchecks import own_pipeline
from workbook.selfchecks.registry import Hint, answer_dict, exercise, first_failure_line, need

if TYPE_CHECKING:
    from workbook.session import Workbook

MY_TESTS = ("test_no_import_errors", "test_expected_edges", "test_parquet_url_for")
RUN_TEST = "test_a_month_runs"
CHAIN = "ingest_taxi_month() >> dbt_run() >> dbt_test() >> notify()"
# test -> (the bug it must catch, how to put that bug into the DAG file's text)
MUTANTS: dict[str, tuple[str, Callable[[str], str]]] = {
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
TEST_LAYERS = {
    "a typo in an import at the top of the DAG file": "integrity",
    "parquet_url_for builds yellow_tripdata_ instead of green_tripdata_": "unit",
    "dbt_test is wired to run before dbt_run": "integrity",
    "the load's SQL names a column the raw table does not have": "run",
}


@exercise("ch06_my_tests", success="your tests pass on the real DAG and catch all three bugs")
def my_tests(wb: Workbook) -> None:
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
                f"{test} fails on the real, working DAG: {first_failure_line(good.output, test)}"
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
def which_layer(wb: Workbook, answers: object) -> None:
    given_answers = answer_dict(answers, "ex_layer")
    for bug, layer in TEST_LAYERS.items():
        given = str(given_answers.get(bug, "")).strip()
        need(given in {"integrity", "unit", "run"}, f"{given!r}: answer integrity, unit or run.")
        need(
            given == layer,
            f"Think again about “{bug}”: what is the first moment this bug could be seen?",
        )


@exercise("ch06_own_pipeline", success=own_pipeline.SUCCESS["06"])
def own_pipeline_step(wb: Workbook) -> None:
    own_pipeline.check(wb, "06")
