"""Solution regions of the reference DAG: parsing, stubbing, and the stub giving nothing away."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from course import stubs
from course.errors import CourseError
from tests.conftest import REPO

REFERENCE_DAG = REPO / "dags" / "taxi_pipeline.py"

EXAMPLE = textwrap.dedent(
    """\
    def double(x):
        \"\"\"Twice x.\"\"\"
        ### BEGIN SOLUTION: return twice x
        result = x * 2
        return result
        ### END SOLUTION


    CONFIG = dict(
        name="demo",
        ### BEGIN SOLUTION (comment only): the retries
        retries=2,
        ### END SOLUTION
    )
    """
)


def test_a_region_becomes_a_fill_in_comment_and_a_raise_naming_the_function() -> None:
    stubbed = stubs.strip_solutions(EXAMPLE)
    assert "    # fill in: return twice x\n" in stubbed
    assert '    raise NotImplementedError("fill in: double")\n' in stubbed
    assert "x * 2" not in stubbed and "return result" not in stubbed


def test_a_comment_only_region_keeps_the_file_valid_inside_a_call() -> None:
    stubbed = stubs.strip_solutions(EXAMPLE)
    assert "    # fill in: the retries\n" in stubbed
    assert "retries=2" not in stubbed
    namespace: dict = {}
    exec(compile(stubbed, "example.py", "exec"), namespace)  # our own text, not student code
    assert namespace["CONFIG"] == {"name": "demo"}
    with pytest.raises(NotImplementedError, match="fill in: double"):
        namespace["double"](2)


def test_stubs_never_say_todo() -> None:
    stubbed = stubs.strip_solutions(REFERENCE_DAG.read_text())
    assert "TODO" not in stubbed.upper().replace("TODAY", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 1\n### BEGIN SOLUTION\ny = 2\n", "<text>:2: this solution region is never closed"),
        ("### END SOLUTION\n", "<text>:1: `### END SOLUTION` without a `### BEGIN SOLUTION`"),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
            "<text>:2: a solution region starts inside the one opened on line 1",
        ),
        ("    ### BEGIN SOLUTIONS here\n", "<text>:1: unrecognised solution marker"),
    ],
    ids=["unclosed", "end-without-begin", "nested", "malformed"],
)
def test_bad_markers_are_reported_with_file_and_line(text: str, message: str) -> None:
    with pytest.raises(CourseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        stubs.find_regions(text)


def test_the_reference_is_what_nbgrader_config_stubs() -> None:
    assert stubs.REFERENCE_DAG == REFERENCE_DAG
    assert len(stubs.find_regions(REFERENCE_DAG.read_text(), str(REFERENCE_DAG))) == 11


def test_the_stub_is_written_once_and_then_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "dags" / "taxi_pipeline.py"
    assert stubs.write_student_dag(target) is True
    assert target.read_text() == stubs.strip_solutions(REFERENCE_DAG.read_text())
    assert target.stat().st_mode & 0o777 == 0o644
    assert stubs.write_student_dag(target) is False
    target.write_text("stale\n")
    assert stubs.write_student_dag(target) is True
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_the_stubbed_dag_keeps_no_solution_line() -> None:
    source = REFERENCE_DAG.read_text()
    stubbed = stubs.strip_solutions(source)
    assert stubs.leaked_solution_lines(stubbed, source) == []
    assert not stubs.MARKER.search(stubbed)
    # What students write: the load, the month logic, the schedule, the wiring.
    for solution in ["DELETE FROM", 'schedule="@monthly"', "max_active_runs=1", ">> dbt_run()"]:
        assert solution in source and solution not in stubbed, solution
    # What they keep: the DAG id, the task functions, the given helpers.
    for kept in [
        'dag_id=dag_id_for("taxi_pipeline")',
        "def ingest_taxi_month",
        "def notify",
        "def _download",
    ]:
        assert kept in stubbed, kept


def test_the_leak_check_catches_a_solution_line(tmp_path: Path) -> None:
    source = REFERENCE_DAG.read_text()
    leaky = stubs.strip_solutions(source) + '\n    schedule="@monthly",\n'
    assert stubs.leaked_solution_lines(leaky, source) == ['schedule="@monthly",']
