"""One declaration, two renderings: compose.yaml is generated from it and agrees with the twin."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from class_airflow import compose
from class_airflow.paths import COMPOSE_FILE, DOCKERFILE, ClassPaths
from class_airflow.placement import ComposePlacement, TwinPlacement
from class_airflow.stack import ENV_FILE_KEYS, TOKEN, StackSettings, declare
from class_airflow.twin.runner import _argv, service_environment
from class_airflow.versions import locked_versions, pins
from tests.conftest import REPO


def test_the_committed_compose_files_are_generated_from_the_declaration() -> None:
    stack = declare()
    assert COMPOSE_FILE.read_text() == compose.render_compose(stack), "run `class compose`"
    assert DOCKERFILE.read_text() == compose.render_dockerfile(stack.pins), "run `class compose`"


def test_versions_are_the_ones_uv_lock_pins() -> None:
    locked = locked_versions(REPO / "uv.lock")
    stack = declare()
    assert stack.pins.airflow == locked["apache-airflow"]
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    assert services["scheduler"]["image"] == f"week11-class-airflow:{locked['apache-airflow']}"
    dockerfile = DOCKERFILE.read_text()
    assert f"FROM apache/airflow:{locked['apache-airflow']}-python3.11" in dockerfile
    for name in ("apache-airflow-providers-celery", "dbt-core", "dbt-postgres"):
        assert f'"{name}=={locked[name]}"' in dockerfile
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7.0"


def test_compose_and_the_twin_have_the_same_services_commands_environment_and_ports(
    tmp_path,
) -> None:
    stack = declare(StackSettings(workers=3))
    secrets = {key: f"<{key}>" for key in ENV_FILE_KEYS}
    place = TwinPlacement(ClassPaths(tmp_path), tmp_path / "roster.csv", secrets)
    composed = yaml.safe_load(compose.render_compose(stack))["services"]
    assert list(composed) == stack.names()
    assert [n for n in stack.names() if n.startswith("worker-")] == [
        "worker-1",
        "worker-2",
        "worker-3",
    ]
    programs = {"airflow": "AIRFLOW", "python": "PYTHON", "postgres": "POSTGRES"}
    for service in stack.services:
        entry = composed[service.name]
        twin_env = service_environment(service, place)
        compose_env = entry.get("environment", {})
        assert set(compose_env) == set(service.environment)
        for key, value in service.environment.items():
            # Both from the same template; where it holds no token, literally the same.
            assert compose_env[key] == ComposePlacement().text(value)
            assert twin_env[key] == place.text(value)
            if not TOKEN.search(value):
                assert compose_env[key] == twin_env[key] == value
        twin_command = _argv(service, programs, place)
        assert len(entry["command"]) == len(twin_command) - len(service.twin_args)
        assert entry.get("ports", []) == [f"{p}:{p}" for p in service.published]
        depends = entry.get("depends_on", {})
        assert set(depends) == set(service.depends_on)


def test_no_secret_or_roster_value_is_written_into_compose_yaml() -> None:
    text = COMPOSE_FILE.read_text()
    for key in (
        "CLASS_POSTGRES_PASSWORD",
        "CLASS_JWT_SECRET",
        "CLASS_FERNET_KEY",
        "CLASS_UI_USERS",
    ):
        assert f"${{{key}:?" in text
    assert "ada" not in text


def test_the_lock_is_what_the_image_pins() -> None:
    assert pins().requirement_lines()[0].startswith("apache-airflow-providers-celery==")


def test_grading_workers_serve_only_the_grading_queue_and_its_dag_is_a_bundle(tmp_path) -> None:
    stack = declare(StackSettings(workers=2, grading_workers=2))
    grading = [s for s in stack.services if s.name.startswith("grading-")]
    assert [s.name for s in grading] == ["grading-worker-1", "grading-worker-2"]
    for service in grading:
        assert service.command[service.command.index("--queues") + 1] == "grading"
        assert service.environment["AUTOGRADER_GRADING_ROOT"] == "{{path:grading}}"
    for name in ("worker-1", "worker-2"):
        assert "--queues" not in stack.service(name).command  # Airflow's default queue only
    composed = yaml.safe_load(compose.render_compose(stack))["services"]
    assert composed["grading-worker-1"]["cap_add"] == ["SYS_ADMIN"]
    assert "cap_add" not in composed["worker-1"]
    place = TwinPlacement(ClassPaths(tmp_path), tmp_path / "roster.csv", {})
    listed = stack.service("dag-processor").environment[
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"
    ]
    bundles = {b["name"]: b["kwargs"]["path"] for b in json.loads(place.text(listed))}
    assert bundles["dags-folder"] == str(ClassPaths(tmp_path).dags)
    assert (Path(bundles["grading"]) / "grade_assignment.py").is_file()
