"""`workbook quiz ...`: validate, take, score and report on the quiz. Only argument parsing and
printing live here; every command calls into the library. A `QuizError` becomes a message
naming file, line and field on stderr and exit code 1; usage errors exit 2 (typer)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from quiz.errors import QuizError
from quiz.loader import DEFAULT_QUIZ, load_quiz
from quiz.model import TOPIC_LABELS, Quiz, fmt_points, schema_text
from quiz.responses import (
    RESPONSES_DIRNAME,
    find_responses_files,
    is_valid_student_id,
    load_responses,
    responses_path,
)
from quiz.scoring import StudentResult, check_examples, score_responses
from quiz.teacher.overrides import load_overrides
from quiz.teacher.report import build_report
from quiz.teacher.statistics import topic_shares
from quiz.terminal import TerminalSession, render_result

app = typer.Typer(
    help="The Week 11 quiz: validate the YAML, take it in the terminal, score and report.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

QuizOption = Annotated[
    Path, typer.Option("--quiz", help="The quiz YAML.", exists=True, dir_okay=False)
]
OverridesOption = Annotated[
    Path | None,
    typer.Option(help="Teacher overrides (CSV or YAML: student, question, points, comment)."),
]


def _report_problems(exc: QuizError) -> typer.Exit:
    for problem in exc.problems:
        err.print(f"[bold red]error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _load(quiz_path: Path) -> Quiz:
    return load_quiz(quiz_path)


@app.command("validate")
def validate(
    quiz_file: Annotated[
        Path, typer.Argument(help="The quiz YAML.", exists=True, dir_okay=False)
    ] = DEFAULT_QUIZ,
) -> None:
    """Check a quiz file against the format; list every problem with file:line and a fix.

    Example: workbook quiz validate assets/week_11_quiz.yaml
    """
    try:
        quiz = _load(quiz_file)
    except QuizError as exc:
        raise _report_problems(exc) from None
    for warning in check_examples(quiz):
        err.print(f"[yellow]warning:[/] {quiz_file}: {escape(warning)}", highlight=False)
    kinds = sorted({q.type for q in quiz.questions})
    topics = [TOPIC_LABELS[t] for t in dict.fromkeys(q.topic for q in quiz.questions)]
    out.print(
        f"{quiz_file}: valid. {len(quiz.questions)} questions, "
        f"{fmt_points(quiz.total_points)} points; types: {', '.join(kinds)}; "
        f"topics: {', '.join(topics)}.",
        highlight=False,
    )


@app.command("schema")
def schema(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of the quiz format (editors validate the YAML with it).

    Example: workbook quiz schema --out assets/week_11_quiz.schema.json
    """
    text = schema_text()
    if out_file is None:
        typer.echo(text, nl=False)
        return
    out_file.write_text(text, encoding="utf-8")
    err.print(f"wrote {out_file}")


@app.command("take")
def take(
    student: Annotated[
        str | None, typer.Option(help="Your student id, e.g. your GitHub username.")
    ] = None,
    responses: Annotated[
        Path | None,
        typer.Option(help=f"Answers file [default: {RESPONSES_DIRNAME}/<student>.json]."),
    ] = None,
    quiz_file: QuizOption = DEFAULT_QUIZ,
) -> None:
    """Take the quiz in the terminal. Every answer is saved at once; run it again to continue.

    Example: workbook quiz take --student ada_lovelace
    """
    console = Console()
    path: Path | None = None
    try:
        quiz = _load(quiz_file)
        while student is None or not is_valid_student_id(student):
            if student is not None:
                err.print("A student id uses letters, digits, '.', '_', '-' or '@', no spaces.")
            student = console.input("Your student id (e.g. your GitHub username) > ").strip()
        path = responses or responses_path(Path(RESPONSES_DIRNAME), student)
        session = TerminalSession(quiz, path, student, console)
        session.run()
    except QuizError as exc:
        raise _report_problems(exc) from None
    except (KeyboardInterrupt, EOFError):
        where = f" in {path}" if path else ""
        err.print(
            f"\nStopped. Every answer you gave is saved{where}; run the same command to go on."
        )
        raise typer.Exit(130) from None


def _score_file(quiz: Quiz, path: Path, overrides: dict[Any, Any]) -> StudentResult:
    return score_responses(quiz, load_responses(path, quiz), overrides, source=path)


