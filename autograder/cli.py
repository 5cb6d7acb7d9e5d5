"""`autograder`: the command line. It parses arguments and calls the library, nothing else.

Exit codes: 0 done; 1 a public check failed (`check`) or a submission could not be graded
(`grade`); 2 a usage or configuration problem, or a host without the sandbox's namespaces
(unless `--isolation none`); 130 interrupted (run `grade` again to resume).
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder.errors import AutograderError
from autograder.options import GradingOptions, Isolation
from autograder.profiles import PROFILES
from autograder.sandbox.isolation import describe

app = typer.Typer(
    help="Week 11 autograder: runs taxi_pipeline submissions in sandboxes and grades them.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True)
out = Console()

ImportTimeout = Annotated[
    float, typer.Option(help="Seconds the DAG file may take to import.", min=1)
]
RunTimeout = Annotated[float, typer.Option(help="Seconds one DAG run may take.", min=5)]
IsolationOption = Annotated[
    str,
    typer.Option(
        help="auto | namespaces: a sandbox or a refusal. none: NO sandbox (development only)."
    ),
]

ProfileOption = Annotated[
    str,
    typer.Option(
        help="auto: each submission's shape decides | plain: CONTRACT.md | template: the "
        "course's Astro template (azure_pg, the CDN URL, dbt via uvx)."
    ),
]


def _version(value: bool) -> None:
    if value:
        from autograder import grader_version

        out.print(grader_version())
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Week 11 autograder."""


def _options(isolation: str, profile: str = "auto", **fields) -> GradingOptions:
    if isolation not in ("auto", "namespaces", "none"):
        raise AutograderError(f"--isolation must be auto, namespaces or none, not {isolation!r}.")
    if profile not in PROFILES:
        raise AutograderError(f"--profile must be {', '.join(PROFILES)}, not {profile!r}.")
    chosen: Isolation = isolation  # type: ignore[assignment]
    return GradingOptions(isolation=chosen, profile=profile, **fields)


def _stop_on_sigterm() -> None:
    """`kill` (SIGTERM) stops grading like Ctrl-C: sandboxes are killed, temp files removed."""

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _fail(error: Exception, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(error))}")
    return typer.Exit(code)


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="Your submission folder (holds dags/).")],
    import_timeout: ImportTimeout = 30.0,
    run_timeout: RunTimeout = 180.0,
    isolation: IsolationOption = "auto",
    profile: ProfileOption = "auto",
) -> None:
    """Run the public checks on your own submission and print hints.

    Takes a few minutes: the DAG really runs (one month, the 7-run backfill, a rerun and a
    manual run). Hidden checks run only when your teacher grades.

    Example: autograder check ~/week11-assignment
    """
    from autograder.grading import grade_submission
    from autograder.reporters.terminal import print_check_report
    from autograder.sandbox.isolation import detect_isolation

    _stop_on_sigterm()
    try:
        options = _options(
            isolation,
            profile,
            public_only=True,
            import_timeout=import_timeout,
            run_timeout=run_timeout,
        )
        unsandboxed = detect_isolation(options.isolation)
        if unsandboxed.kind == "none":  # the other kinds' notes only matter to a teacher
            for note in unsandboxed.warnings:
                err.print(f"[yellow]note:[/] {escape(note)}")
        with err.status("Running the public checks (the DAG runs for real; a few minutes)..."):
            result = grade_submission(path, options)
    except AutograderError as error:
        raise _fail(error) from None
    except KeyboardInterrupt:
        err.print("\n[yellow]Interrupted.[/]")
        raise typer.Exit(130) from None
    print_check_report(result, options, out, err)
    if result.error or any(not c.passed for c in result.checks):
        raise typer.Exit(1)


