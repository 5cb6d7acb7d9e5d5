"""The class stack, declared once.

`declare(settings)` returns every service of the class Airflow: what it runs, its
environment, its ports, what it waits for and how its health is known. Two renderings read
this and nothing else: `compose.py` writes `class/compose.yaml` for a VM with Docker, and
`twin/` starts the same services as processes on loopback. Where the two places differ (a
host name, a path, a secret) the declaration holds a token, resolved by the rendering:

    {{host:postgres}}   the host a service is reached at (compose: the service; twin: 127.0.0.1)
    {{bind}}            the address a server listens on (compose: 0.0.0.0; twin: 127.0.0.1)
    {{path:dags}}       a path in the state folder or the source tree (see `paths.py`)
    {{env:NAME}}        a value from the class env file (secrets, the UI users)

`{student}` (single braces) is not a token: the DAG itself fills in its student's name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from class_airflow.versions import Pins, pins

TOKEN = re.compile(r"\{\{(host|path|env|bind)(?::([A-Za-z0-9_-]+))?\}\}")

# The secrets and per-class values every rendering takes from the class env file.
ENV_FILE_KEYS = (
    "CLASS_POSTGRES_PASSWORD",
    "CLASS_AIRFLOW_DB_PASSWORD",
    "CLASS_FERNET_KEY",
    "CLASS_JWT_SECRET",
    "CLASS_API_SECRET_KEY",
    "CLASS_UI_USERS",
    "CLASS_AUTOGRADER_SECRET",
)
# May be empty: without a course secret the hidden checks use the public values.
OPTIONAL_ENV_KEYS = ("CLASS_AUTOGRADER_SECRET",)


class StackSettings(BaseModel):
    """What a teacher may tune. The defaults are for a class of 30 on a small VM."""

    model_config = ConfigDict(frozen=True)

    workers: int = Field(2, ge=1, le=16, description="Celery workers")
    worker_concurrency: int = Field(2, ge=1, le=32, description="task slots per worker")
    grading_workers: int = Field(1, ge=0, le=16, description="Celery workers of queue 'grading'")
    grading_concurrency: int = Field(2, ge=1, le=32, description="submissions per grading worker")
    api_port: int = 8080
    postgres_port: int = 5432
    redis_port: int = 6379
    taxi_source_port: int = 8765
    parallelism: int = Field(8, ge=1, description="task instances running at once, class-wide")
    sync_interval: float = Field(10, gt=0, description="seconds between polls of the shared repo")
    gate_timeout: float = Field(10, gt=0, description="seconds one DAG file may take to import")
    dag_refresh_interval: int = Field(10, ge=1, description="seconds between scans for new files")
    min_file_process_interval: int = Field(30, ge=1, description="seconds between re-parses")
    latest_month: str | None = Field(None, description="last month the taxi source publishes")

    def worker_names(self) -> list[str]:
        return [f"worker-{number}" for number in range(1, self.workers + 1)]

    def grading_worker_names(self) -> list[str]:
        return [f"grading-worker-{number}" for number in range(1, self.grading_workers + 1)]


class Health(BaseModel):
    """How a rendering knows a service is ready.

    tcp: a port accepts connections; http: a URL answers 2xx; airflow_component: the
    api-server's /api/v2/monitor/health reports the component healthy; celery_ping: the worker
    answers a Celery ping through the broker; heartbeat: the service touched a file since it
    started; exited: a one-shot service ended with code 0.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["tcp", "http", "airflow_component", "celery_ping", "heartbeat", "exited"]
    port: int | None = None
    path: str = ""
    name: str = ""


