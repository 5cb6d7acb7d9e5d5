"""`class`: the teacher's command line for the class Airflow. It parses arguments and calls the
library, nothing else. Exit codes: 0 done, 1 a problem the message explains, 2 usage."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from class_airflow.errors import ClassError
from class_airflow.paths import DEFAULT_ROSTER, ClassPaths

app = typer.Typer(
    help="The class Airflow: one shared Airflow 3 for a whole class (docs/class_airflow.md).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True)
out = Console()

RosterOption = Annotated[
    Path,
    typer.Option("--roster", help="The roster CSV (student,name,email).", envvar="CLASS_ROSTER"),
]


def _paths() -> ClassPaths:
    return ClassPaths.default()


def _fail(error: ClassError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(error))}")
    return typer.Exit(1)


@app.command("up")
def up(
    roster: RosterOption = DEFAULT_ROSTER,
    workers: Annotated[int, typer.Option(help="Celery workers.", min=1, max=16)] = 2,
    concurrency: Annotated[int, typer.Option(help="Task slots per worker.", min=1)] = 2,
    grading_workers: Annotated[
        int, typer.Option(help="Celery workers of queue 'grading' (grade_assignment).", min=0)
    ] = 1,
    grading_concurrency: Annotated[
        int, typer.Option(help="Submissions each grading worker grades at once.", min=1)
    ] = 2,
    api_port: Annotated[int, typer.Option(help="Port of the UI and REST API.")] = 8080,
    postgres_port: Annotated[int, typer.Option(help="Port of the class PostgreSQL.")] = 5432,
    redis_port: Annotated[int, typer.Option(help="Port of Redis.")] = 6379,
    source_port: Annotated[int, typer.Option(help="Port of the taxi source.")] = 8765,
) -> None:
    """Start the class stack without Docker (PostgreSQL, Redis, Airflow with Celery, the taxi
    source, the deploy loop), everything on 127.0.0.1, each service healthy before the next."""
    from class_airflow.stack import StackSettings
    from class_airflow.twin import runner

    settings = StackSettings(
        workers=workers,
        worker_concurrency=concurrency,
        grading_workers=grading_workers,
        grading_concurrency=grading_concurrency,
        api_port=api_port,
        postgres_port=postgres_port,
        redis_port=redis_port,
        taxi_source_port=source_port,
    )
    paths = _paths()
    err.print(f"Starting the class stack (state in {paths.state}, logs in {paths.service_logs})")
    try:
        report = runner.up(paths, roster, settings)
    except ClassError as error:
        raise _fail(error) from None
    if report.restarted:
        out.print(f"Restarted what had stopped: {', '.join(report.restarted)}.")
    out.print(
        f"The class Airflow is up after {report.seconds:.0f} s: http://127.0.0.1:{api_port} "
        f"({len(report.services)} services). Teacher login: `class credentials teacher`. "
        f"Students push to {paths.shared_repo} (branch main). `class down` stops it."
    )


@app.command("down")
def down() -> None:
    """Stop every process `class up` started (SIGTERM, then SIGKILL after a grace period)."""
    from class_airflow.twin import runner

    killed = runner.down(_paths())
    for service, pids in killed.items():
        out.print(f"{service}: killed after its grace period: {', '.join(pids)}")
    out.print("The class stack is stopped.")


@app.command("compose")
def compose(
    check: Annotated[bool, typer.Option(help="Only say whether the files are up to date.")] = False,
) -> None:
    """Write class/compose.yaml and class/Dockerfile from the declaration (for a VM with Docker)."""
    from class_airflow import compose as compose_module
    from class_airflow.files import atomic_write_text
    from class_airflow.paths import COMPOSE_FILE, DOCKERFILE
    from class_airflow.stack import declare

    stack = declare()
    wanted = {
        COMPOSE_FILE: compose_module.render_compose(stack),
        DOCKERFILE: compose_module.render_dockerfile(stack.pins),
    }
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    if check:
        if stale:
            err.print(f"out of date: {', '.join(map(str, stale))}; run `class compose`")
            raise typer.Exit(1)
        out.print("class/compose.yaml and class/Dockerfile match the declaration")
        return
    for path, text in wanted.items():
        atomic_write_text(path, text)
    out.print(f"wrote {', '.join(str(p) for p in wanted)}")


@app.command("secrets")
def secrets_command(roster: RosterOption = DEFAULT_ROSTER) -> None:
    """Create the class secrets and .class/secrets/class.env (Compose's --env-file)."""
    from class_airflow import credentials
    from class_airflow import roster as roster_module

    paths = _paths()
    try:
        credentials.sync(paths, roster_module.load(roster))
    except ClassError as error:
        raise _fail(error) from None
    out.print(f"wrote {paths.class_env} (never commit it)")


@app.command("check-roster")
def check_roster(roster: RosterOption = DEFAULT_ROSTER) -> None:
    """Validate the roster: every problem as file:line: field: what is wrong. Fix: ..."""
    from class_airflow import roster as roster_module

    try:
        loaded = roster_module.load(roster)
    except ClassError as error:
        raise _fail(error) from None
    out.print(f"{roster}: {len(loaded.students)} students, OK")


@app.command("add-student")
def add_student(
    student: Annotated[str, typer.Argument(help="The student id, e.g. ada_lovelace.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    email: Annotated[str, typer.Option(help="E-mail (their commits are recognised by it).")] = "",
    roster: RosterOption = DEFAULT_ROSTER,
) -> None:
    """Enrol one student: roster line, database role and schema, UI login, repository folder."""
    from class_airflow import enrolment
    from class_airflow.roster import Student

    try:
        enrolment.add_student(_paths(), roster, Student(student, name, email))
    except ClassError as error:
        raise _fail(error) from None
    out.print(f"added {student}; `class credentials {student}` prints their logins")


@app.command("remove-student")
def remove_student(
    student: Annotated[str, typer.Argument(help="The student id.")],
    roster: RosterOption = DEFAULT_ROSTER,
) -> None:
    """Remove one student: their DAGs leave the scheduler, their schema and role are dropped."""
    from class_airflow import enrolment

    paths = _paths()
    try:
        running = enrolment.is_running(paths)
        enrolment.remove_student(paths, roster, student)
    except ClassError as error:
        raise _fail(error) from None
    note = "" if running else " (the stack is down: run it again to drop their schema)"
    out.print(f"removed {student}{note}")


@app.command("credentials")
def credentials_command(
    student: Annotated[str, typer.Argument(help="A student id, or 'teacher'.")],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the student's login file (chapter 08 reads it) instead."
        ),
    ] = False,
) -> None:
    """Print a student's Airflow login and database role (to hand out; never commit them)."""
    from class_airflow import credentials
    from class_airflow.student import ClassLogin

    paths = _paths()
    if student == credentials.TEACHER_LOGIN:
        try:
            password = credentials.teacher_password(paths)
        except ClassError as error:
            raise _fail(error) from None
        out.print(f"Airflow UI: user teacher, password {password}")
        return
    login = credentials.student_login(paths, student)
    if login is None:
        raise _fail(ClassError(f"{student!r} has no credentials yet: add them and run `class up`"))
    if as_json:
        found = ClassLogin.from_twin(paths, student)
        if found is None:
            raise _fail(ClassError("the class Airflow is not running: `make class-up` first"))
        print(found.to_json(), end="")
        return
    out.print(f"Airflow UI: user {login.student}, password {login.ui_password}")
    out.print(f"PostgreSQL (database taxi): role {login.db_role}, password {login.db_password}")


@app.command("sync")
def sync(
    roster: RosterOption = DEFAULT_ROSTER,
    gate_timeout: Annotated[float, typer.Option(help="Seconds a DAG file may import.")] = 10.0,
) -> None:
    """One deploy round now: gate what changed on main, deploy what passed."""
    from class_airflow import deploy

    try:
        report = deploy.sync_once(_paths(), roster, gate_timeout=gate_timeout)
    except ClassError as error:
        raise _fail(error) from None
    for line in report.lines() or ["nothing new on main"]:
        out.print(escape(line))


@app.command("feedback")
def feedback(student: Annotated[str, typer.Argument(help="The student id.")]) -> None:
    """The gate's last verdict on a student's folder (the same text as the note on their commit)."""
    from class_airflow import deploy

    text = deploy.feedback(_paths(), student)
    out.print(escape(text) if text else f"no verdict for {student} yet")


@app.command("status")
def status(
    roster: RosterOption = DEFAULT_ROSTER,
    html: Annotated[Path | None, typer.Option(help="Also write an HTML page and PNG here.")] = None,
) -> None:
    """One row per student: deployed version, held-back change, last run, rows per month."""
    from class_airflow import status as status_module
    from class_airflow.reporters import terminal

    try:
        collected = status_module.collect(_paths(), roster)
    except ClassError as error:
        raise _fail(error) from None
    terminal.render(collected, out)
    if html is not None:
        from class_airflow.reporters import html as html_reporter

        page = html_reporter.write(collected, html)
        out.print(f"wrote {page}")


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
