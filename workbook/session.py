"""A notebook's session: one set-up line, then everything the chapter does through `wb`.

Every notebook starts with

    from workbook.session import setup
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
The `Workbook` methods are short on purpose: each hands over to the module that does the work.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow_env import settings as airflow_settings
from airflow_env.logs import readable_log, strip_ansi
from workbook import (
    code_view,
    dag_files,
    metadata,
    paths,
    processes,
    pytest_runner,
    runner,
    selfchecks,
    warehouse,
)
from workbook.console import (
    hush_console,
    quiet,
    release_dbt_duckdb,
    repair_stale_handlers,
    task_logging,
)
from workbook.deprecations import STRICT_WARNINGS_ENV, strict_deprecations
from workbook.display import Markdown, RunList, Table, Text
from workbook.errors import WorkbookError
from workbook.magics import register_magics
from workbook.source_client import Source, start_source

BUNDLES_ENV = "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"


def setup(chapter: str, *, fresh: bool = True) -> Workbook:
    """Get a notebook ready: Airflow home and database, the taxi source, a scratch warehouse.

    `chapter` names the scratch folder (`work/ch05/`). With `fresh=True` the chapter's own
    warehouse and notifications start empty, so the notebook reads the same every time it
    runs top to bottom. Paths given through TAXI_WAREHOUSE / TAXI_NOTIFICATIONS are never
    emptied.
    """
    root = paths.work_root()
    work = root / f"ch{chapter}"
    student_dags = root / "dags"
    for folder in (work, student_dags):
        folder.mkdir(parents=True, exist_ok=True)
    os.environ[BUNDLES_ENV] = _bundles(student_dags)
    airflow_settings.configure(home=paths.airflow_home())
    _chapter_environment(work, fresh)
    for folder in (str(paths.CHAPTER_DAGS), str(student_dags)):
        if folder not in sys.path:
            sys.path.append(folder)  # as the DAG processor does for a bundle
    _start_airflow()
    source = Source(start_source())
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
    register_magics(wb)
    global _CURRENT
    _CURRENT = wb
    return wb


_CURRENT: Workbook | None = None


def current() -> Workbook:
    """The Workbook of this notebook's last `setup(...)`."""
    if _CURRENT is None:
        raise WorkbookError("Run the notebook's first cell (wb = setup(...)) before this one.")
    return _CURRENT


def _bundles(student_dags: Path) -> str:
    return json.dumps(
        [
            {"name": name, "classpath": LOCAL_BUNDLE, "kwargs": {"path": str(folder)}}
            for name, folder in (
                ("dags-folder", paths.dags_folder()),
                ("workbook", paths.CHAPTER_DAGS),
                ("workbook-student", student_dags),
            )
        ]
    )


def _chapter_environment(work: Path, fresh: bool) -> None:
    """The chapter's own warehouse, notifications and dbt folders, unless the environment
    already names them."""
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
    # As on the class Airflow: no manifest.json / run_results.json (a third of each dbt call).
    os.environ.setdefault("DBT_WRITE_JSON", "false")
    os.environ.setdefault("AIRFLOW_STUDENT", "default")


def chapters() -> list[str]:
    """The chapters whose notebook calls `setup(...)`: "00", "01", ..."""
    return sorted(
        path.name[:2]
        for path in paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")
        if f'setup(\\"{path.name[:2]}\\")' in path.read_text(encoding="utf-8")
    )


