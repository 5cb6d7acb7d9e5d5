"""The grading DAG's parts without a class stack: its params, its notification line, its shape
as the dag-processor sees it, and a student folder that is not a submission. The DAG on the
real stack: tests/class_airflow/test_grading_dag.py."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from autograder.airflow_grading import tasks
from autograder.errors import AutograderError
from autograder.grading import grade_class
from autograder.reporters.gradescope import read_result

DAG_FOLDER = Path(tasks.__file__).resolve().parent / "dags"
DAG_FILE = DAG_FOLDER / "grade_assignment.py"


def _params(tmp_path: Path, **changes) -> dict:
    return {"submissions": str(tmp_path / "class"), "out": str(tmp_path / "out"), **changes}


def test_params_become_a_request_with_absolute_paths(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(tasks.ROOT_VARIABLE, raising=False)
    request = tasks.request_from(_params(tmp_path, public_only=True, import_timeout=10))
    assert request.submissions == (tmp_path / "class").resolve()
    assert request.options().public_only and request.options().import_timeout == 10


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"submissions": "class"}, "param 'submissions' is 'class', a relative path"),
        ({"out": None}, "param 'out'"),
        ({"import_timeout": 0}, "param 'import_timeout'"),
        ({"colour": "red"}, "param 'colour'"),
    ],
    ids=["relative", "missing", "zero-timeout", "unknown"],
)
def test_a_bad_param_is_named(tmp_path, monkeypatch, changes, words) -> None:
    monkeypatch.delenv(tasks.ROOT_VARIABLE, raising=False)
    with pytest.raises(AutograderError, match="Fix:") as raised:
        tasks.request_from(_params(tmp_path, **changes))
    assert words in str(raised.value)


def test_paths_outside_the_grading_folder_are_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(tasks.ROOT_VARIABLE, str(tmp_path / "grading"))
    inside = _params(tmp_path / "grading")
    assert tasks.request_from(inside).out == (tmp_path / "grading" / "out").resolve()
    with pytest.raises(AutograderError, match="param 'out' .* outside the grading folder"):
        tasks.request_from({**inside, "out": "/etc/cron.d"})
    with pytest.raises(AutograderError, match="outside the grading folder"):
        tasks.request_from({**inside, "submissions": str(tmp_path / "grading" / ".." / "x")})


def test_the_notification_is_one_line_and_appended(tmp_path, monkeypatch) -> None:
    target = tmp_path / "notes" / "grading.jsonl"
    monkeypatch.setenv(tasks.NOTIFICATIONS_VARIABLE, str(target))
    summary = {
        "students": 3,
        "graded": 2,
        "ungraded": ["bob"],
        "mean_score": 41.5,
        "tiers": {"core": 2, "none": 1},
        "report": "/g/out/class_report.html",
    }
    note = tasks.notification("manual__1", summary)
    assert note["line"] == (
        "grade_assignment manual__1: 2/3 graded, mean 41.5, tiers {'core': 2, 'none': 1}, "
        "NOT graded: bob; report: /g/out/class_report.html"
    )
    tasks.notification("manual__2", None)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [n["run_id"] for n in lines] == ["manual__1", "manual__2"]
    assert "FAILED before the class outputs" in lines[1]["line"]


def test_the_dag_file_imports_only_airflow_and_the_standard_library() -> None:
    """The dag-processor parses it without the project on its path."""
    tree = ast.parse(DAG_FILE.read_text())
    top = {
        (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name).split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    assert top <= {"__future__", "logging", "datetime", "pendulum", "airflow"}


def test_the_dag_maps_grading_on_its_own_queue_and_retries_only_grading() -> None:
    from airflow.models import DagBag

    bag = DagBag(str(DAG_FOLDER))
    assert bag.import_errors == {}
    dag = bag.dags["grade_assignment"]
    by_id = {t.task_id: t for t in dag.tasks}
    assert set(by_id) == {"discover", "grade_student", "collect", "notify"}
    assert {t.queue for t in dag.tasks} == {"grading"}
    grading = by_id["grade_student"]
    assert grading.retries == 2 and grading.execution_timeout is not None
    assert {t.retries for t in dag.tasks if t is not grading} == {0}
    assert by_id["collect"].trigger_rule == by_id["notify"].trigger_rule == "all_done"
    assert by_id["collect"].upstream_task_ids == {"discover", "grade_student"}
    assert dag.schedule is None or str(dag.timetable.summary) == "None"


@pytest.mark.slow
def test_a_folder_that_is_no_submission_is_a_grade_not_a_task_failure(tmp_path) -> None:
    lost = "lost work"  # not a student id: the folder cannot be loaded
    (tmp_path / "class" / lost / "dags").mkdir(parents=True)
    request = tasks.request_from(_params(tmp_path))
    graded = tasks.grade_student(request, lost)  # does not raise: nothing to retry
    assert graded["score"] == 0
    summary = tasks.collect_class(request, [lost], {lost: graded["seconds"]}, 1.0)
    assert summary["ungraded"] == [lost]
    cli = grade_class(tmp_path / "class", tmp_path / "cli")
    assert cli.ungraded == (lost,)
    assert read_result(tmp_path / "out", lost) == read_result(tmp_path / "cli", lost)
    grades = (tmp_path / "out" / "grades.csv").read_text()
    assert grades == (tmp_path / "cli" / "grades.csv").read_text()


def _class_repository(tmp_path: Path) -> tuple[Path, list[str]]:
    """A bare class repository: ada's DAG in two versions, bo's folder with only a README."""
    import subprocess

    work, bare = tmp_path / "work", tmp_path / "repo.git"

    def git(*args: str, cwd: Path = work) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=cwd, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

    work.mkdir()
    git("init", "--quiet", "--initial-branch", "main")
    commits = []
    for version in ("v1", "v2"):
        (work / "dags" / "ada").mkdir(parents=True, exist_ok=True)
        (work / "dags" / "bo").mkdir(parents=True, exist_ok=True)
        (work / "dags" / "ada" / "taxi_pipeline.py").write_text(f"# {version}\n")
        (work / "dags" / "bo" / "README.md").write_text("nothing yet\n")
        git("add", "-A")
        git("commit", "--quiet", "-m", version)
        commits.append(git("rev-parse", "HEAD"))
    git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare, commits


def test_a_class_repository_is_exported_per_student_at_the_commit(tmp_path) -> None:
    from autograder.airflow_grading import class_repository

    bare, (first, second) = _class_repository(tmp_path)
    into = tmp_path / "out" / "submissions"
    sha, students = class_repository.export(bare, first, into)
    assert (sha, students) == (first, ["ada"])  # bo has no Python file: nothing to grade
    assert (into / "ada" / "dags" / "taxi_pipeline.py").read_text() == "# v1\n"
    sha, _ = class_repository.export(bare, "main", into)  # replaces the earlier export
    assert sha == second
    assert (into / "ada" / "dags" / "taxi_pipeline.py").read_text() == "# v2\n"
    assert sorted(p.name for p in into.iterdir()) == ["ada"]
    with pytest.raises(AutograderError, match="Fix: give the class repository"):
        class_repository.export(bare, "no-such-branch", into)


def test_the_dag_takes_a_folder_or_a_repository_not_both(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(tasks.ROOT_VARIABLE, raising=False)
    bare, _ = _class_repository(tmp_path)
    request = tasks.request_from(
        {"repository": str(bare), "commit": "main", "out": str(tmp_path / "out")}
    )
    assert request.submissions == (tmp_path / "out" / tasks.REPOSITORY_EXPORT).resolve()
    assert request.repository == bare.resolve()
    with pytest.raises(AutograderError, match="not both and not neither"):
        tasks.request_from(_params(tmp_path, repository=str(bare)))
    with pytest.raises(AutograderError, match="not both and not neither"):
        tasks.request_from({"out": str(tmp_path / "out")})
