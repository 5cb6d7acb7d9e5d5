"""`workbook`: the student's command line. It only parses arguments and calls the library."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from airflow_env import settings as airflow_settings
from quiz.cli import app as quiz_app

app = typer.Typer(
    help="Week 11 workbook: local Airflow 3, the taxi source, the reference pipeline and the quiz.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
source_app = typer.Typer(
    help="The local taxi-trip source (a stand-in for the TLC CDN).", no_args_is_help=True
)
app.add_typer(source_app, name="source")
app.add_typer(quiz_app, name="quiz")
err = Console(stderr=True)
out = Console()


class WorkbookError(Exception):
    """A problem the user can fix; shown as a message, not a traceback."""


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@source_app.command("serve")
def source_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    latest_month: Annotated[str | None, typer.Option(help="Last published month, YYYY-MM.")] = None,
    faults: Annotated[
        str | None,
        typer.Option(help='Fault schedule as JSON, e.g. \'{"2024-03": {"transient": 2}}\'.'),
    ] = None,
) -> None:
    """Serve the source in the foreground until Ctrl-C.

    Example: workbook source serve --port 8765 --faults '{"2024-02": {"transient": 2}}'
    """
    from taxi_source.server import serve_in_thread

    try:
        schedule = json.loads(faults) if faults else {}
        running = serve_in_thread(port=port, latest_month=latest_month, faults=schedule)
    except json.JSONDecodeError as exc:
        raise _fail(f"--faults is not valid JSON ({exc.msg} at column {exc.colno})", 2) from None
    except ValueError as exc:
        raise _fail(f"--faults: {exc}", 2) from None
    except OSError as exc:
        raise _fail(f"cannot listen on port {port}: {exc.strerror}. Try --port 8766.") from None
    err.print(
        f"taxi source on {running.base_url} (published up to {running.state.latest_month}); "
        "Ctrl-C stops it"
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@source_app.command("start")
def source_start() -> None:
    """Start the source in the background (notebooks and `make demo` do this for you)."""
    from taxi_source import daemon

    try:
        url = daemon.ensure_running()
    except daemon.SourceUnavailable as exc:
        raise _fail(str(exc)) from None
    out.print(f"taxi source running: {url}")


@source_app.command("stop")
def source_stop() -> None:
    """Stop the background source started by `workbook source start`."""
    from taxi_source import daemon

    out.print("stopped" if daemon.stop() else "no background source was started from this checkout")


@source_app.command("faults")
def source_faults(
    schedule: Annotated[
        str, typer.Argument(help='JSON, e.g. \'{"2024-03": {"transient": 2}}\'; {} clears.')
    ],
) -> None:
    """Change the fault schedule of the running background source.

    Example: workbook source faults '{"2024-05": {"permanent": true}}'
    """
    from taxi_source import daemon

    try:
        daemon.set_faults(json.loads(schedule))
    except json.JSONDecodeError as exc:
        raise _fail(f"not valid JSON ({exc.msg} at column {exc.colno})", 2) from None
    except daemon.SourceUnavailable as exc:
        raise _fail(str(exc)) from None
    out.print("faults set")


def _use_source() -> None:
    """Point the DAGs at TAXI_SOURCE_URL if set, else at the background source (started now)."""
    from taxi_source import daemon

    if "TAXI_SOURCE_URL" not in os.environ:
        try:
            os.environ["TAXI_SOURCE_URL"] = daemon.ensure_running()
        except daemon.SourceUnavailable as exc:
            raise _fail(str(exc)) from None


@app.command("init")
def init() -> None:
    """Create the project-local Airflow home (.airflow/) and its metadata database, and save
    dbt's parse of the project for every chapter (both once)."""
    home = airflow_settings.configure()
    started = time.perf_counter()
    airflow_settings.ensure_db()
    out.print(f"Airflow home ready at {home} ({time.perf_counter() - started:.1f}s)")
    from workbook.session import save_dbt_parses

    started = time.perf_counter()
    if parsed := save_dbt_parses():
        took = time.perf_counter() - started
        out.print(f"dbt project parsed for chapters {', '.join(parsed)} ({took:.1f}s, once)")