def save_dbt_parses(only: Iterable[str] | None = None) -> list[str]:
    """Parse the dbt project once for every chapter that has no saved parse yet (`make lab`).

    dbt keeps its parse in the chapter's target/ and reuses it while the project and the
    profile stay the same; the profile names the chapter's own warehouse, so each chapter needs
    its own. Without it, a chapter's first dbt task parses the whole project (~3 s). `only`
    limits it to these chapters. Returns the chapters parsed now."""
    from dbt.cli.main import dbtRunner

    parsed = []
    for chapter in chapters() if only is None else only:
        work = paths.work_root() / f"ch{chapter}"
        if (work / "dbt" / "target" / "partial_parse.msgpack").exists():
            continue
        saved = dict(os.environ)
        try:
            _chapter_environment(work, fresh=False)
            # what the DAG's dbt tasks set before they call dbt (dags/taxi_pipeline.py)
            os.environ["TAXI_SCHEMA"] = f"airflow_{os.environ['AIRFLOW_STUDENT']}"
            os.environ["TAXI_DBT_TARGET"] = "duckdb"
            project = os.environ["TAXI_DBT_PROJECT_DIR"]
            with quiet():
                result = dbtRunner().invoke(
                    ["parse", "--project-dir", project, "--profiles-dir", project]
                )
            if result.success:
                parsed.append(chapter)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return parsed


def _start_airflow() -> None:
    """Import Airflow once, with logging set up for captures, and make sure its DB exists."""
    if os.environ.get(STRICT_WARNINGS_ENV) == "1":
        strict_deprecations()
    import airflow  # noqa: F401 - configures logging (and structlog) once
    import structlog

    # Airflow caches each structlog logger with the stdout it first wrote to. The workbook
    # captures output per run, so a cached logger would keep writing into a closed capture.
    structlog.configure(cache_logger_on_first_use=False)
    with quiet():
        airflow_settings.ensure_db()
    hush_console()
    _quick_exit()


@functools.cache
def _quick_exit() -> None:
    """Let the notebook's kernel shut down at once (measured: 5 s per chapter before).

    dbt's connections use multiprocessing locks of the "spawn" kind, which start
    multiprocessing's resource tracker: a child process that ignores SIGTERM. On a shutdown
    request ipykernel signals its children and waits for them, ~5 s, until the client kills the
    kernel. So the tracker is stopped when the shutdown request arrives. Then, at exit, Python's
    last garbage collections would walk every object of Airflow, dbt and pydantic (~3 s); nothing
    needs collecting then, so they are set aside (gc.freeze) first."""
    atexit.register(gc.freeze)
    ipython = sys.modules.get("IPython")  # a kernel has imported it
    kernel = getattr(ipython.get_ipython(), "kernel", None) if ipython else None
    if kernel is None:  # not in a notebook's kernel
        return
    shutdown = kernel.do_shutdown

    def do_shutdown(restart: bool):
        from multiprocessing import resource_tracker

        with contextlib.suppress(Exception):  # never stand in the way of a shutdown
            resource_tracker._resource_tracker._stop()
        return shutdown(restart)

    kernel.do_shutdown = do_shutdown


