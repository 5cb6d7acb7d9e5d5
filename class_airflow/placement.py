"""Where the declaration's tokens point, for each rendering (see `stack.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from class_airflow.errors import ClassError
from class_airflow.paths import (
    CONTAINER_SOURCE,
    CONTAINER_STATE,
    CONTAINER_TEACHER,
    SOURCE_LAYOUT,
    STATE_LAYOUT,
    ClassPaths,
)
from class_airflow.stack import OPTIONAL_ENV_KEYS, resolve


@dataclass(frozen=True)
class TwinPlacement:
    """Processes on this machine: everything on loopback, paths in the state folder."""

    paths: ClassPaths
    roster: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, kind: str, name: str) -> str:
        if kind in ("host", "bind"):
            return "127.0.0.1"
        if kind == "path":
            if name == "state":
                return str(self.paths.state)
            if name == "roster":
                return str(self.roster)
            return str(self.paths.named(name))
        if name not in self.env:
            raise ClassError(f"no value for {name} in {self.paths.class_env}; run `class up` again")
        return self.env[name]

    def text(self, value: str) -> str:
        return resolve(value, self)


@dataclass(frozen=True)
class ComposePlacement:
    """Containers on one Docker network: services by name, the state folder at /opt/class."""

    def __call__(self, kind: str, name: str) -> str:
        if kind == "host":
            return name
        if kind == "bind":
            return "0.0.0.0"
        if kind == "env":
            if name in OPTIONAL_ENV_KEYS:
                return f"${{{name}:-}}"
            return f"${{{name}:?run class secrets first}}"
        if name == "state":
            return CONTAINER_STATE
        if name == "roster":
            return f"{CONTAINER_TEACHER}/roster.csv"
        if name in SOURCE_LAYOUT:
            return f"{CONTAINER_SOURCE}/{SOURCE_LAYOUT[name]}".replace("/.", "")
        return f"{CONTAINER_STATE}/{STATE_LAYOUT[name]}"

    def text(self, value: str) -> str:
        return resolve(value, self)
