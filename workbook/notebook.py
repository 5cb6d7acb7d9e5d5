"""What the workbook notebooks call: one set-up line, then chapter DAG runs, readable logs and
the taxi source's knobs.

Every notebook starts with

    from workbook.notebook import setup
    wb = setup("05")

which points Airflow at the project-local home, makes sure the metadata database exists,
finds (or starts) the taxi source and gives the chapter its own scratch warehouse. Anything
already set in the environment wins, so the test suite can run every notebook against
temporary folders and its own source.

DAGs run with `dag.test()` (see `workbook.runner`), which only runs DAGs that live in a
configured DAG bundle. The workbook configures three bundles, all parsed from files:

* `dags-folder` — the repository's `dags/` (the reference `taxi_pipeline`, `hello_pipeline`);
* `workbook`    — `notebooks/dags/`, the chapter DAGs the notebooks display and run;
* `workbook-student` — `<work>/dags/`, the DAGs students write in exercises (`%%dag name`).

A DAG's id is its file's name, so `wb.run("ch05_taxi_pipeline", ...)` knows which file to load.
"""

from __future__ import annotations

import contextlib
import difflib
import html
import json
import logging
import os
import re
import shutil
import sys
import sysconfig
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from workbook import airflow_env, paths

NOTEBOOKS = paths.REPO_ROOT / "notebooks"
CHAPTER_DAGS = NOTEBOOKS / "dags"
WORK_DIR_ENV = "WORKBOOK_WORK_DIR"
STRICT_WARNINGS_ENV = "WORKBOOK_STRICT_WARNINGS"
BUNDLES_ENV = "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"

# Airflow's deprecation warnings: the workbook must teach Airflow 3 without any of them.
DEPRECATION_WARNINGS = (
    "airflow.exceptions.RemovedInAirflow4Warning",
    "airflow.sdk.exceptions.RemovedInAirflow4Warning",
    "airflow.utils.deprecation_tools.DeprecatedImportWarning",
    "airflow.exceptions.AirflowProviderDeprecationWarning",
)
DEPRECATION_NAMES = tuple(sorted({name.rsplit(".", 1)[1] for name in DEPRECATION_WARNINGS}))


class WorkbookError(RuntimeError):
    """Something in the workbook cannot go on; the message says what and how to fix it."""


# ---------------------------------------------------------------------------------------------
# Small display helpers
# ---------------------------------------------------------------------------------------------


class Text(str):
    """A string that Jupyter shows as plain text (no quotes, real line breaks)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


class Markdown(str):
    """A string that Jupyter renders as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


class Table(list):
    """Rows of dicts that Jupyter shows as a small HTML table (and as text elsewhere)."""

    def __init__(self, rows: list[dict[str, Any]], title: str = "") -> None:
        super().__init__(rows)
        self.title = title

    def _columns(self) -> list[str]:
        columns: list[str] = []
        for row in self:
            columns += [key for key in row if key not in columns]
        return columns

    def _repr_html_(self) -> str:
        columns = self._columns()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>" for c in columns)
            + "</tr>"
            for row in self
        )
        title = f"<b>{html.escape(self.title)}</b>" if self.title else ""
        return f"{title}<table><tr>{head}</tr>{body}</table>"

    def __str__(self) -> str:
        columns = self._columns()
        widths = {c: max([len(c)] + [len(_cell(row.get(c))) for row in self]) for c in columns}
        lines = [self.title] if self.title else []
        lines.append("  ".join(c.ljust(widths[c]) for c in columns))
        lines += ["  ".join(_cell(row.get(c)).ljust(widths[c]) for c in columns) for row in self]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


class RunList(list):
    """The reports of several runs (a backfill); shown as one line per run."""

    def table(self) -> Table:
        return Table(
            [
                {
                    "logical date": r.logical_date.strftime("%Y-%m-%d") if r.logical_date else None,
                    "result": "success" if r.succeeded else "FAILED: " + ", ".join(r.failed_tasks),
                    "seconds": round(r.seconds, 1),
                }
                for r in self
            ]
        )

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self.table()))


# ---------------------------------------------------------------------------------------------
# Logs: what a person reads
# ---------------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_STRUCTLOG = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2}T(?P<hms>\d{2}:\d{2}:\d{2})\S*)\s+\[(?P<level>\w+)\s*\]\s+"
    r"(?P<msg>.*?)\s*(?:\[(?P<logger>[\w.]+)\](?P<extra>.*))?$"
)
_NOISE_LOGGERS = ("airflow.api_fastapi",)
_NOISE_MESSAGES = (
    "::group::",
    "::endgroup::",
    "[DAG TEST] running task",
    "[DAG TEST] end task",
    "Pushing xcom",
    "Updating RenderedTaskInstanceFields",
)
_NEW_STATE = re.compile(r"new_state=(\w+)")