def _result_json(result: StudentResult) -> dict[str, Any]:
    return {
        "student": result.student,
        "file": str(result.source),
        "submitted_at": result.submitted_at.isoformat() if result.submitted_at else None,
        "total": result.total,
        "max_points": result.max_total,
        "questions": [
            {
                "id": q.question_id,
                "type": q.question_type,
                "points": q.points,
                "max_points": q.max_points,
                "status": q.status,
                "needs_review": q.needs_review,
                "overridden": q.is_overridden,
                "auto_points": q.auto_points,
                "matched_ideas": list(q.matched_ideas),
                "missing_ideas": list(q.missing_ideas),
                "feedback": list(q.feedback),
            }
            for q in result.questions
        ],
    }


@app.command("score")
def score(
    responses: Annotated[
        Path, typer.Argument(help="A responses .json file, or a folder of them.", exists=True)
    ],
    quiz_file: QuizOption = DEFAULT_QUIZ,
    overrides: OverridesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
) -> None:
    """Score one student's answers (with feedback) or a folder of them (a table).

    Example: workbook quiz score quiz_responses/ada_lovelace.json --overrides overrides.csv
    """
    try:
        quiz = _load(quiz_file)
        corrections = load_overrides(overrides, quiz) if overrides else {}
    except QuizError as exc:
        raise _report_problems(exc) from None
    files = find_responses_files(responses) if responses.is_dir() else [responses]
    results, failed = [], False
    for path in files:
        try:
            results.append(_score_file(quiz, path, corrections))
        except QuizError as exc:
            _report_problems(exc)
            failed = True
    if as_json:
        typer.echo(json.dumps([_result_json(r) for r in results], indent=2))
    elif not responses.is_dir():
        if results:
            render_result(out, quiz, results[0])
    elif results:
        out.print(_class_table(quiz, results))
    if not files:
        err.print(f"[yellow]warning:[/] no .json files in {responses}")
    raise typer.Exit(1 if failed or not files else 0)


def _class_table(quiz: Quiz, results: list[StudentResult]) -> Table:
    table = Table(title=f"{quiz.title}: {len(results)} student(s)", title_justify="left")
    table.add_column("student")
    for number, _ in enumerate(quiz.questions, start=1):
        table.add_column(f"Q{number}", justify="right")
    table.add_column("total", justify="right")
    table.add_column("to review", justify="right")
    for r in results:
        cells = [fmt_points(q.points) + ("*" if q.needs_review else "") for q in r.questions]
        table.add_row(
            r.student,
            *cells,
            f"{fmt_points(r.total)}/{fmt_points(r.max_total)}",
            str(len(r.pending_review)),
        )
    table.caption = "* provisional: an open answer a teacher has not reviewed (see --overrides)"
    return table


@app.command("report")
def report(
    responses_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder with the class's responses files (searched recursively).",
            exists=True,
            file_okay=False,
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Where the report goes.")] = Path(
        "quiz_report"
    ),
    quiz_file: QuizOption = DEFAULT_QUIZ,
    overrides: OverridesOption = None,
) -> None:
    """Class analytics: scores.csv, questions.csv, distractors.csv, review.md, report.png.

    Example: workbook quiz report assignment/submitted --out quiz_report --overrides overrides.csv
    """
    template = (out_dir / "overrides_template.csv").resolve()
    try:
        quiz = _load(quiz_file)
        if overrides is not None and overrides.resolve() == template:
            raise QuizError.single(
                overrides,
                "is the template this report rewrites, so your edits would be overwritten",
                f"copy it first (cp {overrides} overrides.csv) and pass the copy",
            )
        corrections = load_overrides(overrides, quiz) if overrides else {}
        hint = f"workbook quiz report {responses_dir} --out {out_dir} --overrides overrides.csv"
        result = build_report(quiz, responses_dir, out_dir, corrections, hint)
    except QuizError as exc:
        raise _report_problems(exc) from None
    for problem in result.problems:
        err.print(f"[bold red]skipped:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    totals = result.totals
    pending = sum(i.to_review for i in result.items)
    out.print(
        f"{len(totals)} students: mean {statistics.fmean(totals):.1f}, median "
        f"{statistics.median(totals):g}, min {fmt_points(min(totals))}, max "
        f"{fmt_points(max(totals))} of {fmt_points(quiz.total_points)}; "
        f"{pending} open answer(s) to review.",
        highlight=False,
    )
    shares = sorted(topic_shares(quiz, list(result.students)).items(), key=lambda kv: kv[1])
    out.print(
        "By topic (share of points): "
        + ", ".join(f"{TOPIC_LABELS[topic]} {share:.2f}" for topic, share in shares),
        highlight=False,
    )
    for path in result.written.values():
        out.print(f"  {path}", highlight=False)
    raise typer.Exit(1 if result.problems else 0)
