"""The taxi source as a notebook sees it: its URL, its latest month, its fault knobs.

The source itself is the `taxi_source` package; this is its small HTTP client, plus finding (or
starting) the source a notebook should use.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from workbook.errors import WorkbookError

SOURCE_URL_ENV = "TAXI_SOURCE_URL"


@dataclass(frozen=True)
class Source:
    """The taxi source the DAGs download from (the background one, or the test suite's)."""

    base_url: str

    @property
    def origin(self) -> str:
        return self.base_url.split("/trip-data")[0].rstrip("/")

    def _call(self, path: str, payload: dict | None = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.origin + path,
            data=data,
            headers={"Content-Type": "application/json"},
            method="POST" if data is not None else "GET",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as err:
            raise WorkbookError(
                f"the taxi source at {self.origin} refused {path}: {err.read().decode()}"
            ) from None
        except OSError as err:
            raise WorkbookError(
                f"the taxi source at {self.origin} is not answering ({err}). Run the set-up "
                "cell again (it starts the source), or `make source` in a terminal."
            ) from None

    @property
    def latest_month(self) -> str:
        """The last month the source has published ('YYYY-MM'); later months answer 403."""
        return str(self._call("/health")["latest_month"])

    def faults(self, schedule: dict[str, dict[str, Any]]) -> None:
        """Replace the fault schedule, e.g. {"2024-03": {"transient": 2}}; {} clears it."""
        self._call("/_control/faults", schedule)

    def current_faults(self) -> dict[str, Any]:
        """The fault schedule the source is using right now ({} when it behaves)."""
        return dict(self._call("/_control/faults"))

    def requests(self, month: str | None = None) -> list[dict[str, Any]]:
        """Requests since the faults were last set: [{'month', 'attempt', 'status'}, ...]."""
        found = self._call("/_control/requests")
        return [r for r in found if month is None or r["month"] == month]


def start_source() -> str:
    """The URL of the source to use: TAXI_SOURCE_URL, or the background source (started now
    if it is not running)."""
    if url := os.environ.get(SOURCE_URL_ENV):
        return url
    from taxi_source import daemon

    try:
        url = daemon.ensure_running()
    except daemon.SourceUnavailable as err:
        raise WorkbookError(str(err)) from None
    os.environ[SOURCE_URL_ENV] = url
    return url