def readable_log(raw: str) -> str:
    """Airflow's task log without the plumbing: tries, your messages, errors, state changes.

    Traceback frames inside installed packages are folded away; the frames from DAG files and
    the exception's own line stay, because that is where the answer usually is.
    """
    out: list[str] = []
    in_traceback = keep_frame = False
    tries = 0
    for raw_line in raw.splitlines():
        line = _ANSI.sub("", raw_line).rstrip()
        match = _STRUCTLOG.match(line)
        if match:
            in_traceback = False
            msg, logger, extra = match["msg"], match["logger"] or "", match["extra"] or ""
            level = match["level"].upper()
            if msg.startswith("[DAG TEST] starting task_id="):
                tries += 1
                out.append(f"{match['hms']} ---- try {tries} ----")
            elif logger.startswith(_NOISE_LOGGERS):
                state = _NEW_STATE.search(extra)
                if state and "state updated" in msg:
                    out.append(f"{match['hms']} state -> {state.group(1)}")
            elif not any(noise in msg for noise in _NOISE_MESSAGES):
                prefix = f"{match['hms']} " + ("" if level == "INFO" else f"{level} ")
                out.append(prefix + msg)
        elif line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            out.append("  Traceback (frames inside Python and installed packages left out):")
        elif in_traceback:
            out += _traceback_line(line, keep_frame)
            if line.strip().startswith("File "):
                keep_frame = not _is_library_frame(line)
        elif line.strip():
            out.append("         " + line.strip())  # the task's own output: print(), dbt
    return "\n".join(out)


_LIBRARY_DIRS = tuple(
    {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], "site-packages"}
)


def _is_library_frame(frame: str) -> bool:
    return any(folder in frame for folder in _LIBRARY_DIRS)


def _traceback_line(line: str, keep_frame: bool) -> list[str]:
    text = line.strip()
    if text.startswith("File "):
        return [] if _is_library_frame(text) else ["    " + text]
    if not text or set(text) <= set("^~ "):
        return []
    if line.startswith((" ", "\t")):
        return ["      " + text] if keep_frame else []
    return ["  " + line]  # the exception itself


# ---------------------------------------------------------------------------------------------
# Output capture and logging noise
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def quiet() -> Iterator[Any]:
    """Swallow Airflow's chatter (database set-up, DAG parsing) while a helper works."""
    from workbook import runner

    _repair_stale_handlers()
    with runner._captured_output() as captured:
        yield captured


def _repair_stale_handlers() -> None:
    """Point logging handlers whose stream was closed back at stdout.

    dbt gives its "stdout_log" logger a handler on whatever sys.stdout is when dbt runs; inside
    a capture (pytest's, or the runner's) that stream is closed afterwards. The next capture
    would fail on it with "I/O operation on closed file".
    """
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and getattr(stream, "closed", False):
                handler.stream = sys.stdout


def _root_console_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]


def _structlog_levels() -> list[Any]:
    """Airflow's per-logger level tables (one per vendored copy of its logging helpers)."""
    tables = []
    for name in ("airflow._shared.logging.structlog", "airflow.sdk._shared.logging.structlog"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "PER_LOGGER_LEVELS"):
            tables.append(module.PER_LOGGER_LEVELS)
    return tables


def _set_console_level(level: int) -> list[tuple[Any, int]]:
    """Set the level of Airflow's console logging; returns what to restore."""
    previous: list[tuple[Any, int]] = [(h, h.level) for h in _root_console_handlers()]
    for handler, _ in previous:
        handler.setLevel(level)
    for table in _structlog_levels():
        previous.append((table, table[""]))
        table[""] = level
    return previous


def _restore_console(previous: list[tuple[Any, int]]) -> None:
    for target, level in previous:
        if isinstance(target, logging.Handler):
            target.setLevel(level)
        else:
            target[""] = level


@contextlib.contextmanager
def _task_logging() -> Iterator[None]:
    """Let INFO records through while a DAG runs (the runner splits its capture on them)."""
    previous = _set_console_level(logging.INFO)
    try:
        yield
    finally:
        _restore_console(previous)


def _release_dbt_duckdb() -> None:
    """Close the warehouse file that dbt-duckdb keeps open after a `dbt` call in this process.

    On a real Airflow worker every task runs in its own process, which ends and releases the
    file. Here all tasks share the notebook's process, so without this a script or a dbt
    subprocess started later could not open the warehouse (DuckDB allows one writer process).
    """
    module = sys.modules.get("dbt.adapters.duckdb.connections")
    manager = getattr(module, "DuckDBConnectionManager", None)
    if manager is None or manager._ENV is None:
        return
    with contextlib.suppress(Exception):
        manager._ENV.close()
    manager._ENV = None


def _hush_console() -> None:
    """Outside DAG runs, keep Airflow's log lines out of the notebook.

    Between runs they are about parsing and bookkeeping (a DagBag logs every import error with
    its traceback, which the notebook shows more readably from `import_errors`). Exceptions
    still surface as exceptions; task logs are kept per run in the RunReport.
    """
    _set_console_level(logging.CRITICAL)


