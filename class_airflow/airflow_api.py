"""A small client for the class Airflow's REST API (/api/v2), over loopback or the VM's URL.

Log in with POST /auth/token (the simple auth manager's users and passwords), then send the
token as a Bearer header. Errors become ClassError with the status and Airflow's detail.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from class_airflow.errors import ClassError


@dataclass
class AirflowApi:
    base: str  # e.g. http://127.0.0.1:8080
    token: str = ""
    timeout: float = 90.0

    @classmethod
    def login(cls, base: str, username: str, password: str) -> AirflowApi:
        api = cls(base.rstrip("/"))
        answer = api._send("POST", "/auth/token", {"username": username, "password": password})
        api.token = answer["access_token"]
        return api

    def _send(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:500]
            raise ClassError(f"{method} {path} answered {err.code}: {detail}") from None
        except urllib.error.URLError as err:
            raise ClassError(
                f"cannot reach the class Airflow at {self.base} ({err.reason})"
            ) from None

    def get(self, path: str, **query) -> dict:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self._send("GET", path + suffix)

    def dags(self) -> list[dict]:
        return self.get("/api/v2/dags", limit=1000)["dags"]

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self._send("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": paused})

    def trigger(self, dag_id: str, logical_date: str | None, conf: dict | None = None) -> dict:
        body = {"logical_date": logical_date, "conf": conf or {}}
        return self._send("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")

    def last_run(self, dag_id: str) -> dict | None:
        runs = self.get(f"/api/v2/dags/{dag_id}/dagRuns", order_by="-run_after", limit=1)
        return runs["dag_runs"][0] if runs["dag_runs"] else None

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """Every task instance of the run, mapped ones included (one per map index)."""
        quoted = urllib.parse.quote(run_id, safe="")
        path = f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances"
        return self.get(path, limit=1000)["task_instances"]

    def clear_task_instances(
        self, dag_id: str, run_id: str, task_ids: list, *, downstream: bool = True
    ) -> dict:
        """Run tasks again: `task_ids` holds task ids or [task_id, map_index] pairs; with
        `downstream`, what depends on them runs again too (what the UI's Clear dialog does)."""
        body = {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": task_ids,
            "only_failed": False,
            "include_downstream": downstream,
            "reset_dag_runs": True,
        }
        return self._send("POST", f"/api/v2/dags/{dag_id}/clearTaskInstances", body)

    def import_errors(self) -> list[dict]:
        return self.get("/api/v2/importErrors", limit=1000)["import_errors"]

    def health(self) -> dict:
        return self.get("/api/v2/monitor/health")