@app.command()
def grade(
    submissions: Annotated[Path, typer.Argument(help="Folder with one sub-folder per student.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where the gradebook goes.")],
    jobs: Annotated[int, typer.Option(help="Submissions graded at the same time.", min=1)] = 2,
    regrade: Annotated[
        bool,
        typer.Option(
            "--regrade",
            help="Run the sandbox again even where a result for the same content exists; the "
            "old results are kept in OUT/history/ and the changes shown and written to "
            "OUT/regrades/.",
        ),
    ] = False,
    student: Annotated[
        list[str] | None, typer.Option(help="Grade only this student (repeatable).")
    ] = None,
    import_timeout: ImportTimeout = 30.0,
    run_timeout: RunTimeout = 180.0,
    isolation: IsolationOption = "auto",
    profile: ProfileOption = "auto",
    secret: Annotated[
        Path | None,
        typer.Option(
            help="File (outside the repository) with the secret the hidden checks' months and "
            "faults are drawn from. Default: $AUTOGRADER_SECRET, else the public values."
        ),
    ] = None,
) -> None:
    """Grade a class: every sub-folder of SUBMISSIONS is one student.

    Writes OUT/grades.csv, OUT/results/<student>.json (Gradescope format),
    OUT/feedback/<student>.md and .html, OUT/summary.json, OUT/class_report.html and
    OUT/pass_rates.png. Interrupted? Run the same command again: finished students are kept.
    A disputed grade: --regrade --student ID runs that student's sandbox again.

    Example: autograder grade submissions/ --out gradebook/ --jobs 2
    """
    from autograder.grading import grade_class, selected_submissions
    from autograder.sandbox.isolation import detect_isolation
    from autograder.secret import read_secret

    try:
        options = _options(
            isolation,
            profile,
            import_timeout=import_timeout,
            run_timeout=run_timeout,
            secret=read_secret(secret),
        )
        # Usage mistakes and a host without a sandbox are reported before the progress bar.
        total = len(selected_submissions(submissions, out_dir, student))
        detect_isolation(options.isolation)
    except AutograderError as error:
        raise _fail(error) from None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    task = progress.add_task("grading", total=None)
    done: list[str] = []

    def on_progress(name: str, result, reused: bool) -> None:
        if result is None:
            progress.update(task, description=f"grading {name}")
            return
        done.append(name)
        what = "kept" if reused else f"{result.score:g}/{result.max_score:g}"
        what += " (regraded)" if regrade and not reused else ""
        progress.console.print(f"  {escape(name)}: {what}")
        progress.update(task, completed=len(done))

    _stop_on_sigterm()
    try:
        progress.update(task, total=total)
        with progress:
            result = grade_class(
                submissions,
                out_dir,
                jobs=jobs,
                options=options,
                regrade=regrade,
                students=student,
                on_progress=on_progress,
            )
    except AutograderError as error:
        raise _fail(error) from None
    except KeyboardInterrupt:
        err.print(
            f"\n[yellow]Interrupted after {len(done)} students.[/] Their results are saved; run "
            "the same command again to grade the rest."
        )
        raise typer.Exit(130) from None
    err.print(
        f"Graded {len(result.results)} students in {result.seconds:.0f} s "
        f"({len(result.reused)} kept from an earlier run). Gradebook: {out_dir / 'grades.csv'}"
    )
    err.print(f"Sandbox: {describe(result.isolation)}", highlight=False)
    _print_regrades(result)
    if options.secret is None:
        err.print(
            "[yellow]note:[/] no secret (--secret, $AUTOGRADER_SECRET): the hidden checks used "
            "the public months and faults of autograder/scenarios.py."
        )
    for note in result.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if result.ungraded:
        err.print(f"[red]Could not grade:[/] {', '.join(result.ungraded)} (see {out_dir}/logs/)")
        raise typer.Exit(1)


def _print_regrades(result) -> None:
    from autograder.reporters.regrade import change_line, total_line

    for regrade in result.regrades:
        err.print(f"[bold]{escape(total_line(regrade))}[/]", highlight=False)
        for change in regrade.changes:
            err.print(f"  {escape(change_line(change))}", highlight=False)
    if result.regrade_report:
        err.print(
            f"Regrade report: {result.regrade_report} (the replaced results are in "
            f"{result.regrade_report.parent.parent / 'history'}/)",
            highlight=False,
        )


@app.command("list-checks")
def list_checks() -> None:
    """List every check: id, points, visibility, tier and hint.

    Example: autograder list-checks
    """
    from autograder.checks import all_checks
    from autograder.reporters.terminal import print_checks

    print_checks(all_checks().values(), out)