def _strict_deprecations() -> None:
    """Turn Airflow's deprecation warnings into errors (the test suite asks for this)."""
    import importlib

    for dotted in DEPRECATION_WARNINGS:
        module, name = dotted.rsplit(".", 1)
        warnings.simplefilter("error", getattr(importlib.import_module(module), name))


# ---------------------------------------------------------------------------------------------
# The taxi source, seen from a notebook
# ---------------------------------------------------------------------------------------------


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


def _start_source() -> str:
    if url := os.environ.get("TAXI_SOURCE_URL"):
        return url
    from taxi_source import daemon

    try:
        url = daemon.ensure_running()
    except daemon.SourceUnavailable as err:
        raise WorkbookError(str(err)) from None
    os.environ["TAXI_SOURCE_URL"] = url
    return url


# ---------------------------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------------------------


def work_root() -> Path:
    """Where the workbook keeps scratch files: warehouses, student DAGs, tests, runbooks."""
    return Path(os.environ.get(WORK_DIR_ENV) or NOTEBOOKS / "work").expanduser().resolve()


def _bundles(student_dags: Path) -> str:
    return json.dumps(
        [
            {"name": name, "classpath": LOCAL_BUNDLE, "kwargs": {"path": str(folder)}}
            for name, folder in (
                ("dags-folder", paths.dags_folder()),
                ("workbook", CHAPTER_DAGS),
                ("workbook-student", student_dags),
            )
        ]
    )


def setup(chapter: str, *, fresh: bool = True) -> Workbook:
    """Get a notebook ready: Airflow home and database, the taxi source, a scratch warehouse.

    `chapter` names the scratch folder (`work/ch05/`). With `fresh=True` the chapter's own
    warehouse and notifications start empty, so the notebook reads the same every time it
    runs top to bottom. Paths given through TAXI_WAREHOUSE / TAXI_NOTIFICATIONS are never
    emptied.
    """
    root = work_root()
    work = root / f"ch{chapter}"
    student_dags = root / "dags"
    for folder in (work, student_dags):
        folder.mkdir(parents=True, exist_ok=True)
    os.environ[BUNDLES_ENV] = _bundles(student_dags)
    airflow_env.configure(home=paths.airflow_home())
    defaults = {
        "TAXI_WAREHOUSE": work / "taxi.duckdb",
        "TAXI_NOTIFICATIONS": work / "notifications.jsonl",
    }
    for name, default in defaults.items():
        if not os.environ.get(name):
            os.environ[name] = str(default)
            if fresh:
                default.unlink(missing_ok=True)
                Path(f"{default}.wal").unlink(missing_ok=True)
    os.environ.setdefault("TAXI_DBT_PROJECT_DIR", str(paths.dbt_project_dir()))
    # dbt writes its target/ and logs/ per chapter, not into the shared project folder.
    os.environ["DBT_TARGET_PATH"] = str(work / "dbt" / "target")
    os.environ["DBT_LOG_PATH"] = str(work / "dbt" / "logs")
    os.environ.setdefault("AIRFLOW_STUDENT", "default")
    for folder in (str(CHAPTER_DAGS), str(student_dags)):
        if folder not in sys.path:
            sys.path.append(folder)  # as the DAG processor does for a bundle
    if os.environ.get(STRICT_WARNINGS_ENV) == "1":
        _strict_deprecations()
    import airflow  # noqa: F401 - configures logging (and structlog) once
    import structlog

    # Airflow caches each structlog logger with the stdout it first wrote to. The workbook
    # captures output per run, so a cached logger would keep writing into a closed capture.
    structlog.configure(cache_logger_on_first_use=False)
    with quiet():
        airflow_env.ensure_db()
    _hush_console()
    source = Source(_start_source())
    source.faults({})
    wb = Workbook(
        chapter=chapter,
        work=work,
        student_dags=student_dags,
        source=source,
        warehouse=Path(os.environ["TAXI_WAREHOUSE"]),
        notifications_file=Path(os.environ["TAXI_NOTIFICATIONS"]),
        dbt_project=Path(os.environ["TAXI_DBT_PROJECT_DIR"]),
    )
    _register_magics(wb)
    global _CURRENT
    _CURRENT = wb
    return wb


_CURRENT: Workbook | None = None


def current() -> Workbook:
    if _CURRENT is None:
        raise WorkbookError("Run the notebook's first cell (wb = setup(...)) before this one.")
    return _CURRENT


# ---------------------------------------------------------------------------------------------
# The workbook object
# ---------------------------------------------------------------------------------------------


