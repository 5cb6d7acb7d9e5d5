"""Class analytics for `workbook quiz report`: what a teacher reads after the quiz.

Written to the output folder:
- `scores.csv`      one row per student: total, percent, submitted, one column per question;
- `questions.csv`   per question: mean points, difficulty, discrimination, unanswered, to review;
- `distractors.csv` how often each option / answer / order was given, overall and by group;
- `review.md`       open answers grouped by the rubric ideas found, for fast reading;
- `overrides_template.csv` one row per open answer with the automatic points, to edit;
- `report.png`      score histogram, difficulty, discrimination and choice counts.

The statistics themselves (difficulty, discrimination, answer counts) are in `statistics.py`.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from quiz.errors import Problem, QuizError
from quiz.model import CHOICE_TYPES, Quiz, fmt_points
from quiz.responses import atomic_write_text
from quiz.scoring import Override, StudentResult
from quiz.teacher.statistics import ClassReport, class_report, load_class
from quiz.textmatch import normalise


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{round(value, digits):g}"


def _csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def scores_csv(report: ClassReport) -> str:
    ids = [q.id for q in report.quiz.questions]
    header = [
        "student",
        "total",
        "max_points",
        "percent",
        "submitted_at",
        "minutes",
        "to_review",
        *ids,
        "file",
    ]
    rows = []
    for s in report.students:
        rows.append(
            [
                s.student,
                fmt_points(s.total),
                fmt_points(s.max_total),
                f"{round(100 * s.total / s.max_total, 1):g}",
                s.submitted_at.isoformat() if s.submitted_at else "",
                _num(s.minutes, 1),
                len(s.pending_review),
                *(fmt_points(s.result(i).points) for i in ids),
                str(s.source or ""),
            ]
        )
    return _csv_text(header, rows)


def questions_csv(report: ClassReport) -> str:
    header = [
        "question",
        "type",
        "topic",
        "max_points",
        "answered",
        "mean_points",
        "difficulty",
        "discrimination_upper_lower",
        "item_rest_r",
        "to_review",
    ]
    rows = [
        [
            i.question_id,
            i.question_type,
            i.topic,
            fmt_points(i.max_points),
            i.answered,
            _num(i.mean_points),
            _num(i.difficulty),
            _num(i.discrimination),
            _num(i.item_rest_r),
            i.to_review,
        ]
        for i in report.items
    ]
    return _csv_text(header, rows)


def distractors_csv(report: ClassReport) -> str:
    header = [
        "question",
        "answer",
        "text",
        "correct",
        "count",
        "share",
        "upper_share",
        "lower_share",
    ]
    rows = [
        [
            a.question_id,
            a.answer,
            a.text,
            "yes" if a.is_correct else "no",
            a.count,
            _num(a.share),
            _num(a.upper_share),
            _num(a.lower_share),
        ]
        for a in report.answers
    ]
    return _csv_text(header, rows)


def overrides_template_csv(report: ClassReport) -> str:
    """One row per open answer, points pre-filled with the automatic score: edit, then pass it
    back with --overrides. Rows a teacher already overrode keep the teacher's points."""
    header = [
        "student",
        "question",
        "points",
        "comment",
        "max_points",
        "auto_points",
        "matched",
        "missing",
        "answer",
    ]
    rows = []
    for question in report.quiz.questions:
        if question.type != "open_ended":
            continue
        for s in report.students:
            r = s.result(question.id)
            answer = s.answers.get(question.id)
            if answer is None and not r.is_overridden:
                continue
            rows.append(
                [
                    s.student,
                    question.id,
                    fmt_points(r.points),
                    r.teacher_comment or "",
                    fmt_points(r.max_points),
                    fmt_points(r.auto_points if r.is_overridden else r.points),
                    " ".join(r.matched_ideas),
                    " ".join(r.missing_ideas),
                    " ".join(str(answer or "").split()),
                ]
            )
    return _csv_text(header, rows)


