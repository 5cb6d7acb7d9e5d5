"""DAG files: found by id, saved atomically, parsed, and explained when they give no DAG."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook import dag_files
from workbook.errors import WorkbookError

GOOD = """
import pendulum
from airflow.sdk import dag, task


@dag(schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["t"])
def {name}():
    @task
    def hello():
        return 1

    hello()


{name}()
"""


def test_write_atomic_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = dag_files.write_atomic(tmp_path / "deep" / "file.py", "x = 1\n")
    assert path.read_text() == "x = 1\n"
    assert [p.name for p in path.parent.iterdir()] == ["file.py"]


def test_a_dag_file_is_found_in_the_first_folder_that_has_it(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        (folder / "mine.py").write_text("")
    assert dag_files.find_dag_file([first, second], "mine") == first / "mine.py"
    with pytest.raises(WorkbookError, match=r"No file other\.py in .*named after its dag_id"):
        dag_files.find_dag_file([first, second], "other")


def test_an_import_error_is_explained_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    error = f'Traceback:\n  File "{path}", line 3, in <module>\nNameError: name "taks" is not '
    error += "defined"
    message = dag_files.import_problem(path, {str(path): error}, "broken")
    assert message.startswith("❌ Airflow cannot load ")
    assert message.endswith(', line 3: NameError: name "taks" is not defined')


def test_a_file_without_the_dag_gets_the_usual_reasons(tmp_path: Path) -> None:
    message = dag_files.import_problem(tmp_path / "x.py", {}, "x")
    assert "defines no DAG 'x'" in message and "called at the bottom" in message


def test_write_dag_saves_and_says_what_airflow_found(tmp_path: Path, capsys) -> None:
    path = dag_files.write_dag(tmp_path, "unit_hello", GOOD.format(name="unit_hello"))
    assert path == tmp_path / "unit_hello.py"
    assert "DAG 'unit_hello' with tasks: hello" in capsys.readouterr().out
    assert dag_files.load_dag(path, "unit_hello").dag_id == "unit_hello"
    listed = dag_files.list_dags([tmp_path])
    assert [(r["dag_id"], r["schedule"], r["tags"]) for r in listed] == [
        ("unit_hello", "@daily", "t")
    ]


def test_write_dag_reports_a_broken_file_instead_of_raising(tmp_path: Path, capsys) -> None:
    dag_files.write_dag(tmp_path, "unit_broken", "from airflow.sdk import dag, taks\n")
    out = capsys.readouterr().out
    assert out.startswith("❌ Airflow cannot load") and "line 1" in out
    with pytest.raises(WorkbookError, match="cannot load"):
        dag_files.load_dag(tmp_path / "unit_broken.py", "unit_broken")


def test_a_dag_name_must_be_a_python_module_name(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="lowercase letters, digits and _"):
        dag_files.write_dag(tmp_path, "My DAG", "")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("schedule", "text"),
    [(None, "None"), ("@daily", "@daily"), ((), "on asset ")],
)
def test_schedules_in_a_word(schedule: object, text: str) -> None:
    assert dag_files.schedule_text(schedule) == text
