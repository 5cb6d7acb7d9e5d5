"""Airflow's logs cleaned for people, on a recorded `dag.test()` run: a task that succeeds and
one that fails twice (fixtures/fail_dag_run.log)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_env import logs

RUN = (Path(__file__).parent / "fixtures" / "fail_dag_run.log").read_text()
LIBRARY = '  File "/venv/lib/python3.11/site-packages/airflow/sdk/x.py", line 1, in run'
STUDENT = '  File "/home/ada/dags/fail_dag.py", line 10, in boom'


def test_a_run_splits_into_task_logs_with_every_try() -> None:
    tasks = logs.split_task_logs(RUN)
    assert list(tasks) == ["fine", "boom"]
    assert tasks["fine"].count("[DAG TEST] starting") == 1
    assert tasks["boom"].count("[DAG TEST] starting") == 2
    assert "Returned value was: 1" not in tasks["boom"]


def test_the_last_try_of_a_task_is_its_own_log() -> None:
    last = logs.last_try_log(RUN, "boom")
    assert last.count("[DAG TEST] starting task_id=boom") == 1
    assert last.splitlines()[-1].endswith("loc=dag.py:1563")
    assert "No tasks to run" not in last  # between the tries, not part of either
    assert logs.last_try_log(RUN, "never_ran") == ""


def test_readable_log_keeps_tries_messages_errors_and_the_students_frames() -> None:
    text = logs.readable_log(logs.split_task_logs(RUN)["boom"])
    lines = text.splitlines()
    assert [line.split(" ", 1)[1] for line in lines if "---- try" in line] == [
        "---- try 1 ----",
        "---- try 2 ----",
    ]
    assert "         about to fail" in lines
    assert "06:00:13 ERROR Task failed with exception" in lines
    assert "    " + STUDENT.strip() in lines
    assert '      raise ValueError("the file has 3 broken rows")' in lines
    assert "  ValueError: the file has 3 broken rows" in lines
    assert "06:00:15 state -> up_for_retry" in lines


def test_readable_log_leaves_out_the_plumbing() -> None:
    text = logs.readable_log(logs.split_task_logs(RUN)["fine"] + "\n" + RUN)
    for plumbing in ("site-packages", "<frozen", "::endgroup::", "running task", "Pushing xcom"):
        assert plumbing not in text, plumbing
    assert "^^^" not in text and "rows_affected" not in text


def test_readable_log_removes_colours() -> None:
    coloured = "\x1b[2m2026-01-05T06:00:00.1Z\x1b[0m [\x1b[32minfo     \x1b[0m] hello [task]"
    assert logs.readable_log(coloured) == "06:00:00 hello"


def test_failure_excerpt_puts_the_telling_lines_first_and_the_end_after() -> None:
    log = logs.without_timestamps(logs.last_try_log(RUN, "boom"))
    excerpt = logs.failure_excerpt(log, 12).splitlines()
    marker = excerpt.index("[...]")
    assert "ValueError: the file has 3 broken rows" in excerpt[:marker]
    assert STUDENT in excerpt[marker:]
    assert not any("site-packages" in line or "<frozen" in line for line in excerpt)
    assert not any("::group::" in line or "[DAG TEST]" in line for line in excerpt)
    assert len(excerpt) <= 13


def test_without_timestamps_makes_a_log_read_the_same_every_time() -> None:
    text = logs.without_timestamps(
        "2026-01-05T06:00:01.001000Z [info     ] hello [task]\n12:00:01  1 of 2 OK"
    )
    assert text == "[info     ] hello [task]\n1 of 2 OK"


def test_without_airflow_lines_keeps_what_a_command_printed() -> None:
    output = (
        "2026-01-05T06:00:00.1Z [info     ] Filling up the DagBag [airflow.models.dagbag]\n"
        "\x1b[32m2 passed\x1b[0m in 0.5s\n"
        "\x1b]0;a terminal title\n"
    )
    assert logs.without_airflow_lines(output) == "2 passed in 0.5s"


@pytest.mark.parametrize(
    ("frame", "library"),
    [
        (LIBRARY, True),
        ('  File "<frozen importlib._bootstrap>", line 241, in _call', True),
        ('  File "/usr/lib/python3.11/json/decoder.py", line 3, in decode', True),
        (STUDENT, False),
        ('  File "/tmp/autograder-x/s-1/submission/dags/taxi_pipeline.py", line 5', False),
    ],
    ids=["site-packages", "frozen", "stdlib", "dag-file", "sandboxed-dag-file"],
)
def test_library_frames_are_told_from_the_students(frame: str, library: bool) -> None:
    assert logs.is_library_frame(frame) is library


def test_without_library_frames_drops_their_source_lines_too() -> None:
    lines = ["Traceback (most recent call last):", LIBRARY, "    helper()", STUDENT]
    lines += ['    raise ValueError("x")', "ValueError: x"]
    assert logs.without_library_frames(lines) == [
        "Traceback (most recent call last):",
        STUDENT,
        '    raise ValueError("x")',
        "ValueError: x",
    ]
