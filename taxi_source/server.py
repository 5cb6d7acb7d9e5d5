"""A local stand-in for the TLC CDN: `/trip-data/green_tripdata_YYYY-MM.parquet` on loopback.

It behaves like the real source where that matters for orchestration:

* months after `latest_month` are not published yet and answer 403, as the CDN does;
  months before the first green-taxi file (2014-01) answer 404;
* fault injection per month, so retries and failure handling can be taught and tested:
  `transient` (the first N requests answer 503), `latency` (seconds before answering),
  `permanent` (every request answers 500) and `broken_rows` (N extra rows no cleaning rule expects).

Faults are changed at run time through `/_control/faults` (JSON). When the source is started
with a control token, the control endpoints need the header `X-Control-Token`, so code under
test cannot read or reset the fault schedule it is being graded with.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIRST_MONTH = "2014-01"
FILE_PATH = re.compile(r"^/trip-data/green_tripdata_(\d{4})-(\d{2})\.parquet$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def default_latest_month(today: date | None = None) -> str:
    """The TLC publishes a month about two months after it ends."""
    today = today or date.today()
    index = today.year * 12 + today.month - 1 - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class MonthFaults:
    transient: int = 0
    latency: float = 0.0
    permanent: bool = False
    broken_rows: int = 0

    @classmethod
    def parse(cls, month: str, raw: object) -> MonthFaults:
        if not MONTH.match(month):
            raise ValueError(f"fault key {month!r} is not a month like '2024-03'")
        if not isinstance(raw, dict):
            raise ValueError(f"faults for {month} must be an object, got {type(raw).__name__}")
        unknown = set(raw) - {"transient", "latency", "permanent", "broken_rows"}
        if unknown:
            raise ValueError(
                f"unknown fault(s) for {month}: {sorted(unknown)}; "
                "use transient, latency, permanent or broken_rows"
            )
        faults = cls(
            transient=int(raw.get("transient", 0)),
            latency=float(raw.get("latency", 0.0)),
            permanent=bool(raw.get("permanent", False)),
            broken_rows=int(raw.get("broken_rows", 0)),
        )
        if faults.transient < 0 or faults.latency < 0 or faults.broken_rows < 0:
            raise ValueError(f"faults for {month} must not be negative")
        return faults


@dataclass
class SourceState:
    """Everything the server knows; shared by the handler threads under one lock."""

    latest_month: str = field(default_factory=default_latest_month)
    faults: dict[str, MonthFaults] = field(default_factory=dict)
    control_token: str | None = None
    requests: list[dict[str, object]] = field(default_factory=list)
    _served: dict[str, int] = field(default_factory=dict)
    _cache: dict[tuple[str, int], bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_faults(self, raw: dict[str, object]) -> None:
        parsed = {month: MonthFaults.parse(month, spec) for month, spec in raw.items()}
        with self.lock:
            self.faults = parsed
            self._served.clear()

    def preload(self, files: dict[tuple[str, int], bytes]) -> None:
        """Serve these files, made earlier by `month_parquet_bytes`, instead of making them again:
        {(month, broken_rows): parquet bytes}."""
        with self.lock:
            self._cache.update(files)

    def answer(self, month: str) -> tuple[int, bytes, float]:
        """Decide the status, body and delay of one request for `month` (YYYY-MM)."""
        with self.lock:
            count = self._served.get(month, 0) + 1
            self._served[month] = count
            faults = self.faults.get(month, MonthFaults())
        if month > self.latest_month:
            status, body = HTTPStatus.FORBIDDEN, b"AccessDenied: this month is not published yet"
        elif month < FIRST_MONTH:
            status, body = HTTPStatus.NOT_FOUND, b"NoSuchKey: no green-taxi file for this month"
        elif faults.permanent:
            status, body = (
                HTTPStatus.INTERNAL_SERVER_ERROR,
                b"InternalError: injected permanent failure",
            )
        elif count <= faults.transient:
            status, body = HTTPStatus.SERVICE_UNAVAILABLE, b"SlowDown: injected transient failure"
        else:
            status, body = HTTPStatus.OK, self._file(month, faults.broken_rows)
        with self.lock:
            self.requests.append({"month": month, "attempt": count, "status": int(status)})
        return int(status), body, faults.latency

    def _file(self, month: str, broken_rows: int) -> bytes:
        key = (month, broken_rows)
        with self.lock:
            cached = self._cache.get(key)
        if cached is None:
            from taxi_source.generator import month_parquet_bytes  # pyarrow: only when needed

            year, mon = (int(part) for part in month.split("-"))
            cached = month_parquet_bytes(year, mon, broken_rows=broken_rows)
            with self.lock:
                self._cache[key] = cached
        return cached


class _Handler(BaseHTTPRequestHandler):
    server: _SourceServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # request lines would drown the task logs; /_control/requests has them

    def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _control_allowed(self) -> bool:
        token = self.server.state.control_token
        if token and self.headers.get("X-Control-Token") != token:
            self._send_json(HTTPStatus.FORBIDDEN, {"error": "control token required"})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        state = self.server.state
        if self.path == "/health":
            self._send_json(HTTPStatus.OK, {"status": "ok", "latest_month": state.latest_month})
            return
        if self.path.startswith("/_control/"):
            if not self._control_allowed():
                return
            if self.path == "/_control/requests":
                with state.lock:
                    self._send_json(HTTPStatus.OK, list(state.requests))
            elif self.path == "/_control/faults":
                with state.lock:
                    faults = {m: asdict(f) for m, f in state.faults.items()}
                self._send_json(HTTPStatus.OK, faults)
            else:
                self._send_json(HTTPStatus.NOT_FOUND, {"error": "unknown control path"})
            return
        match = FILE_PATH.match(self.path.split("?", 1)[0])
        if not match or not 1 <= int(match.group(2)) <= 12:
            self._send(HTTPStatus.NOT_FOUND, b"NoSuchKey")
            return
        status, body, delay = state.answer(f"{match.group(1)}-{match.group(2)}")
        if delay:
            time.sleep(delay)
        content_type = "application/octet-stream" if status == 200 else "text/plain"
        self._send(status, body, content_type)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        if self.path != "/_control/faults":
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "unknown control path"})
            return
        if not self._control_allowed():
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(payload, dict):
                raise ValueError('the body must be a JSON object: {"2024-03": {"transient": 2}}')
            if "latest_month" in payload:
                latest = str(payload.pop("latest_month"))
                if not MONTH.match(latest):
                    raise ValueError(f"latest_month {latest!r} is not a month like '2024-03'")
                self.server.state.latest_month = latest
            self.server.state.set_faults(payload)
        except ValueError as err:  # json.JSONDecodeError is a ValueError
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(err)})
            return
        with self.server.state.lock:
            self.server.state.requests.clear()
        self._send_json(HTTPStatus.OK, {"status": "ok"})


class _SourceServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SourceState) -> None:
        super().__init__(address, _Handler)
        self.state = state


@dataclass
class RunningSource:
    """A source serving in a background thread of this process (tests, notebooks, the grader)."""

    server: _SourceServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/trip-data"

    @property
    def state(self) -> SourceState:
        return self.server.state

    def set_faults(self, faults: dict[str, object]) -> None:
        self.state.set_faults(faults)
        with self.state.lock:
            self.state.requests.clear()

    def requests(self, month: str | None = None) -> list[dict[str, object]]:
        with self.state.lock:
            return [r for r in self.state.requests if month is None or r["month"] == month]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# How often the serving loop looks for a stop request: `stop()` waits up to this long. With
# Python's default, 0.5 s, stopping each graded submission's sandbox (which stops its source)
# took 0.57 s instead of 0.13 s.
STOP_POLL_SECONDS = 0.05


def _start(server: _SourceServer) -> RunningSource:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": STOP_POLL_SECONDS},
        name="taxi-source",
        daemon=True,
    )
    thread.start()
    return RunningSource(server, thread)


def serve_state_in_thread(
    state: SourceState, port: int, host: str = "127.0.0.1", wrap=None
) -> RunningSource:
    """A second server answering from `state` (same faults, same request log); `wrap`, if
    given, wraps its listening socket (the grader's HTTPS stand-in for the CDN)."""
    server = _SourceServer((host, port), state)
    if wrap is not None:
        server.socket = wrap(server.socket)
    return _start(server)


def files_to_json(files: dict[tuple[str, int], bytes]) -> list[dict[str, object]]:
    """Files for `preload` as JSON can carry them (the grader's set-up for its sandboxes)."""
    return [
        {"month": month, "broken_rows": broken, "base64": base64.b64encode(data).decode()}
        for (month, broken), data in sorted(files.items())
    ]


def files_from_json(raw: object) -> dict[tuple[str, int], bytes]:
    """`files_to_json`'s list back to files; a malformed item is skipped (then made on demand)."""
    files: dict[tuple[str, int], bytes] = {}
    for item in raw if isinstance(raw, list) else []:
        try:
            key = (str(item["month"]), int(item["broken_rows"]))
            files[key] = base64.b64decode(item["base64"], validate=True)
        except (KeyError, TypeError, ValueError):
            continue
    return files


def serve_in_thread(
    port: int = 0,
    host: str = "127.0.0.1",
    latest_month: str | None = None,
    faults: dict[str, object] | None = None,
    control_token: str | None = None,
    files: dict[tuple[str, int], bytes] | None = None,
) -> RunningSource:
    state = SourceState(control_token=control_token)
    if latest_month:
        state.latest_month = latest_month
    state.set_faults(faults or {})
    state.preload(files or {})
    server = _SourceServer((host, port), state)
    return _start(server)