@dataclass
class Workbook:
    chapter: str
    work: Path
    student_dags: Path
    source: Source
    warehouse: Path
    notifications_file: Path
    dbt_project: Path
    reports: list = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        import airflow

        return (
            f"Workbook ready: Airflow {airflow.__version__}, taxi source {self.source.origin} "
            f"(published up to {self.source.latest_month}), "
            f"warehouse {_short(self.warehouse)}"
        )

    # -- finding DAGs ------------------------------------------------------------------------

    @property
    def dag_folders(self) -> list[Path]:
        return [paths.dags_folder(), CHAPTER_DAGS, self.student_dags]

    def dag_file(self, dag_id: str) -> Path:
        """The file that defines `dag_id` (the workbook names every DAG file after its id)."""
        for folder in self.dag_folders:
            candidate = folder / f"{dag_id}.py"
            if candidate.exists():
                return candidate
        raise WorkbookError(
            f"No file {dag_id}.py in {', '.join(_short(f) for f in self.dag_folders)}. "
            "The workbook expects each DAG in a file named after its dag_id."
        )

    def dag(self, dag_id: str):
        """Parse the DAG's file and return the DAG object (no run)."""
        from airflow.models import DagBag

        path = self.dag_file(dag_id)
        with quiet():
            bag = DagBag(dag_folder=str(path))
        if dag_id not in bag.dags:
            raise WorkbookError(_import_problem(path, bag.import_errors, dag_id))
        return bag.dags[dag_id]

    def list_dags(self) -> Table:
        """Every DAG Airflow finds in the workbook's folders, like the UI's list of DAGs."""
        from airflow.models import DagBag

        rows = []
        for folder in self.dag_folders:
            with quiet():
                bag = DagBag(dag_folder=str(folder))
            rows += [
                {
                    "folder": _short(folder),
                    "dag_id": dag_id,
                    "schedule": _schedule_text(bag.dags[dag_id].schedule),
                    "tags": ", ".join(sorted(bag.dags[dag_id].tags)),
                }
                for dag_id in sorted(bag.dag_ids)
            ]
            rows += [
                {"folder": _short(folder), "dag_id": f"(import error in {Path(f).name})"}
                for f in bag.import_errors
            ]
        return Table(rows, title="DAGs the workbook's Airflow can see")

    # -- running -------------------------------------------------------------------------------

    def run(
        self,
        dag_id: str,
        logical_date: datetime | str | None,
        *,
        conf: dict | None = None,
        run_after: datetime | str | None = None,
        retry_delay: timedelta | None = timedelta(seconds=1),
    ):
        """Run the DAG once, in this process, and return its RunReport.

        `logical_date` is a date like "2024-03-01", or None for a run without one (an Airflow 3
        manual trigger). Retries wait `retry_delay` (1 s) instead of the DAG's own delay.
        """
        from workbook import runner

        path = self.dag_file(dag_id)
        if isinstance(run_after, str):
            import pendulum

            run_after = pendulum.parse(run_after, tz="UTC")
        _repair_stale_handlers()
        try:
            with _task_logging():
                report = runner.run_dag(
                    dag_id,
                    logical_date,
                    conf=conf,
                    run_after=run_after,
                    retry_delay=retry_delay,
                    dags_folder=path,
                )
        except runner.DagNotFound:
            from airflow.models import DagBag

            with quiet():
                bag = DagBag(dag_folder=str(path))
            raise WorkbookError(_import_problem(path, bag.import_errors, dag_id)) from None
        finally:
            _hush_console()
            _release_dbt_duckdb()
        self.reports.append(report)
        if not report.tasks:
            print(
                f"⚠ {dag_id} ran no tasks at all: Airflow creates no task instances for a "
                f"logical date before the DAG's start_date. Pick a later date."
            )
        return report

    def backfill(self, dag_id: str, first: str, last: str, **kwargs: Any) -> RunList:
        """One run per month from `first` to `last` ('2024-01', '2024-07'), oldest first.

        This is what `airflow backfill create` asks a scheduler to do; here the runs happen one
        after another in this process.
        """
        from workbook import runner

        return RunList(
            self.run(dag_id, when, **kwargs) for when in runner.monthly_dates(first, last)
        )

    # -- reading results -------------------------------------------------------------------------

    def log(self, report, task_id: str, *, tail: int | None = None, raw: bool = False) -> Text:
        """A task's log from a run: readable by default, exactly as Airflow wrote it with raw."""
        if task_id not in report.tasks:
            raise WorkbookError(
                f"{report.dag_id} has no task {task_id!r}; its tasks are {list(report.tasks)}"
            )
        text = report.log(task_id)
        text = _ANSI.sub("", text) if raw else readable_log(text)
        lines = text.splitlines()
        if tail:
            lines = lines[-tail:]
        return Text("\n".join(lines))

    def xcom(self, report, task_id: str, key: str = "return_value") -> Any:
        """The value a task pushed to XCom in that run (its return value by default)."""
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            row = (
                session.query(XComModel)
                .filter(
                    XComModel.dag_id == report.dag_id,
                    XComModel.run_id == report.run_id,
                    XComModel.task_id == task_id,
                    XComModel.key == key,
                )
                .one_or_none()
            )
            return None if row is None else row.value

    def xcom_bytes(self, report) -> dict[str, int]:
        """How many bytes each task's XComs take in the metadata database for that run."""
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import func

        with create_session() as session:
            rows = (
                session.query(XComModel.task_id, func.sum(func.length(XComModel.value)))
                .filter(XComModel.dag_id == report.dag_id, XComModel.run_id == report.run_id)
                .group_by(XComModel.task_id)
                .all()
            )
        return {task_id: int(size or 0) for task_id, size in rows}

    def rendered(self, report, task_id: str) -> dict[str, Any]:
        """The task's templated fields as Airflow rendered them for that run."""
        from airflow.models.renderedtifields import RenderedTaskInstanceFields as Rendered
        from airflow.utils.session import create_session

        with create_session() as session:
            row = (
                session.query(Rendered)
                .filter(
                    Rendered.dag_id == report.dag_id,
                    Rendered.run_id == report.run_id,
                    Rendered.task_id == task_id,
                )
                .one_or_none()
            )
            return {} if row is None else dict(row.rendered_fields)

    def history(self, dag_id: str) -> Table:
        """Every run of the DAG the metadata database remembers, newest first."""
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session

        with create_session() as session:
            runs = (
                session.query(DagRun)
                .filter(DagRun.dag_id == dag_id)
                .order_by(DagRun.run_after.desc())
                .all()
            )
            return Table(
                [
                    {
                        "run_id": run.run_id,
                        "logical date": run.logical_date,
                        "run after": run.run_after,
                        "state": str(run.state),
                    }
                    for run in runs
                ],
                title=f"runs of {dag_id}",
            )

    def asset_events(self) -> Table:
        """The asset events Airflow has recorded: which run updated which asset, and when."""
        from airflow.models.asset import AssetEvent, AssetModel
        from airflow.utils.session import create_session

        with create_session() as session:
            rows = (
                session.query(AssetEvent, AssetModel.uri)
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .order_by(AssetEvent.timestamp)
                .all()
            )
            return Table(
                [
                    {
                        "asset": uri,
                        "updated by": f"{event.source_dag_id}.{event.source_task_id}",
                        "at": event.timestamp,
                    }
                    for event, uri in rows
                ],
                title="asset events",
            )

    @staticmethod
    def table(rows: list[dict[str, Any]], title: str = "") -> Table:
        """Show a list of dicts as a small table."""
        return Table(rows, title)

    def counts(self, student: str | None = None) -> dict[str, int]:
        """Rows of raw_trips per month in this chapter's warehouse."""
        from workbook import warehouse

        if not self.warehouse.exists():
            return {}
        schema = f"airflow_{student or os.environ.get('AIRFLOW_STUDENT', 'default')}"
        return warehouse.month_counts(self.warehouse, schema)

    def fingerprint(self, student: str | None = None) -> dict[str, tuple[int, str]]:
        """(rows, checksum) of raw_trips, stg_trips and fct_trips: equal means identical data."""
        from workbook import warehouse

        schema = f"airflow_{student or os.environ.get('AIRFLOW_STUDENT', 'default')}"
        return warehouse.fingerprint(self.warehouse, schema)

    def query(self, sql: str) -> Table:
        """Run a SQL query against this chapter's warehouse and show the rows."""
        from workbook import warehouse

        with warehouse.connect(self.warehouse) as con:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return Table([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])

    def script(self, path: str, *args: str, env: dict[str, str] | None = None) -> ScriptResult:
        """Run a Python script as its own process, the way cron would, and keep its output."""
        import subprocess

        done = subprocess.run(
            [sys.executable, str(paths.REPO_ROOT / path), *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        return ScriptResult(path, done.returncode, _ANSI.sub("", done.stdout + done.stderr))

    def lint(self, path: Path | str) -> Text:
        """What ruff's Airflow rules (AIR) say about a file: Airflow 2 habits and the like."""
        import subprocess

        done = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--select", "AIR", "--preview", "--no-cache"]
            + ["--output-format", "concise", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        finding = re.compile(r"^.+?:(\d+):\d+: (.*)$")
        matches = [finding.match(line) for line in done.stdout.splitlines()]
        findings = [f"line {m.group(1)}: {m.group(2)}" for m in matches if m]
        return Text(
            "\n".join(findings) or f"ruff finds no Airflow 2 habits in {_short(Path(path))}"
        )

    def airflow(self, command: str) -> ScriptResult:
        """Run an `airflow ...` command against the workbook's Airflow (about 5 s of start-up)."""
        import shlex
        import subprocess

        done = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), *shlex.split(command)],
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        text = _ANSI.sub("", done.stdout + done.stderr)
        # Airflow's own log lines are start-up chatter here; keep what the command printed.
        kept = [line for line in text.splitlines() if not _STRUCTLOG.match(line)]
        return ScriptResult(f"airflow {command}", done.returncode, "\n".join(kept))

    def notifications(self) -> list[dict[str, Any]]:
        """What the notify tasks recorded, oldest first."""
        if not self.notifications_file.exists():
            return []
        lines = self.notifications_file.read_text().splitlines()
        return [json.loads(line) for line in lines if line]

    # -- showing code ----------------------------------------------------------------------------

    def show(self, where: str, section: str | None = None) -> Markdown:
        """Show a file (or one `# [START section]` ... `# [END section]` slice of it) as code.

        `where` is a DAG id ("ch04_taxi_pipeline") or a path relative to the repository.
        """
        path = self._resolve(where)
        text = path.read_text()
        if section:
            text = _section(text, section, path)
        language = {".py": "python", ".sql": "sql", ".md": "markdown"}.get(path.suffix, "")
        title = f"`{_short(path)}`" + (f" — section `{section}`" if section else "")
        return Markdown(f"{title}\n\n```{language}\n{text.rstrip()}\n```")

    def grep(self, where: str, pattern: str) -> Text:
        """The lines of a file that match a regular expression, with their line numbers."""
        path = self._resolve(where)
        found = [
            f"{_short(path)}:{number}: {line.strip()}"
            for number, line in enumerate(path.read_text().splitlines(), start=1)
            if re.search(pattern, line)
        ]
        return Text("\n".join(found) or f"no line of {_short(path)} matches {pattern!r}")

    def diff(self, before: str, after: str) -> Markdown:
        """What changed between two files (DAG ids or repository paths)."""
        a, b = self._resolve(before), self._resolve(after)
        lines = difflib.unified_diff(
            a.read_text().splitlines(),
            b.read_text().splitlines(),
            fromfile=_short(a),
            tofile=_short(b),
            lineterm="",
            n=1,
        )
        return Markdown("```diff\n" + "\n".join(lines) + "\n```")

    def _resolve(self, where: str) -> Path:
        if "/" not in where and not where.endswith(".py"):
            return self.dag_file(where)
        for base in (paths.REPO_ROOT, self.work):
            candidate = base / where
            if candidate.exists():
                return candidate
        candidate = Path(where)
        if candidate.exists():
            return candidate
        raise WorkbookError(f"No file {where} in the repository or in {_short(self.work)}")

    # -- writing files -------------------------------------------------------------------------

    def write_dag(self, name: str, source: str) -> Path:
        """Save a DAG you wrote as `<work>/dags/<name>.py` and say whether Airflow can load it."""
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise WorkbookError(
                f"{name!r} cannot be a DAG file name: use lowercase letters, digits and _"
            )
        path = _write_atomic(self.student_dags / f"{name}.py", source)
        from airflow.models import DagBag

        with quiet():
            bag = DagBag(dag_folder=str(path))
        if name in bag.dags:
            tasks = ", ".join(bag.dags[name].task_ids) or "no tasks yet"
            print(f"saved {_short(path)}: DAG '{name}' with tasks: {tasks}")
        else:
            print(_import_problem(path, bag.import_errors, name))
        return path

    def write_file(self, relative: str, text: str) -> Path:
        """Save a file under this chapter's scratch folder (tests, a runbook, a broken DAG)."""
        return _write_atomic(self.work / relative, text)

    # -- tests -----------------------------------------------------------------------------------

    def pytest(self, target: Path | str, *args: str, env: dict[str, str] | None = None):
        """Run pytest on a file in this process (Airflow is already loaded, so it is fast)."""
        return run_pytest(Path(target), *args, env=env)

    # -- self-checks -----------------------------------------------------------------------------

    def check(self, exercise: str, *args: Any, **kwargs: Any):
        """Check an exercise; prints ✅ or ❌ with a hint, never a traceback."""
        from workbook import selfcheck

        return selfcheck.check(exercise, self, *args, **kwargs)


@dataclass(frozen=True)
class ScriptResult:
    """What a process printed and how it exited."""

    script: str
    exit_code: int
    output: str

    def tail(self, lines: int = 12) -> Text:
        return Text("\n".join(self.output.strip().splitlines()[-lines:]))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"{self.script} exited with code {self.exit_code}\n{self.tail()}")