@dataclass
class Workbook:
    chapter: str
    work: Path
    student_dags: Path
    source: Source
    warehouse: Path
    notifications_file: Path
    dbt_project: Path
    reports: list[runner.RunReport] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        import airflow

        return (
            f"Workbook ready: Airflow {airflow.__version__}, taxi source {self.source.origin} "
            f"(published up to {self.source.latest_month}), "
            f"warehouse {paths.short(self.warehouse)}"
        )

    # -- finding DAGs ------------------------------------------------------------------------

    @property
    def dag_folders(self) -> list[Path]:
        return [paths.dags_folder(), paths.CHAPTER_DAGS, self.student_dags]

    def dag_file(self, dag_id: str) -> Path:
        """The file that defines `dag_id` (the workbook names every DAG file after its id)."""
        return dag_files.find_dag_file(self.dag_folders, dag_id)

    def dag(self, dag_id: str) -> Any:
        """Parse the DAG's file and return the DAG object (no run)."""
        return dag_files.load_dag(self.dag_file(dag_id), dag_id)

    def list_dags(self) -> Table:
        """Every DAG Airflow finds in the workbook's folders, like the UI's list of DAGs."""
        return dag_files.list_dags(self.dag_folders)

    # -- running -------------------------------------------------------------------------------

    def run(
        self,
        dag_id: str,
        logical_date: datetime | str | None,
        *,
        conf: dict | None = None,
        run_after: datetime | str | None = None,
        retry_delay: timedelta | None = timedelta(seconds=1),
    ) -> runner.RunReport:
        """Run the DAG once, in this process, and return its RunReport.

        `logical_date` is a date like "2024-03-01", or None for a run without one (an Airflow 3
        manual trigger). Retries wait `retry_delay` (1 s) instead of the DAG's own delay.
        """
        path = self.dag_file(dag_id)
        if isinstance(run_after, str):
            import pendulum

            run_after = pendulum.parse(run_after, tz="UTC")
        repair_stale_handlers()
        try:
            with task_logging():
                report = runner.run_dag(
                    dag_id,
                    logical_date,
                    conf=conf,
                    run_after=run_after,
                    retry_delay=retry_delay,
                    dags_folder=path,
                )
        except runner.DagNotFound:
            bag = dag_files.parse_dag_file(path)
            raise WorkbookError(dag_files.import_problem(path, bag.import_errors, dag_id)) from None
        finally:
            hush_console()
            release_dbt_duckdb()
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
        return RunList(
            self.run(dag_id, when, **kwargs) for when in runner.monthly_dates(first, last)
        )

    # -- reading results -------------------------------------------------------------------------

    def log(
        self, report: runner.RunReport, task_id: str, *, tail: int | None = None, raw: bool = False
    ) -> Text:
        """A task's log from a run: readable by default, exactly as Airflow wrote it with raw."""
        if task_id not in report.tasks:
            raise WorkbookError(
                f"{report.dag_id} has no task {task_id!r}; its tasks are {list(report.tasks)}"
            )
        text = report.log(task_id)
        text = strip_ansi(text) if raw else readable_log(text)
        lines = text.splitlines()
        if tail:
            lines = lines[-tail:]
        return Text("\n".join(lines))

    def xcom(self, report: runner.RunReport, task_id: str, key: str = "return_value") -> Any:
        """The value a task pushed to XCom in that run (its return value by default)."""
        return metadata.xcom(report, task_id, key)

    def xcom_bytes(self, report: runner.RunReport) -> dict[str, int]:
        """How many bytes each task's XComs take in the metadata database for that run."""
        return metadata.xcom_bytes(report)

    def rendered(self, report: runner.RunReport, task_id: str) -> dict[str, Any]:
        """The task's templated fields as Airflow rendered them for that run."""
        return metadata.rendered_fields(report, task_id)

    def history(self, dag_id: str) -> Table:
        """Every run of the DAG the metadata database remembers, newest first."""
        return metadata.run_history(dag_id)

    def take_backfills(self, dag_id: str) -> list[int]:
        """What `max_active_runs` each backfill of the DAG stored; then deletes them and their
        queued runs (a scheduler would otherwise run them)."""
        return metadata.take_backfills(dag_id)

    def asset_events(self) -> Table:
        """The asset events Airflow has recorded: which run updated which asset, and when."""
        return metadata.asset_events()

    @staticmethod
    def table(rows: list[dict[str, Any]], title: str = "") -> Table:
        """Show a list of dicts as a small table."""
        return Table(rows, title)

    def counts(self, student: str | None = None) -> dict[str, int]:
        """Rows of raw_trips per month in this chapter's warehouse."""
        if not self.warehouse.exists():
            return {}
        return warehouse.month_counts(self.warehouse, _schema(student))

    def fingerprint(self, student: str | None = None) -> dict[str, tuple[int, str]]:
        """(rows, checksum) of raw_trips, stg_trips and fct_trips: equal means identical data."""
        return warehouse.fingerprint(self.warehouse, _schema(student))

    def query(self, sql: str) -> Table:
        """Run a SQL query against this chapter's warehouse and show the rows."""
        with warehouse.connect(self.warehouse) as con:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return Table([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])

    def notifications(self) -> list[dict[str, Any]]:
        """What the notify tasks recorded, oldest first."""
        if not self.notifications_file.exists():
            return []
        lines = self.notifications_file.read_text().splitlines()
        return [json.loads(line) for line in lines if line]

    # -- other processes -----------------------------------------------------------------------

    def script(
        self, path: str, *args: str, env: dict[str, str] | None = None
    ) -> processes.ScriptResult:
        """Run a Python script as its own process, the way cron would, and keep its output."""
        return processes.run_script(path, *args, env=env)

    def lint(self, path: Path | str) -> Text:
        """What ruff's Airflow rules (AIR) say about a file: Airflow 2 habits and the like."""
        return processes.airflow_rules(path)

    def airflow(self, command: str) -> processes.ScriptResult:
        """Run an `airflow ...` command against the workbook's Airflow (about 5 s of start-up)."""
        return processes.airflow_command(command)

    # -- showing code ----------------------------------------------------------------------------

    def show(self, where: str, section: str | None = None) -> Markdown:
        """Show a file (or one `# [START section]` ... `# [END section]` slice of it) as code.

        `where` is a DAG id ("ch04_taxi_pipeline") or a path relative to the repository.
        """
        return code_view.show(self._resolve(where), section)

    def grep(self, where: str, pattern: str) -> Text:
        """The lines of a file that match a regular expression, with their line numbers."""
        return code_view.grep(self._resolve(where), pattern)

    def diff(self, before: str, after: str) -> Markdown:
        """What changed between two files (DAG ids or repository paths)."""
        return code_view.diff(self._resolve(before), self._resolve(after))

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
        raise WorkbookError(f"No file {where} in the repository or in {paths.short(self.work)}")

    # -- writing files -------------------------------------------------------------------------

    def write_dag(self, name: str, source: str) -> Path:
        """Save a DAG you wrote as `<work>/dags/<name>.py` and say whether Airflow can load it."""
        return dag_files.write_dag(self.student_dags, name, source)

    def write_file(self, relative: str, text: str) -> Path:
        """Save a file under this chapter's scratch folder (tests, a runbook, a broken DAG)."""
        return dag_files.write_atomic(self.work / relative, text)

    # -- tests and self-checks -------------------------------------------------------------------

    def pytest(
        self, target: Path | str, *args: str, env: dict[str, str] | None = None
    ) -> pytest_runner.PytestResult:
        """Run pytest on a file in this process (Airflow is already loaded, so it is fast)."""
        return pytest_runner.run_pytest(Path(target), *args, env=env)

    def my_pipeline(self) -> Path:
        """Your own taxi pipeline, work/dags/my_taxi_pipeline.py: made from the starter the first
        time, never overwritten after that (chapters 03 to 08 extend it, 09 hands it in)."""
        from workbook.selfchecks import own_pipeline

        path = own_pipeline.start(self)
        print(f"Your pipeline: {paths.short(path)} (dag_id {own_pipeline.DAG_ID!r})")
        return path

    def hand_in_my_pipeline(self, folder: Path | str | None = None) -> Path | None:
        """Your pipeline as the assignment's submission folder: dags/taxi_pipeline.py (dag_id
        taxi_pipeline) and the three documents to fill in, in work/my_submission/."""
        from workbook.selfchecks import own_pipeline

        if not own_pipeline.student_file(self).exists():
            print(
                "You have no work/dags/my_taxi_pipeline.py yet: start it in chapter 03, section "
                "'Your own pipeline', and take it through chapter 08."
            )
            return None
        target = Path(folder) if folder else paths.work_root() / "my_submission"
        own_pipeline.hand_in(self, target)
        print(f"Your submission: {paths.short(target)}. Check it in a terminal:")
        print(f"    .venv/bin/autograder check {target}")
        return target

    def check(self, exercise: str, *args: Any, **kwargs: Any) -> selfchecks.Result:
        """Check an exercise; prints ✅ or ❌ with a hint, never a traceback."""
        return selfchecks.check(exercise, self, *args, **kwargs)


def _schema(student: str | None) -> str:
    return f"airflow_{student or os.environ.get('AIRFLOW_STUDENT', 'default')}"