class Service(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    image: Literal["airflow", "postgres", "redis"]
    role: Literal["daemon", "oneshot"] = "daemon"
    command: list[str]
    environment: dict[str, str] = Field(default_factory=dict)
    ports: list[int] = Field(default_factory=list, description="ports the service listens on")
    published: list[int] = Field(default_factory=list, description="ports a VM exposes")
    depends_on: list[str] = Field(default_factory=list)
    health: Health
    # What makes the service stop cleanly; the twin kills its process group after a grace
    # period anyway (Celery's and LocalExecutor's children ignore SIGTERM).
    stop_signal: Literal["SIGTERM", "SIGINT"] = "SIGTERM"
    grace_seconds: float = 20
    run_as_postgres: bool = False
    # The autograder's sandbox makes network, PID and mount namespaces (`unshare`); a
    # container needs the capability for that (the twin runs on the host, which has it).
    makes_namespaces: bool = False
    # Arguments only the twin adds, for what differs on a laptop (PostgreSQL's socket folder
    # must be one the twin can write; a container's default is right).
    twin_args: list[str] = Field(default_factory=list)


class Stack(BaseModel):
    model_config = ConfigDict(frozen=True)

    settings: StackSettings
    pins: Pins
    services: list[Service]

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    def names(self) -> list[str]:
        return [service.name for service in self.services]

    def start_order(self) -> list[list[Service]]:
        """Layers of services: each layer only depends on earlier ones."""
        done: set[str] = set()
        left = list(self.services)
        layers: list[list[Service]] = []
        while left:
            layer = [s for s in left if set(s.depends_on) <= done]
            if not layer:
                raise ValueError(f"dependency cycle among {[s.name for s in left]}")
            layers.append(layer)
            done |= {s.name for s in layer}
            left = [s for s in left if s.name not in done]
        return layers


def resolve(text: str, replace: Callable[[str, str], str]) -> str:
    """Replace every {{kind:name}} token in `text` with replace(kind, name)."""
    return TOKEN.sub(lambda match: replace(match.group(1), match.group(2) or ""), text)


def _airflow_environment(settings: StackSettings) -> dict[str, str]:
    """One environment for every Airflow component (like x-airflow-common in Airflow's own
    Compose file)."""
    metadata = (
        "postgresql+psycopg2://airflow:{{env:CLASS_AIRFLOW_DB_PASSWORD}}"
        f"@{{{{host:postgres}}}}:{settings.postgres_port}/airflow"
    )
    return {
        "AIRFLOW_HOME": "{{path:airflow_home}}",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__DAGS_FOLDER": "{{path:dags}}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__PARALLELISM": str(settings.parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "30",
        "AIRFLOW__CORE__FERNET_KEY": "{{env:CLASS_FERNET_KEY}}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": (
            f"http://{{{{host:api-server}}}}:{settings.api_port}/execution/"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "{{env:CLASS_UI_USERS}}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": "{{path:ui_passwords}}",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{{{{host:redis}}}}:{settings.redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.worker_concurrency),
        # A worker takes one task at a time from the queue: no task waits behind a slow one.
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
        "AIRFLOW__API__HOST": "{{bind}}",
        "AIRFLOW__API__PORT": str(settings.api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": "{{env:CLASS_API_SECRET_KEY}}",
        "AIRFLOW__API_AUTH__JWT_SECRET": "{{env:CLASS_JWT_SECRET}}",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(settings.dag_refresh_interval),
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": str(
            settings.min_file_process_interval
        ),
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "2",
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": _dag_bundles(),
        "AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": "{{path:logs}}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
        # What the students' DAGs read when a task runs (assignment/CONTRACT.md).
        "TAXI_SOURCE_URL": f"http://{{{{host:taxi-source}}}}:{settings.taxi_source_port}/trip-data",
        "TAXI_WAREHOUSE": (
            f"postgresql://airflow_{{student}}@{{{{host:postgres}}}}:{settings.postgres_port}/taxi"
        ),
        "TAXI_DBT_PROJECT_DIR": "{{path:dbt_project}}",
        "TAXI_NOTIFICATIONS": "{{path:notifications}}",
        # Each student's password is in the pgpass file: libpq finds it by user name.
        "PGPASSFILE": "{{path:pgpass}}",
        # Many students' dbt runs share one project folder: nothing may be read back from it.
        "DBT_TARGET_PATH": "{{path:dbt_target}}",
        "DBT_PARTIAL_PARSE": "False",
        "DBT_WRITE_JSON": "False",
        "DBT_LOG_PATH": "{{path:dbt_target}}",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def _dag_bundles() -> str:
    """The students' DAGs (what dag-sync deploys) and the autograder's grading DAG, each a
    bundle of its own: the grading DAG never lands in the folder the gate guards."""
    local = "airflow.dag_processing.bundles.local.LocalDagBundle"
    bundles = [
        {"name": "dags-folder", "classpath": local, "kwargs": {"path": "{{path:dags}}"}},
        {"name": "grading", "classpath": local, "kwargs": {"path": "{{path:grading_dags}}"}},
    ]
    return json.dumps(bundles)


def _celery_worker(
    name: str,
    environment: dict[str, str],
    depends_on: list[str],
    queues: list[str],
    makes_namespaces: bool = False,
) -> Service:
    return Service(
        name=name,
        image="airflow",
        command=[
            "airflow",
            "celery",
            "worker",
            *(["--queues", ",".join(queues)] if queues else []),
            "--celery-hostname",
            f"{name}@class",
            # Logs go to the shared log folder the api-server reads; no log server listening
            # on every interface.
            "--skip-serve-logs",
        ],
        environment=environment,
        depends_on=depends_on,
        health=Health(kind="celery_ping", name=f"{name}@class"),
        grace_seconds=30,
        makes_namespaces=makes_namespaces,
    )


def _grading_environment(settings: StackSettings, airflow_env: dict[str, str]) -> dict[str, str]:
    """A grading worker: the grader's code on the path, its own slot count, and the one folder
    classes to grade and their outputs must be under (anyone who may trigger the DAG picks
    the paths)."""
    return {
        **airflow_env,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.grading_concurrency),
        "PYTHONPATH": "{{path:source}}",
        "AUTOGRADER_GRADING_ROOT": "{{path:grading}}",
        "GRADING_NOTIFICATIONS": "{{path:grading_notifications}}",
        # Only here: the hidden checks' parameters are drawn in the worker's grading process;
        # the sandboxes it starts get a scrubbed environment (autograder/sandbox/environment.py).
        "AUTOGRADER_SECRET": "{{env:CLASS_AUTOGRADER_SECRET}}",
    }


def _component_health(component: str) -> Health:
    return Health(kind="airflow_component", name=component)


def declare(settings: StackSettings | None = None, pinned: Pins | None = None) -> Stack:
    """Every service of the class stack, in one list."""
    settings = settings or StackSettings()
    pinned = pinned or pins()
    airflow_env = _airflow_environment(settings)
    class_env = {
        "CLASS_STATE_DIR": "{{path:state}}",
        "CLASS_ROSTER": "{{path:roster}}",
        "CLASS_POSTGRES_URL": (
            "postgresql://postgres:{{env:CLASS_POSTGRES_PASSWORD}}"
            f"@{{{{host:postgres}}}}:{settings.postgres_port}/postgres"
        ),
        "PYTHONPATH": "{{path:source}}",
    }
    airflow_after_init = ["airflow-init", "redis"]
    services = [
        Service(
            name="postgres",
            image="postgres",
            command=[
                "postgres",
                "-D",
                "{{path:pgdata}}",
                "-p",
                str(settings.postgres_port),
                "-c",
                "listen_addresses={{bind}}",
                "-c",
                "max_connections=200",
            ],
            twin_args=["-c", "unix_socket_directories={{path:pgsocket}}"],
            environment={
                "PGDATA": "{{path:pgdata}}",
                "POSTGRES_PASSWORD": "{{env:CLASS_POSTGRES_PASSWORD}}",
            },
            ports=[settings.postgres_port],
            published=[settings.postgres_port],  # students may look at their own schema
            health=Health(kind="tcp", port=settings.postgres_port),
            stop_signal="SIGINT",  # PostgreSQL's "fast" shutdown
            run_as_postgres=True,
        ),
        Service(
            name="redis",
            image="redis",
            command=[
                "redis-server",
                "--bind",
                "{{bind}}",
                "--port",
                str(settings.redis_port),
                "--dir",
                "{{path:redis}}",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ],
            ports=[settings.redis_port],
            health=Health(kind="tcp", port=settings.redis_port),
        ),
        Service(
            name="class-init",
            image="airflow",
            role="oneshot",
            command=["python", "-m", "class_airflow.provision"],
            environment=class_env,
            depends_on=["postgres"],
            health=Health(kind="exited"),
        ),
        Service(
            name="airflow-init",
            image="airflow",
            role="oneshot",
            command=["airflow", "db", "migrate"],
            environment=airflow_env,
            depends_on=["class-init"],
            health=Health(kind="exited"),
        ),
        Service(
            name="taxi-source",
            image="airflow",
            command=[
                "python",
                "-m",
                "class_airflow.services.taxi_source",
                "--host",
                "{{bind}}",
                "--port",
                str(settings.taxi_source_port),
                *(["--latest-month", settings.latest_month] if settings.latest_month else []),
            ],
            environment={"PYTHONPATH": "{{path:source}}"},
            ports=[settings.taxi_source_port],
            health=Health(kind="http", port=settings.taxi_source_port, path="/health"),
        ),
        Service(
            name="api-server",
            image="airflow",
            command=["airflow", "api-server"],
            environment=airflow_env,
            ports=[settings.api_port],
            published=[settings.api_port],
            depends_on=airflow_after_init,
            health=Health(kind="http", port=settings.api_port, path="/api/v2/monitor/health"),
        ),
        Service(
            name="scheduler",
            image="airflow",
            command=["airflow", "scheduler", "--skip-serve-logs"],
            environment=airflow_env,
            depends_on=[*airflow_after_init, "api-server"],
            health=_component_health("scheduler"),
        ),
        Service(
            name="dag-processor",
            image="airflow",
            command=["airflow", "dag-processor"],
            environment=airflow_env,
            depends_on=[*airflow_after_init, "api-server"],
            health=_component_health("dag_processor"),
        ),
        Service(
            name="triggerer",
            image="airflow",
            command=["airflow", "triggerer", "--skip-serve-logs"],
            environment=airflow_env,
            depends_on=[*airflow_after_init, "api-server"],
            health=_component_health("triggerer"),
        ),
        *(
            _celery_worker(
                name,
                {
                    **airflow_env,
                    # Tasks fork from the worker: import dbt once there, not in every task.
                    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": (
                        "class_airflow.services.celery_config.CELERY_CONFIG"
                    ),
                    "PYTHONPATH": "{{path:source}}",
                },
                [*airflow_after_init, "taxi-source"],
                queues=[],  # Airflow's default queue: the students' DAGs
            )
            for name in settings.worker_names()
        ),
        # Only the grading DAG's tasks (queue "grading"): grading never slows the class's runs,
        # and `airflow celery worker -q grading` on another machine adds capacity.
        *(
            _celery_worker(
                name,
                _grading_environment(settings, airflow_env),
                airflow_after_init,
                queues=["grading"],
                makes_namespaces=True,
            )
            for name in settings.grading_worker_names()
        ),
        Service(
            name="dag-sync",
            image="airflow",
            command=[
                "python",
                "-m",
                "class_airflow.services.dag_sync",
                "--interval",
                f"{settings.sync_interval:g}",
                "--gate-timeout",
                f"{settings.gate_timeout:g}",
            ],
            environment={
                "CLASS_STATE_DIR": "{{path:state}}",
                "CLASS_ROSTER": "{{path:roster}}",
                "PYTHONPATH": "{{path:source}}",
            },
            depends_on=["class-init"],
            health=Health(kind="heartbeat", path="{{path:deploy}}/heartbeat"),
        ),
    ]
    return Stack(settings=settings, pins=pinned, services=services)