def _schedule_text(schedule: Any) -> str:
    if schedule is None or isinstance(schedule, str):
        return str(schedule)
    if isinstance(schedule, list | tuple):
        return "on asset " + ", ".join(getattr(a, "name", str(a)) for a in schedule)
    return type(schedule).__name__


def _short(path: Path) -> str:
    for base, label in ((paths.REPO_ROOT, ""), (work_root(), "work/")):
        with contextlib.suppress(ValueError):
            return label + str(Path(path).resolve().relative_to(base))
    return str(path)


def _section(text: str, section: str, path: Path) -> str:
    name = re.escape(section)
    pattern = re.compile(
        rf"^[ \t]*# \[START {name}\][^\n]*\n(.*?)^[ \t]*# \[END {name}\]", re.S | re.M
    )
    match = pattern.search(text)
    if not match:
        raise WorkbookError(f"{_short(path)} has no '# [START {section}]' ... '# [END ...]' part")
    body = match.group(1)
    indent = min(
        (len(line) - len(line.lstrip()) for line in body.splitlines() if line.strip()), default=0
    )
    return "\n".join(line[indent:] for line in body.splitlines())


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
    return path


def _import_problem(path: Path, import_errors: dict[str, str], dag_id: str) -> str:
    error = next(iter(import_errors.values()), "")
    if error:
        last = error.strip().splitlines()[-1]
        line = re.findall(rf'File "{re.escape(str(path))}", line (\d+)', error)
        where = f"{_short(path)}" + (f", line {line[-1]}" if line else "")
        return f"❌ Airflow cannot load {where}: {last}"
    return (
        f"❌ {_short(path)} loads, but defines no DAG '{dag_id}'. Is the dag_id spelled like the "
        "file name, and is the @dag function called at the bottom of the file?"
    )