def review_markdown(report: ClassReport, overrides_hint: str) -> str:
    quiz = report.quiz
    lines = [f"# Open answers to review: {quiz.title}", ""]
    pending = sum(i.to_review for i in report.items)
    lines += [
        f"{pending} open answer(s) still need a teacher's look. Answers are grouped by the rubric "
        "ideas the matcher found, so similar answers sit together. To confirm or change scores, "
        "copy `overrides_template.csv` to `overrides.csv` (this report rewrites the template), "
        f"edit its `points` and `comment` columns, and run:\n\n    {overrides_hint}\n",
    ]
    for question in quiz.questions:
        if question.type != "open_ended":
            continue
        lines += [
            f"## {question.id} ({fmt_points(question.points)} points)",
            "",
            question.prompt.strip(),
            "",
        ]
        lines.append("Rubric:")
        for idea in question.rubric.ideas:
            lines.append(f"- `{idea.id}` ({fmt_points(idea.points)}): {idea.description}")
        lines.append("")
        groups: dict[tuple[str, ...], list[StudentResult]] = defaultdict(list)
        for s in report.students:
            if s.answers.get(question.id) is not None:
                groups[s.result(question.id).matched_ideas].append(s)
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[0]), -len(kv[1]), kv[0]))
        for matched, members in ordered:
            missing = [i.id for i in question.rubric.ideas if i.id not in matched]
            auto = sum(i.points for i in question.rubric.ideas if i.id in matched)
            lines.append(
                f"### Found: {', '.join(matched) or 'nothing'} · missing: "
                f"{', '.join(missing) or 'nothing'} · {fmt_points(min(auto, question.points))}/"
                f"{fmt_points(question.points)} · {len(members)} answer(s)"
            )
            lines.append("")
            for s in members:
                r = s.result(question.id)
                state = (
                    f"teacher: {fmt_points(r.points)}"
                    + (f", {r.teacher_comment}" if r.teacher_comment else "")
                    if r.is_overridden
                    else f"auto {fmt_points(r.points)}"
                )
                notes = [i.idea_id for i in r.ideas if i.matched and i.negated]
                doubt = f" · check negation: {', '.join(notes)}" if notes else ""
                text = " ".join(str(s.answers[question.id]).split())
                lines.append(f"- **{s.student}** ({state}{doubt}): {text}")
            lines.append("")
        identical = _identical_answers(report.students, question.id)
        if identical:
            lines.append("### Identical answers (worth a look)")
            lines.append("")
            for names in identical:
                lines.append(f"- {', '.join(names)}")
            lines.append("")
    return "\n".join(lines)


def _identical_answers(students: Iterable[StudentResult], question_id: str) -> list[list[str]]:
    by_text: dict[str, list[str]] = defaultdict(list)
    for s in students:
        answer = s.answers.get(question_id)
        if isinstance(answer, str) and len(normalise(answer).split()) >= 5:
            by_text[normalise(answer)].append(s.student)
    return [names for names in by_text.values() if len(names) > 1]


# ---- the picture ---------------------------------------------------------------------------


