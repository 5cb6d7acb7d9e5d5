"""`course`: the teacher's nbgrader loop for Week 11. Parses arguments, calls the library, prints.

course roster import FILE # the class list (and extensions) into the gradebook
course release            # generate the student version (stubs, no solutions) and release it
course extend ID --until  # one student's own due date
course collect            # each student's last submission before their due date
course import-handins DIR # zipped hand-ins (students: course hand-in FOLDER --student ID)
course grade-repos LIST   # pull requests at recorded commits, a PR comment each
course grade --jobs 2     # autograder (sandboxed) + nbgrader autograde, per student
course rubric             # rubric.csv for the parts scored by hand
course feedback           # feedback HTML, checked for leaks, released to the exchange
course export             # grades.csv: a row per student, every check, rubric, quiz, grade
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from course.errors import CourseError
from course.layout import Course

app = typer.Typer(
    help="Week 11 nbgrader course: release, collect, grade, feedback, export.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")), soft_wrap=True)
out = Console(no_color=bool(os.environ.get("NO_COLOR")), soft_wrap=True)  # paths stay whole

RootOption = Annotated[
    Path | None,
    typer.Option("--root", help="Course folder (with nbgrader_config.py). Default: assignment/."),
]
IsolationOption = Annotated[
    str,
    typer.Option(
        help="The autograder's sandbox. auto | namespaces: a sandbox or a refusal. "
        "none: NO sandbox (development only)."
    ),
]


def _course(root: Path | None) -> Course:
    return Course(root.expanduser().resolve()) if root else Course.default()


def _say(message: str) -> None:
    err.print(f"[dim]{message}[/]")


def _fail(exc: CourseError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(1)


@app.command()
def release(
    root: RootOption = None,
    zip_: Annotated[
        bool,
        typer.Option("--zip", help="Also write <root>/taxi_pipeline.zip, to hand out by hand."),
    ] = False,
) -> None:
    """Generate the student version (solutions replaced by `fill in` stubs) and release it.

    Example: course release --zip
    """
    from course.release import release as do_release
    from course.release import zip_release

    course = _course(root)
    try:
        report = do_release(course, progress=_say)
    except CourseError as exc:
        raise _fail(exc) from None
    for name, count in report.stubbed.items():
        out.print(f"stubbed {count} solution regions in {name}")
    out.print(f"released {len(report.files)} files to the exchange at {report.released_to}")
    if zip_:
        out.print(f"student version for laptops: {zip_release(course)}")


@app.command()
def collect(root: RootOption = None) -> None:
    """Collect every student's last submission before their due date into submitted/.

    The due date and the late policy are in course.toml; extensions in extensions.csv.
    Example: course collect
    """
    from course.collect import collect as do_collect
    from course.deadlines import DueDates

    course = _course(root)
    try:
        report = do_collect(course)
        dates = DueDates.load(course)
    except CourseError as exc:
        raise _fail(exc) from None
    if not report.step.success:
        err.print(f"[bold red]error:[/] nbgrader collect failed:\n{report.step.problem()}")
        raise typer.Exit(1)
    _say(dates.deadline.describe())
    if report.students:
        table = Table("student", "handed in", "due", "status", "submissions", title="collected")
        for entry in report.students:
            colour = {"on time": "green", "late": "yellow"}.get(entry.status, "red")
            late = f", {entry.lateness.days_late:g} d" if entry.lateness.is_late else ""
            table.add_row(
                entry.student,
                dates.local(entry.lateness.handed_in),
                dates.local(entry.lateness.due),
                f"[{colour}]{entry.status}{late}[/]",
                str(entry.submissions),
            )
        out.print(table)
    for path in report.moved_to_late:
        out.print(f"[yellow]late work kept out of grading:[/] {path}")
    students = course.submitted_students()
    out.print(f"{len(students)} submission(s) in {course.submitted}: {', '.join(students) or '-'}")


@app.command("import-handins")
def import_handins(
    folder: Annotated[Path, typer.Argument(help="Folder of <student_id>.zip files or folders.")],
    root: RootOption = None,
) -> None:
    """Take hand-ins that did not come through the exchange (students on their own laptops).

    Each <student_id>.zip (or <student_id>/ folder) becomes submitted/<student_id>/taxi_pipeline/.
    Example: course import-handins ~/Downloads/week11-handins && course grade
    """
    from course.handins import import_handins as do_import

    try:
        report = do_import(_course(root), folder.expanduser().resolve())
    except CourseError as exc:
        raise _fail(exc) from None
    out.print(f"imported {len(report.imported)}: {', '.join(report.imported) or '-'}")
    for student, when in report.timing.items():
        out.print(f"  {student}: handed in {when}")
    for name, why in report.excluded.items():
        out.print(f"[yellow]{name}:[/] {why}")
    for name, problem in report.problems.items():
        err.print(f"[red]{name}:[/] {problem}")
    if report.problems:
        raise typer.Exit(1)


@app.command()
def grade(
    root: RootOption = None,
    jobs: Annotated[int, typer.Option(min=1, help="Submissions the autograder runs at once.")] = 2,
    student: Annotated[
        list[str] | None, typer.Option("--student", "-s", help="Only these students.")
    ] = None,
    regrade: Annotated[
        bool,
        typer.Option(
            "--regrade",
            help="Run the autograder's sandbox again even for unchanged files; old results are "
            "kept and the changes shown.",
        ),
    ] = False,
    isolation: IsolationOption = "auto",
) -> None:
    """Run the autograder's checks, then nbgrader autograde, for every collected submission.

    Exit code 1 if a submission could not be graded at all (the others are graded anyway), or
    if this host has no sandbox for the autograder (unless --isolation none).
    A disputed grade: course grade --regrade --student ada
    Example: course grade --jobs 2
    """
    from course.autograde import grade as do_grade

    try:
        report = do_grade(
            _course(root),
            jobs=jobs,
            students=student,
            progress=_say,
            regrade=regrade,
            isolation=isolation,
        )
    except CourseError as exc:
        raise _fail(exc) from None
    table = Table("student", "status", "tier", "checks", "problems", title="grading report")
    for entry in sorted(report.students.values(), key=lambda s: s.student):
        colour = {"graded": "green", "repaired": "yellow"}.get(entry.status, "red")
        table.add_row(
            entry.student,
            f"[{colour}]{entry.status}[/]",
            entry.tier,
            f"{entry.check_score:g}/{entry.check_max:g}",
            "\n".join(entry.problems),
        )
    out.print(table)
    if report.isolation:
        out.print(f"sandbox: {report.isolation}", highlight=False)
        _note_without_secret(_course(root).root)
    for line in report.regrades:
        out.print(line, highlight=False)
    if report.regrade_report:
        out.print(f"regrade report: {report.regrade_report}", highlight=False)
    if any(s.status == "failed" for s in report.students.values()):
        raise typer.Exit(1)


def _note_without_secret(root: Path) -> None:
    """Say so when the hidden checks ran with the public values students can read."""
    import os

    from course.settings import load_settings

    if load_settings(root).autograder.secret_file is None and not os.environ.get(
        "AUTOGRADER_SECRET"
    ):
        out.print(
            "[yellow]note:[/] no secret (course.toml \\[autograder] secret_file, or "
            "$AUTOGRADER_SECRET): the hidden checks used the public months and faults that "
            "students can read in autograder/scenarios.py.",
        )


@app.command()
def feedback(
    root: RootOption = None,
    student: Annotated[
        list[str] | None, typer.Option("--student", "-s", help="Only these students.")
    ] = None,
    release: Annotated[
        bool, typer.Option(help="Release to the exchange (--no-release: only generate).")
    ] = True,
) -> None:
    """Generate feedback HTML, refuse it if it shows hidden test content, release it.

    Example: course feedback
    """
    from course.feedback_release import feedback as do_feedback

    course = _course(root)
    try:
        report = do_feedback(course, students=student, release=release, progress=_say)
    except CourseError as exc:
        raise _fail(exc) from None
    out.print(f"feedback for {len(report.generated)} student(s) in {course.feedback_release}")
    if release:
        out.print(f"released to the exchange for {len(report.released)} student(s)")
    for page in report.send_yourself:
        out.print(f"[yellow]handed in outside the exchange; send it yourself:[/] {page}")
    for name, problem in report.failed.items():
        err.print(f"[red]{name}:[/] {problem}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def export(
    root: RootOption = None,
    to: Annotated[Path | None, typer.Option(help="CSV file. Default: <root>/grades.csv.")] = None,
) -> None:
    """Write one CSV row per student: per-check scores, totals, tier, status, problems.

    Same as `nbgrader export` run in the course folder. Example: course export --to grades.csv
    """
    from course.nbapi import Nbgrader

    course = _course(root)
    target = (to or course.grades_csv).expanduser().resolve()
    try:
        step = Nbgrader(course).export(target)
    except CourseError as exc:
        raise _fail(exc) from None
    if not step.success:
        err.print(f"[bold red]error:[/] export failed:\n{step.problem()}")
        raise typer.Exit(1)
    out.print(f"wrote {target}")


@app.command("sync-checks")
def sync_checks(root: RootOption = None) -> None:
    """Rewrite the source notebook's check cells from the autograder's list of checks.

    Run it when the autograder gains or loses a check, then `course release`.
    Example: course sync-checks
    """
    from course.authoring import sync_source_notebook

    try:
        changed = sync_source_notebook(_course(root))
    except CourseError as exc:
        raise _fail(exc) from None
    out.print("check cells updated" if changed else "check cells already match the autograder")


@app.command("student-setup")
def student_setup(
    folder: Annotated[Path, typer.Argument(help="The student's working folder.")],
    root: RootOption = None,
) -> None:
    """Write nbgrader_config.py into a student's folder for this machine's local exchange.

    Example: course student-setup ~/week11 && cd ~/week11 && nbgrader fetch_assignment taxi_pipeline
    """
    from course.students import setup_student

    try:
        path = setup_student(_course(root), folder.expanduser().resolve())
    except CourseError as exc:
        raise _fail(exc) from None
    out.print(f"wrote {path}; from {path.parent} run: nbgrader fetch_assignment taxi_pipeline")


roster_app = typer.Typer(
    help="The class list: who is in the course, and their extensions.", no_args_is_help=True
)
app.add_typer(roster_app, name="roster")


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="CSV: id[,first_name,last_name,email,...].")],
    root: RootOption = None,
) -> None:
    """Put the class in the gradebook; an `extension_until` column sets extensions.

    Nothing is imported while a row is wrong; every bad row is listed as file:line: column.
    Example: course roster import roster.csv
    """
    from course.roster import import_roster

    try:
        report = import_roster(_course(root), file.expanduser().resolve())
    except CourseError as exc:
        raise _fail(exc) from None
    out.print(
        f"roster: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.extensions)} extension(s)"
    )


@app.command()
def extend(
    student: Annotated[str, typer.Argument(help="The student id.")],
    until: Annotated[
        str, typer.Option(help="New due date, e.g. '2026-03-16 23:59' (course time zone).")
    ],
    note: Annotated[str, typer.Option(help="Why (kept in extensions.csv).")] = "",
    root: RootOption = None,
) -> None:
    """Give one student a later due date (replaces an earlier extension).

    Example: course extend ada --until "2026-03-16 23:59" --note "ill, doctor's note"
    """
    from course.deadlines import DueDates, grant

    course = _course(root)
    try:
        extension = grant(course, student, until, note)
        dates = DueDates.load(course)
    except CourseError as exc:
        raise _fail(exc) from None
    out.print(f"{student}: due {dates.local(extension.until)} {dates.deadline.timezone}")


@app.command("hand-in")
def hand_in(
    folder: Annotated[Path, typer.Argument(help="Your assignment folder (taxi_pipeline/).")],
    student: Annotated[str, typer.Option(help="Your student id (e.g. your GitHub username).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write <student>.zip.")] = Path(
        "."
    ),
) -> None:
    """For students without the exchange: zip the folder with a hand-in record, quiz included.

    Upload the zip it writes through your course's usual channel.
    Example: course hand-in taxi_pipeline --student ada
    """
    from course.handin_pack import hand_in as do_hand_in

    try:
        report = do_hand_in(folder.expanduser().resolve(), student, out_dir.expanduser().resolve())
    except CourseError as exc:
        raise _fail(exc) from None
    if report.quiz is None:
        err.print(
            "[yellow]no quiz answers found[/] (quiz_responses/<id>.json): take the quiz "
            "(notebook 11 or `workbook quiz take`) before handing in, then run this again."
        )
    else:
        out.print(f"quiz answers included: {report.quiz}")
    out.print(f"wrote {report.zip_file} (handed in {report.handed_in_at:%Y-%m-%d %H:%M} UTC)")


@app.command()
def rubric(root: RootOption = None) -> None:
    """Write rubric.csv: a row per student, a column per manual rubric item (course.toml).

    Scores already entered are kept; fill in the blanks, then `course export`.
    Example: course rubric
    """
    from course.nbapi import open_gradebook
    from course.rubric import write_template
    from course.settings import load_settings

    course = _course(root)
    try:
        settings = load_settings(course.root)
        with open_gradebook(course) as gb:
            roster = {s.id for s in gb.students}
        path = write_template(course, settings, roster | set(course.submitted_students()))
    except CourseError as exc:
        raise _fail(exc) from None
    items = ", ".join(f"{k} (0-{v.points:g})" for k, v in settings.rubric.items())
    out.print(f"wrote {path}: {items or 'no rubric items in course.toml'}")


@app.command("grade-repos")
def grade_repos(
    listing: Annotated[Path, typer.Argument(help="CSV: student,repo,ref (branch, tag or commit).")],
    root: RootOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Default: <root>/grading/repos/.")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Submissions the autograder runs at once.")] = 2,
    public_only: Annotated[
        bool, typer.Option("--public-only", help="Only the public checks (quicker).")
    ] = False,
    isolation: IsolationOption = "auto",
) -> None:
    """Grade pull requests: clone each repository at its commit, grade, write a PR comment each.

    Writes clones/, checks/, comments/<student>.md and graded.csv into --out.
    Example: course grade-repos prs.csv --public-only
    """
    from course.repos import grade_repos as do_grade_repos

    try:
        report = do_grade_repos(
            _course(root),
            listing.expanduser().resolve(),
            out=out_dir.expanduser().resolve() if out_dir else None,
            jobs=jobs,
            public_only=public_only,
            progress=_say,
            isolation=isolation,
        )
    except CourseError as exc:
        raise _fail(exc) from None
    table = Table("student", "commit", "score", "tier", "comment", title="pull requests")
    for item in report.graded:
        score = "-" if item.score is None else f"{item.score:g}/{item.max_score:g}"
        table.add_row(item.row.student, item.commit[:12], score, item.tier, str(item.comment))
    out.print(table)
    for student, problem in report.problems.items():
        err.print(f"[red]{student}:[/] {problem}")
    if report.isolation:
        out.print(f"sandbox: {report.isolation}", highlight=False)
    out.print(f"summary: {report.out / 'graded.csv'}")
    if report.problems:
        raise typer.Exit(1)
