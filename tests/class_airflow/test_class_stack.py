"""THE class test: the no-Docker twin with 2 Celery workers and a class of 25, for real.

One stack for the whole module (started once, stopped in the fixture's finally): 20 good
students push the reference DAG, 5 push hostile or broken files; everything goes through the
shared repository, the gate and the REST API, as in class. The tests run in file order and
build on each other (deploy, then run, then look at the warehouse). Measurements are printed
and written to test-artifacts/class_stack.json.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from class_airflow import credentials, deploy, provision, shared_repo
from class_airflow import roster as roster_module
from class_airflow.airflow_api import AirflowApi
from class_airflow.errors import ClassError
from class_airflow.placement import TwinPlacement
from class_airflow.stack import declare
from class_airflow.twin import processes, runner
from tests.class_airflow.stacks import (
    ClassStack,
    running_stack,
    settings_on_free_ports,
    wait_for,
)
from tests.class_airflow.students import (
    GOOD,
    HOSTILE,
    HOSTILE_REASONS,
    REFERENCE,
    clone,
    commit_as,
    push,
    roster_text,
)
from tests.conftest import LATEST_PUBLISHED, REPO
from tests.process_ledger import record_started

pytestmark = pytest.mark.slow
MONTH = "2024-02"  # a quiet month: one of the smallest files
LOGICAL_DATE = f"{MONTH}-01T00:00:00Z"
MEASURED: dict[str, float | int | str] = {}


@pytest.fixture(scope="module")
def stack():
    roster = roster_text([*GOOD, *HOSTILE]).replace(
        "Sophie,sophie@",
        '"<b>Sophie</b> & co",sophie@',  # a name the HTML page must escape
    )
    settings = settings_on_free_ports(
        workers=2,
        worker_concurrency=2,
        grading_workers=0,  # tests/class_airflow/test_grading_dag.py grades on its own stack
        sync_interval=3,
        gate_timeout=10,
        latest_month=LATEST_PUBLISHED,
    )
    try:
        with running_stack(roster, settings, MEASURED) as running:
            yield running
    finally:
        artifacts = REPO / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "class_stack.json").write_text(json.dumps(MEASURED, indent=2) + "\n")
        print("\nclass stack measurements:", json.dumps(MEASURED, indent=2))


def test_the_twin_runs_what_the_declaration_and_compose_yaml_say(stack: ClassStack) -> None:
    import yaml

    declared = declare(stack.settings)
    place = TwinPlacement(
        stack.paths, stack.roster_path.resolve(), credentials.class_env(stack.paths)
    )
    record = {e["name"]: e["pid"] for e in runner.load_record(stack.paths)["services"]}
    daemons = [s for s in declared.services if s.role == "daemon"]
    assert set(record) == {s.name for s in daemons}
    for service in daemons:
        started = runner.started_environment(stack.paths, service.name)
        wanted = {key: place.text(value) for key, value in service.environment.items()}
        assert {k: started.get(k) for k in wanted} == wanted, service.name
        for port in service.ports:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
    # And what the processes really have, wherever /proc still shows it (setproctitle and
    # PostgreSQL overwrite the environ of the processes that rename themselves).
    checked = set()
    for name, pid in record.items():
        wanted = {k: place.text(v) for k, v in declared.service(name).environment.items()}
        for process in processes.living_in_sessions({pid}):
            try:
                raw = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            actual = dict(item.decode().split("=", 1) for item in raw if b"=" in item)
            if "PATH" in actual:
                assert {k: actual.get(k) for k in wanted} == wanted, (name, process.command)
                checked.add(name)
    assert {"scheduler", "dag-processor", "triggerer", "worker-1", "worker-2"} <= checked
    # compose.yaml is the same declaration with default settings: same services, same
    # variables, same images as uv.lock pins.
    compose = yaml.safe_load((REPO / "class" / "compose.yaml").read_text())["services"]
    default = declare()
    assert list(compose) == default.names()
    for service in default.services:
        assert set(compose[service.name].get("environment", {})) == set(service.environment)
    assert compose["api-server"]["image"].endswith(f":{declared.pins.airflow}")
    versions = runner.load_record(stack.paths)["versions"]
    assert versions["postgres"] == declared.pins.postgres == compose["postgres"]["image"][9:]
    assert versions["redis"] == declared.pins.redis == compose["redis"]["image"][6:]


def test_pushes_deploy_the_good_and_hold_back_the_hostile(stack: ClassStack, tmp_path) -> None:
    work = clone(stack.paths.shared_repo, tmp_path / "work")
    for student in GOOD:
        commit_as(work, student, {f"dags/{student}/taxi_pipeline.py": REFERENCE}, "my pipeline")
    for student, text in HOSTILE.items():
        commit_as(work, student, {f"dags/{student}/taxi_pipeline.py": text}, "my pipeline")
    push(work)
    pushed = time.monotonic()
    teacher = stack.teacher()
    wanted = {f"{s}_taxi_pipeline" for s in GOOD}

    def all_visible() -> list[dict] | None:
        dags = teacher.dags()
        return dags if wanted <= {d["dag_id"] for d in dags} else None

    visible = wait_for(all_visible, 600, "the good DAGs in /api/v2/dags")
    MEASURED["push_to_visible_s"] = round(time.monotonic() - pushed, 1)

    # Nothing else reached the scheduler from the students' bundle; the grading DAG has its own.
    assert {d["dag_id"] for d in visible if d["bundle_name"] == "dags-folder"} == wanted
    assert {d["dag_id"] for d in visible if d["bundle_name"] != "dags-folder"} == {
        "grade_assignment"
    }
    assert all(d["is_paused"] for d in visible), "new DAGs start paused"
    assert teacher.import_errors() == []
    state = deploy.DeployState.load(stack.paths)
    for student, reason in HOSTILE_REASONS.items():
        entry = state.students[student]
        assert entry.deployed_commit is None and entry.held_commit, student
        assert any(reason in line for line in entry.held_reasons), entry.held_reasons
        assert shared_repo.note(stack.paths.shared_repo, entry.held_commit).startswith(
            f"class gate: HELD BACK dags/{student}/"
        )
        assert not (stack.paths.dags / student).exists()
    assert sorted(p.name for p in stack.paths.dags.iterdir()) == sorted(GOOD)


def _expected_rows(stack: ClassStack) -> int:
    url = f"http://127.0.0.1:{stack.settings.taxi_source_port}/trip-data/green_tripdata_{MONTH}.parquet"
    with urllib.request.urlopen(url, timeout=30) as response:
        data = response.read()
    import io

    return pq.read_table(io.BytesIO(data)).num_rows


def _wait_runs(stack: ClassStack, runs: dict[str, str], seconds: float) -> dict[str, str]:
    teacher = stack.teacher()

    def finished():
        states = {
            s: teacher.dag_run(f"{s}_taxi_pipeline", run_id)["state"] for s, run_id in runs.items()
        }
        return states if all(v in ("success", "failed") for v in states.values()) else None

    return wait_for(finished, seconds, "the runs to finish")


def test_every_student_runs_their_dag_on_the_celery_workers(stack: ClassStack) -> None:
    runs = {}
    began = time.monotonic()
    slowest = 0.0
    for student in GOOD:
        asked = time.monotonic()
        api = stack.student(student)  # each student with their own login
        api.set_paused(f"{student}_taxi_pipeline", False)
        runs[student] = api.trigger(f"{student}_taxi_pipeline", LOGICAL_DATE)["dag_run_id"]
        slowest = max(slowest, time.monotonic() - asked)
    MEASURED["slowest_unpause_and_trigger_s"] = round(slowest, 1)
    states = _wait_runs(stack, runs, 900)
    MEASURED["twenty_runs_wall_s"] = round(time.monotonic() - began, 1)
    failed = {s: state for s, state in states.items() if state != "success"}
    assert not failed, f"failed runs: {failed}; see {stack.paths.logs}"
    # The tasks ran on the Celery workers (each worker's log names the tasks it ran).
    worker_logs = [
        (stack.paths.service_logs / f"{name}.log").read_text()
        for name in stack.settings.worker_names()
    ]
    assert all("ingest_taxi_month" in log for log in worker_logs), "a worker ran nothing"
    teacher = stack.teacher()
    tis = teacher.task_instances("ada_taxi_pipeline", runs["ada"])
    assert {ti["task_id"]: ti["state"] for ti in tis} == {
        "ingest_taxi_month": "success",
        "dbt_run": "success",
        "dbt_test": "success",
        "notify": "success",
    }
    assert all(ti["queue"] == "default" for ti in tis)


def test_each_students_rows_are_in_their_own_schema_only(stack: ClassStack) -> None:
    expected = _expected_rows(stack)
    for student in GOOD:
        assert stack.rows(student) == {MONTH: expected}, student
    with closing(provision.connect(stack.superuser_url(), "taxi")) as con, con.cursor() as cur:
        cur.execute(
            "SELECT table_schema, count(*) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY 1"
        )
        schemas = dict(cur.fetchall())
    assert set(schemas) == {f"airflow_{s}" for s in GOOD}, "tables outside the students' schemas"
    assert all(count >= 3 for count in schemas.values())  # raw_trips, stg_trips, fct_trips


def test_a_rerun_of_the_same_month_changes_no_count(stack: ClassStack) -> None:
    before = {s: stack.rows(s) for s in GOOD[:3]}
    runs = {
        s: stack.student(s).trigger(f"{s}_taxi_pipeline", None, {"month": MONTH})["dag_run_id"]
        for s in GOOD[:3]
    }
    assert set(_wait_runs(stack, runs, 600).values()) == {"success"}
    assert {s: stack.rows(s) for s in GOOD[:3]} == before


def test_a_students_role_is_refused_on_a_classmates_schema(stack: ClassStack) -> None:
    import psycopg2

    with closing(stack.connect_as("ada")) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM airflow_ada.raw_trips")
        assert cur.fetchone()[0] > 0
        con.rollback()
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="airflow_grace"):
            cur.execute("SELECT count(*) FROM airflow_grace.raw_trips")
        con.rollback()
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("DROP TABLE airflow_grace.raw_trips")
    with pytest.raises(psycopg2.OperationalError, match="permission denied"):
        stack.connect_as("ada", database="airflow")  # the metadata DB is the stack's only


def test_the_dag_processor_keeps_parsing_and_a_broken_update_is_held_back(
    stack: ClassStack, tmp_path
) -> None:
    teacher = stack.teacher()
    health = teacher.health()
    assert health["dag_processor"]["status"] == "healthy", health
    first_beat = health["dag_processor"]["latest_dag_processor_heartbeat"]
    before = deploy.DeployState.load(stack.paths).students["grace"].deployed_commit
    work = clone(stack.paths.shared_repo, tmp_path / "work")
    broken = commit_as(
        work, "grace", {"dags/grace/taxi_pipeline.py": REFERENCE + "\nraise RuntimeError\n"}, "v2"
    )
    push(work)
    wait_for(
        lambda: deploy.DeployState.load(stack.paths).students["grace"].held_commit == broken,
        120,
        "the gate to judge grace's update",
    )
    entry = deploy.DeployState.load(stack.paths).students["grace"]
    assert entry.deployed_commit == before and "RuntimeError" in entry.held_reasons[0]
    assert (stack.paths.dags / "grace" / "taxi_pipeline.py").read_text() == REFERENCE
    later = wait_for(
        lambda: (
            (h := teacher.health())["dag_processor"]["latest_dag_processor_heartbeat"] != first_beat
            and h
        ),
        120,
        "a newer dag-processor heartbeat",
    )
    assert later["dag_processor"]["status"] == "healthy"
    assert teacher.import_errors() == []
    assert "grace_taxi_pipeline" in {d["dag_id"] for d in teacher.dags()}


def test_status_shows_one_row_per_student_in_the_terminal_and_html(stack: ClassStack) -> None:
    from rich.console import Console

    from class_airflow import status as status_module
    from class_airflow.reporters import html, terminal

    collected = status_module.collect(stack.paths, stack.roster_path)
    assert collected.problems == []
    rows = {row.student: row for row in collected.students}
    assert len(rows) == 25
    assert rows["ada"].last_run_state == "success" and rows["ada"].rows_per_month[MONTH] > 0
    assert rows["hank"].held_commit and not rows["hank"].deployed_commit
    console = Console(record=True, width=200)
    terminal.render(collected, console)
    assert "ada_taxi_pipeline" in console.export_text()
    page = html.write(collected, stack.paths.state / "status").read_text()
    assert "&lt;b&gt;Sophie&lt;/b&gt; &amp; co" in page and "<b>Sophie" not in page
    assert (stack.paths.state / "status" / "class_status.png").stat().st_size > 1000


def test_adding_and_removing_a_student_touches_nobody_else(stack: ClassStack) -> None:
    from class_airflow import enrolment
    from class_airflow.roster import Student

    ada_rows = stack.rows("ada")
    enrolment.add_student(stack.paths, stack.roster_path, Student("newbie", "New Student"))
    assert shared_repo.folder_exists(stack.paths.shared_repo, "newbie")
    assert stack.student("newbie").dags()  # their UI login works after the api-server restart
    with closing(stack.connect_as("newbie")) as con, con.cursor() as cur:
        cur.execute("CREATE TABLE airflow_newbie.mine (x int)")
        con.commit()
    password = credentials.student_login(stack.paths, "newbie").ui_password
    enrolment.remove_student(stack.paths, stack.roster_path, "newbie")
    assert roster_module.load(stack.roster_path).get("newbie") is None
    with pytest.raises(ClassError, match="401"):
        AirflowApi.login(stack.base, "newbie", password)
    assert stack.rows("ada") == ada_rows
    assert stack.student("ada").dags()


def test_chapter_08s_student_steps_deploy_run_and_count_on_the_class_airflow(
    stack: ClassStack, tmp_path
) -> None:
    """What chapter 08's "Deploy to the class Airflow for real" cell does, as student tim:
    the login file from `class credentials --json`, a push, the gate's note, the run, the rows."""
    from typer.testing import CliRunner

    from class_airflow import student as class_student
    from class_airflow.cli import app
    from class_airflow.student import ClassLogin

    done = CliRunner().invoke(
        app, ["credentials", "tim", "--json"], env={"CLASS_STATE_DIR": str(stack.paths.state)}
    )
    assert done.exit_code == 0, done.output
    login_file = tmp_path / "class_login.json"
    login_file.write_text(done.output)
    login = ClassLogin.load(login_file)
    assert login == ClassLogin.from_twin(stack.paths, "tim")
    dag_file = tmp_path / "taxi_pipeline.py"
    dag_file.write_text(REFERENCE + "\n# tim's second version\n")
    clone_dir = tmp_path / "clone"
    commit = class_student.push_dag(login, dag_file, clone_dir)
    verdict = class_student.gate_verdict(clone_dir, commit)
    assert verdict.startswith("class gate: DEPLOYED dags/tim/"), verdict
    assert class_student.wait_visible(login)["dag_id"] == "tim_taxi_pipeline"
    assert class_student.run_month(login, "2024-03") == "success"
    rows = class_student.my_rows(login)
    assert rows["2024-03"] > 0 and rows == stack.rows("tim")


def test_a_worker_that_died_is_started_again_by_class_up_and_nothing_else_is(
    stack: ClassStack,
) -> None:
    record = runner.load_record(stack.paths)
    pids = {entry["name"]: entry["pid"] for entry in record["services"]}
    victim = stack.settings.worker_names()[-1]
    for process in processes.living_in_sessions({pids[victim]}):
        os.kill(process.pid, signal.SIGKILL)  # the OOM killer, or a crash
    wait_for(lambda: runner.stopped_services(stack.paths) == [victim], 60, f"{victim} to be gone")
    report = runner.up(stack.paths, stack.roster_path, stack.settings)
    assert report.restarted == [victim]
    after = {entry["name"]: entry["pid"] for entry in runner.load_record(stack.paths)["services"]}
    record_started(after[victim])
    assert after[victim] != pids[victim]
    assert {n: p for n, p in after.items() if n != victim} == {
        n: p for n, p in pids.items() if n != victim
    }
    assert runner.stopped_services(stack.paths) == []
    with pytest.raises(ClassError, match="already running"):
        runner.up(stack.paths, stack.roster_path, stack.settings)
