"""Is a twin service ready? One probe per `Health.kind` of the declaration."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

from class_airflow.stack import Health, Stack


def _tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _http_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return json.load(response) if 200 <= response.status < 300 else None
    except (OSError, ValueError):
        return None


def airflow_health(stack: Stack) -> dict:
    """The api-server's view of the metadata DB, scheduler, triggerer and dag-processor."""
    url = f"http://127.0.0.1:{stack.settings.api_port}/api/v2/monitor/health"
    return _http_json(url) or {}


def _celery_ping(stack: Stack, node: str) -> bool:
    from celery import Celery

    app = Celery(broker=f"redis://127.0.0.1:{stack.settings.redis_port}/0")
    try:
        replies = app.control.ping(destination=[node], timeout=1.0)
    except Exception:  # noqa: BLE001 - the broker is not answering yet: not ready
        return False
    finally:
        app.close()
    return any(node in reply for reply in replies)


def is_ready(stack: Stack, health: Health, started_at: float, resolve_path) -> bool:
    if health.kind == "tcp":
        return _tcp(health.port or 0)
    if health.kind == "http":
        return _http_json(f"http://127.0.0.1:{health.port}{health.path}") is not None
    if health.kind == "airflow_component":
        status = airflow_health(stack).get(health.name, {})
        return status.get("status") == "healthy"
    if health.kind == "celery_ping":
        return _celery_ping(stack, health.name)
    if health.kind == "heartbeat":
        beat = Path(resolve_path(health.path))
        return beat.exists() and beat.stat().st_mtime >= started_at - 1
    raise ValueError(f"{health.kind} is not a probe of a running service")