@app.command("run")
def run(
    dag_id: Annotated[str, typer.Argument(help="DAG id, e.g. taxi_pipeline.")],
    date: Annotated[
        str | None, typer.Option(help="Logical date, e.g. 2024-01-01; omit for a manual run.")
    ] = None,
    month: Annotated[
        str | None, typer.Option(help="Pass {'month': M} as the run's config.")
    ] = None,
    show_log: Annotated[str | None, typer.Option("--log", help="Print this task's log.")] = None,
) -> None:
    """Run a DAG once with dag.test() and print each task's state.

    Example: workbook run taxi_pipeline --date 2024-03-01 --log ingest_taxi_month
    """
    from workbook import runner

    _use_source()
    try:
        report = runner.run_dag(dag_id, date, conf={"month": month} if month else None)
    except runner.DagNotFound as exc:
        raise _fail(str(exc)) from None
    out.print(report.summary())
    if show_log:
        out.print(report.log(show_log), markup=False, highlight=False)
    raise typer.Exit(0 if report.succeeded else 1)


@app.command("backfill")
def backfill(
    dag_id: Annotated[str, typer.Argument()],
    from_month: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")] = "2024-01",
    to_month: Annotated[
        str, typer.Option("--to", help="Last month, YYYY-MM (inclusive).")
    ] = "2024-07",
) -> None:
    """Run a @monthly DAG once per month, oldest first, like `airflow backfill create` would.

    Example: workbook backfill taxi_pipeline --from 2024-01 --to 2024-07
    """
    from workbook import runner

    _use_source()
    try:
        reports = runner.backfill(dag_id, from_month, to_month)
    except runner.DagNotFound as exc:
        raise _fail(str(exc)) from None
    for report in reports:
        out.print(report.summary())
    raise typer.Exit(0 if all(r.succeeded for r in reports) else 1)


@app.command("demo")
def demo() -> None:
    """One month, the 7-run backfill, the same backfill again: row counts before and after."""
    from workbook import demo as demo_module

    try:
        demo_module.main(out)
    except demo_module.DemoError as exc:
        raise _fail(str(exc)) from None


@app.command("ui")
def ui(port: Annotated[int, typer.Option(help="Port of the Airflow UI.")] = 8080) -> None:
    """Run the real Airflow UI, scheduler and dag-processor (`airflow standalone`) until Ctrl-C;
    a component that crashes meanwhile is started again (workbook/standalone.py)."""

    home = airflow_settings.configure()
    os.environ["AIRFLOW__API__PORT"] = str(port)
    # Workers reach the api-server's execution API at this URL; its default assumes port 8080.
    os.environ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://localhost:{port}/execution/"
    _use_source()
    airflow = Path(sys.executable).with_name("airflow")
    # standalone starts its components as `airflow ...` from PATH: make it this venv's airflow.
    os.environ["PATH"] = f"{airflow.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    err.print(
        f"Starting Airflow on http://localhost:{port} (home {home}). The admin password is printed "
        f"below and kept in {home / 'simple_auth_manager_passwords.json.generated'}. "
        "Ctrl-C stops it."
    )
    from class_airflow.twin.processes import stop_all

    # Its own session, so that stopping it reaches everything standalone starts, including the
    # LocalExecutor workers, which ignore SIGTERM (they are killed after the grace period).
    proc = subprocess.Popen([sys.executable, "-m", "workbook.standalone"], start_new_session=True)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)  # `kill`, a service manager: like Ctrl-C
    signal.signal(signal.SIGHUP, interrupted)  # the terminal was closed
    try:
        proc.wait()
    except KeyboardInterrupt:
        err.print("Stopping Airflow...")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):  # a second Ctrl-C must not cut the stop
            signal.signal(signum, signal.SIG_IGN)
        stop_all({proc.pid: (signal.SIGTERM, 20.0)})


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