# ---------------------------------------------------------------------------------------------
# pytest in the notebook's process
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PytestResult:
    exit_code: int
    passed: list[str]
    failed: list[str]
    skipped: list[str]
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failed

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.output.strip())


class _Collector:
    """A tiny pytest plugin that remembers each test's outcome."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        name = report.nodeid.split("::")[-1]
        counts = report.when == "call" or report.outcome != "passed"
        if counts and (report.outcome == "failed" or name not in self.outcomes):
            self.outcomes[name] = report.outcome


def run_pytest(target: Path, *args: str, env: dict[str, str] | None = None) -> PytestResult:
    import pytest

    target = target.resolve()
    # A re-run must see the file as it is now, not the module imported last time.
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) and Path(module.__file__).parent == target.parent:
            del sys.modules[name]
    collector = _Collector()
    saved = {key: os.environ.get(key) for key in env or {}}
    os.environ.update(env or {})
    try:
        with quiet() as captured:
            code = pytest.main(
                [
                    str(target),
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-p",
                    "no:logging",
                    "-o",
                    "addopts=",
                    "--rootdir",
                    str(target.parent),
                    "--import-mode=importlib",
                    "-W",
                    "ignore::pytest.PytestAssertRewriteWarning",
                    *args,
                ],
                plugins=[collector],
            )
    finally:
        _hush_console()
        _repair_stale_handlers()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    output = _summary_lines(captured.getvalue())
    by_outcome: dict[str, list[str]] = {"passed": [], "failed": [], "skipped": []}
    for name, outcome in collector.outcomes.items():
        by_outcome.setdefault(outcome, []).append(name)
    return PytestResult(
        int(code), by_outcome["passed"], by_outcome["failed"], by_outcome["skipped"], output
    )


def _summary_lines(output: str) -> str:
    """pytest's own report, without the Airflow log lines captured along with it."""
    keep = [
        line
        for line in _ANSI.sub("", output).splitlines()
        if not _STRUCTLOG.match(line) and not line.startswith("\x1b")
    ]
    return "\n".join(keep)