def plot_report(report: ClassReport, path: Path) -> None:
    """Four panels in one PNG: scores, difficulty, discrimination, choice counts."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    quiz = report.quiz
    labels = [f"Q{n} {q.id}" for n, q in enumerate(quiz.questions, 1)]
    figure = Figure(figsize=(15, 10), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(f"{quiz.title}: {len(report.students)} students", fontsize=15, weight="bold")
    (ax_hist, ax_diff), (ax_disc, ax_choice) = figure.subplots(2, 2)

    totals = report.totals
    top = quiz.total_points
    ax_hist.hist(
        totals,
        bins=[b - 0.5 for b in range(0, int(math.ceil(top)) + 2)],
        color="#4c72b0",
        edgecolor="white",
    )
    if totals:
        mean, median = statistics.fmean(totals), statistics.median(totals)
        ax_hist.axvline(mean, color="#c44e52", linestyle="--", label=f"mean {mean:.1f}")
        ax_hist.axvline(median, color="#55a868", linestyle=":", label=f"median {median:.1f}")
        ax_hist.legend(loc="upper left")
    ax_hist.set_title("Total scores")
    ax_hist.set_xlabel(f"points (of {fmt_points(top)})")
    ax_hist.set_ylabel("students")
    ax_hist.set_xlim(-0.5, top + 0.5)

    y = list(range(len(labels)))[::-1]
    difficulty = [i.difficulty for i in report.items]
    colours = ["#c44e52" if p < 0.3 else "#dd8452" if p > 0.9 else "#4c72b0" for p in difficulty]
    ax_diff.barh(y, difficulty, color=colours)
    ax_diff.set_yticks(y, labels)
    ax_diff.set_xlim(0, 1.08)
    ax_diff.set_title("Difficulty p: mean share of points (red < 0.3, orange > 0.9)")
    for yy, p in zip(y, difficulty, strict=True):
        ax_diff.text(p + 0.01, yy, f"{p:.2f}", va="center")

    disc = [i.discrimination for i in report.items]
    values = [d if d is not None else 0.0 for d in disc]
    ax_disc.axvspan(-1, 0.2, color="#f4cccc", alpha=0.5, zorder=0, label="< 0.2: review it")
    ax_disc.barh(y, values, color=["#c44e52" if v < 0.2 else "#55a868" for v in values], zorder=2)
    ax_disc.set_yticks(y, labels)
    ax_disc.set_xlim(min(-0.2, min(values, default=0) - 0.05), 1.08)
    ax_disc.axvline(0, color="black", linewidth=0.8)
    ax_disc.set_title("Discrimination D: p(top 27%) - p(bottom 27%)")
    ax_disc.legend(loc="lower right")
    for yy, d, v in zip(y, disc, values, strict=True):
        ax_disc.text(max(v, 0) + 0.01, yy, "n/a" if d is None else f"{d:.2f}", va="center")

    _plot_choices(ax_choice, report)
    figure.savefig(path, format="png")


def _plot_choices(ax: Any, report: ClassReport) -> None:
    rows = [a for a in report.answers if report.quiz.question(a.question_id).type in CHOICE_TYPES]
    numbers = {q.id: n for n, q in enumerate(report.quiz.questions, 1)}
    labels = [f"Q{numbers[a.question_id]} {a.answer}" for a in rows][::-1]
    counts = [a.count for a in rows][::-1]
    colours = [
        "#55a868" if a.is_correct else "#bbbbbb" if a.answer == "(no answer)" else "#dd8452"
        for a in rows
    ][::-1]
    y = list(range(len(rows)))
    ax.barh(y, counts, color=colours)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_title("Choices picked (green correct, orange distractor, grey none)")
    ax.set_xlabel("students")
    for yy, c in zip(y, counts, strict=True):
        ax.text(c + 0.2, yy, str(c), va="center", fontsize=8)


# ---- the whole report ----------------------------------------------------------------------


def build_report(
    quiz: Quiz,
    responses_dir: Path,
    out_dir: Path,
    overrides: Mapping[tuple[str, str], Override] | None = None,
    overrides_hint: str = "",
) -> ClassReport:
    students, problems, warnings = load_class(quiz, responses_dir, overrides)
    if not students:
        raise QuizError(
            [
                *problems,
                Problem(
                    responses_dir, None, "", "no readable responses files", "fix the files above"
                ),
            ]
        )
    report = class_report(quiz, students, problems, warnings)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    hint = overrides_hint or f"workbook quiz report {responses_dir} --overrides overrides.csv"
    files = {
        "scores": ("scores.csv", scores_csv(report)),
        "questions": ("questions.csv", questions_csv(report)),
        "distractors": ("distractors.csv", distractors_csv(report)),
        "review": ("review.md", review_markdown(report, hint)),
        "overrides_template": ("overrides_template.csv", overrides_template_csv(report)),
    }
    written = {}
    for key, (name, text) in files.items():
        atomic_write_text(out_dir / name, text)
        written[key] = out_dir / name
    plot_report(report, out_dir / "report.png")
    written["plot"] = out_dir / "report.png"
    return ClassReport(**{**report.__dict__, "written": written})