# ---------------------------------------------------------------------------------------------
# The %%dag cell magic
# ---------------------------------------------------------------------------------------------


def _register_magics(wb: Workbook) -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return

    def dag(line: str, cell: str) -> None:
        """%%dag <name>: save this cell as the DAG file <work>/dags/<name>.py."""
        name = line.strip()
        if not name:
            print("❌ Give the DAG a name on the first line, e.g. %%dag ch02_my_first_dag")
            return
        current().write_dag(name, cell)

    shell.register_magic_function(dag, magic_kind="cell", magic_name="dag")

    def missing_exercise(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
        """A self-check run before its exercise cell: say so instead of a NameError traceback."""
        name = getattr(value, "name", "") or ""
        if name.startswith("ex") and "_" in name:
            print(f"❌ {name} is not defined yet: run the exercise cell above this check first.")
            return None
        return shell.showtraceback((etype, value, tb), tb_offset=tb_offset)

    shell.set_custom_exc((NameError,), missing_exercise)


# ---------------------------------------------------------------------------------------------
# Schedules: what a timetable would do, without a scheduler
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRun:
    logical_date: datetime | None
    run_after: datetime
    interval_start: datetime | None
    interval_end: datetime | None


def planned_runs(dag: Any, until: datetime, *, catchup: bool | None = None) -> list[PlannedRun]:
    """The runs a scheduler would create for `dag` from its start_date up to `until`.

    With catchup (the DAG's own setting unless given) that is every interval since the start;
    without it, only the latest one, as Airflow 3 does by default.
    """
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = coerce_to_core_timetable(dag.timetable)
    restriction = TimeRestriction(dag.start_date, None, True)
    runs: list[PlannedRun] = []
    last = None
    while len(runs) < 5000:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None or info.run_after > until:
            break
        runs.append(
            PlannedRun(
                info.logical_date,
                info.run_after,
                info.data_interval.start if info.data_interval else None,
                info.data_interval.end if info.data_interval else None,
            )
        )
        last = info.data_interval
    catchup = dag.catchup if catchup is None else catchup
    # Without catchup, the scheduler creates only the most recent run that is due.
    return runs if catchup else runs[-1:]


def next_runs(schedule: Any, after: str | datetime, count: int = 5) -> list[datetime]:
    """The next `count` run times of a schedule ("0 6 * * 1-5", "@daily", a timetable)."""
    import pendulum
    from airflow.sdk import DAG

    start = pendulum.parse(after, tz="UTC") if isinstance(after, str) else after
    with quiet():
        dag = DAG("schedule_preview", schedule=schedule, start_date=start, catchup=True)
    far = pendulum.instance(start).add(years=5)
    found: list[datetime] = []
    for run in planned_runs(dag, far, catchup=True):
        if run.run_after >= start:
            found.append(run.run_after)
        if len(found) == count:
            break
    return found


def describe_schedule(schedule: Any) -> str:
    """The timetable Airflow builds for a schedule, and its plain-English summary."""
    import pendulum
    from airflow.sdk import DAG
    from airflow.serialization.encoders import coerce_to_core_timetable

    with quiet():
        dag = DAG("schedule_preview", schedule=schedule, start_date=pendulum.datetime(2024, 1, 1))
    timetable = coerce_to_core_timetable(dag.timetable)
    return f"{type(timetable).__name__}: {timetable.description or timetable.summary}"


# ---------------------------------------------------------------------------------------------
# Chapter 8: the shared deployment, rehearsed locally
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployCheck:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class DryRun:
    student: str
    folder: Path
    checks: list[DeployCheck]

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✅' if c.passed else '❌'}</td><td>{html.escape(c.name)}</td>"
            f"<td>{html.escape(c.detail)}</td></tr>"
            for c in self.checks
        )
        verdict = "ready to open a pull request" if self.ok else "fix the ❌ lines first"
        return (
            f"<b>Dry run for student '{html.escape(self.student)}' in "
            f"{html.escape(_short(self.folder))}</b>: {verdict}<table>{rows}</table>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        lines = [f"dry run for {self.student}: {'OK' if self.ok else 'NOT READY'}"]
        lines += [f"  {'✅' if c.passed else '❌'} {c.name}: {c.detail}" for c in self.checks]
        printer.text("\n".join(lines))


def shared_dry_run(
    wb: Workbook, dag_file: Path, student: str, classmates: dict[str, str] | None = None
) -> DryRun:
    """Copy a DAG into a stand-in of the shared deployment and parse it as its scheduler would.

    The stand-in is `<work>/shared/dags/<student>/`, next to classmates' folders. Nothing runs
    here: this is the check to do before opening the pull request.
    """
    from airflow.models import DagBag

    shared = wb.work / "shared" / "dags"
    shutil.rmtree(shared, ignore_errors=True)
    mine = shared / student
    _write_atomic(mine / dag_file.name, dag_file.read_text())
    for name, text in (classmates or {}).items():
        _write_atomic(shared / name / "taxi_pipeline.py", text)
    saved = os.environ.get("AIRFLOW_STUDENT")
    os.environ["AIRFLOW_STUDENT"] = student
    try:
        with quiet():
            bag = DagBag(dag_folder=str(shared))
    finally:
        if saved is None:
            os.environ.pop("AIRFLOW_STUDENT", None)
        else:
            os.environ["AIRFLOW_STUDENT"] = saved
    my_errors = {f: e for f, e in bag.import_errors.items() if Path(f).parent.name == student}
    my_dags = [d for d in bag.dags.values() if Path(d.fileloc).parent.name == student]
    checks = [
        DeployCheck(
            "the file imports",
            not my_errors,
            "no import errors"
            if not my_errors
            else next(iter(my_errors.values())).strip().splitlines()[-1],
        ),
        DeployCheck(
            "it defines a DAG",
            bool(my_dags),
            ", ".join(d.dag_id for d in my_dags) or "no DAG found in your folder",
        ),
    ]
    for dag in my_dags:
        checks += [
            DeployCheck(
                "tagged with your name",
                f"student:{student}" in dag.tags,
                f"tags {sorted(dag.tags)}",
            ),
            DeployCheck("catchup is off", dag.catchup is False, f"catchup={dag.catchup}"),
            DeployCheck(
                "one run at a time",
                dag.max_active_runs == 1,
                f"max_active_runs={dag.max_active_runs}",
            ),
            DeployCheck(
                "retries for transient faults",
                all((t.retries or 0) >= 1 for t in dag.tasks),
                f"retries={sorted({t.retries for t in dag.tasks})}",
            ),
        ]
    clashes = [f for f, e in bag.import_errors.items() if "DuplicatedIdException" in e]
    checks.append(
        DeployCheck(
            "dag_id unique on the shared scheduler",
            not clashes,
            "no clash with classmates"
            if not clashes
            else f"same dag_id as another file: {', '.join(_short(Path(c)) for c in clashes)}",
        )
    )
    return DryRun(student, mine, checks)


def deprecation_report() -> str:
    """Airflow deprecation warnings seen in this notebook's DAG runs (the tests call this)."""
    wb = current()
    found = sorted(
        {
            f"{report.dag_id}: {name}"
            for report in wb.reports
            for name in DEPRECATION_NAMES
            if name in report.output
        }
    )
    return "deprecations: " + (", ".join(found) if found else "none")
