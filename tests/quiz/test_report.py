"""`workbook quiz report` on a synthetic class of 30, generated deterministically. Every number
in the report is recomputed here from the answers chosen and points worked out by hand, not
read back from the scorer."""

from __future__ import annotations

import csv
import json
import random
import re
import statistics
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from quiz.model import Quiz
from quiz.teacher.overrides import load_overrides
from quiz.teacher.report import build_report
from quiz.teacher.statistics import ClassReport, topic_shares
from tests.quiz.paths import FIXTURES

KEY = ["grid", "failed_task", "task_log", "try_number", "rendered_template"]
# For each question: (answer, points) pairs, best first; the points come from the rules.
ANSWERS: dict[str, list[tuple[object, float]]] = {
    "scheduling_vs_orchestration": [
        ("when_vs_how", 2), ("web_ui", 0), ("faster", 0), ("fixes_data", 0),
    ],
    "logical_date_facts": [
        (["backfill_keeps_date", "retries_same_date", "manual_without_date"], 3),
        (["backfill_keeps_date", "retries_same_date"], 2),
        (["backfill_keeps_date"], 1),
        (["backfill_keeps_date", "now_equals_logical"], 0),
        (["worker_start_time"], 0),
    ],
    "idempotent_month_load": [
        ("Rows are duplicated. Delete the month first, in one transaction.", 4),
        ("Delete the month before inserting it again.", 2),
        ("The rows are duplicated.", 1),
        ("It just works.", 0),
    ],
    "what_retries_fix": [
        (["source_503", "network_blip", "warehouse_locked"], 3),
        (["source_503", "network_blip"], 2),
        (["source_503", "network_blip", "warehouse_locked", "month_13"], 2),
        (["source_503", "month_403"], 0),
    ],
    "retry_tries": [("3", 1), ("three", 1), ("2", 0), ("1", 0)],
    "debugging_order": [
        (KEY, 3),
        (["grid", "failed_task", "try_number", "task_log", "rendered_template"], 2.4),
        (["rendered_template", "grid", "failed_task", "task_log", "try_number"], 0.6),
        (KEY[::-1], 0),
    ],
    "month_13_debugging": [
        ("Deterministic bug. Rendered template shows month 13. Clear the task after the fix.", 4),
        ("Retries cannot fix a deterministic bug.", 1),
        ("Add more retries.", 0),
    ],
}  # fmt: skip
MAX = {
    "scheduling_vs_orchestration": 2,
    "logical_date_facts": 3,
    "idempotent_month_load": 4,
    "what_retries_fix": 3,
    "retry_tries": 1,
    "debugging_order": 3,
    "month_13_debugging": 4,
}
STUDENTS = [f"student_{i:02d}" for i in range(30)]


def synthetic_class() -> dict[str, dict[str, tuple[object, float] | None]]:
    """Student i answers well with probability 0.15 + 0.8 * i/29 and skips 5% of questions."""
    chosen = {}
    for i, student in enumerate(STUDENTS):
        rng = random.Random(1100 + i)
        ability = 0.15 + 0.8 * i / 29
        picks: dict[str, tuple[object, float] | None] = {}
        for question_id, options in ANSWERS.items():
            if rng.random() < 0.05:
                picks[question_id] = None
            elif rng.random() < ability:
                picks[question_id] = options[0]
            else:
                picks[question_id] = options[rng.randrange(1, len(options))]
        chosen[student] = picks
    return chosen


def write_class(root: Path, chosen: dict) -> None:
    """Laid out like nbgrader's submitted/ folder."""
    for i, (student, picks) in enumerate(chosen.items()):
        answers = {
            qid: {"value": pick[0], "answered_at": "2025-03-07T09:05:00Z"}
            for qid, pick in picks.items()
            if pick is not None
        }
        data = {
            "format": "week11-quiz-responses",
            "schema_version": 1,
            "quiz_id": "week_11_quiz",
            "student": student,
            "started_at": "2025-03-07T09:00:00Z",
            "updated_at": "2025-03-07T09:15:00Z",
            "submitted_at": None if i in (3, 17) else "2025-03-07T09:15:00Z",
            "answers": answers,
        }
        target = root / "submitted" / student / "week11_quiz" / "quiz_responses" / f"{student}.json"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(data, indent=2))


@pytest.fixture(scope="module")
def chosen() -> dict:
    return synthetic_class()


@pytest.fixture(scope="module")
def built(quiz: Quiz, chosen: dict, tmp_path_factory: pytest.TempPathFactory) -> ClassReport:
    root = tmp_path_factory.mktemp("class")
    write_class(root, chosen)
    return build_report(quiz, root / "submitted", root / "report")


def points_of(chosen: dict) -> dict[str, dict[str, float]]:
    return {
        s: {q: (pick[1] if pick else 0.0) for q, pick in picks.items()}
        for s, picks in chosen.items()
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_synthetic_class_is_varied(chosen: dict) -> None:
    totals = [sum(p.values()) for p in points_of(chosen).values()]
    assert len(totals) == 30 and min(totals) < 8 and max(totals) == 20
    assert any(pick is None for picks in chosen.values() for pick in picks.values())


def test_scores_csv_has_one_row_per_student_and_a_column_per_question(
    built: ClassReport, chosen: dict
) -> None:
    rows = read_csv(built.written["scores"])
    expected = points_of(chosen)
    assert [r["student"] for r in rows] == STUDENTS
    for row in rows:
        wanted = expected[row["student"]]
        for question_id in MAX:
            assert float(row[question_id]) == pytest.approx(wanted[question_id]), row["student"]
        assert float(row["total"]) == pytest.approx(sum(wanted.values()))
        assert float(row["percent"]) == pytest.approx(100 * sum(wanted.values()) / 20, abs=0.05)
    assert [r["student"] for r in rows if not r["submitted_at"]] == ["student_03", "student_17"]


def test_difficulty_and_discrimination(built: ClassReport, chosen: dict) -> None:
    points = points_of(chosen)
    totals = {s: sum(p.values()) for s, p in points.items()}
    ranked = sorted(STUDENTS, key=lambda s: (-totals[s], s))
    upper, lower = ranked[:8], ranked[-8:]  # 27% of 30 = 8.1 -> 8 students each
    rows = {r["question"]: r for r in read_csv(built.written["questions"])}
    for question_id, top in MAX.items():
        shares = [points[s][question_id] / top for s in STUDENTS]
        rest = [totals[s] - points[s][question_id] for s in STUDENTS]
        difficulty = statistics.fmean(shares)
        d_index = statistics.fmean(points[s][question_id] / top for s in upper) - statistics.fmean(
            points[s][question_id] / top for s in lower
        )
        r = float(np.corrcoef(shares, rest)[0, 1])
        row = rows[question_id]
        assert float(row["difficulty"]) == pytest.approx(difficulty, abs=5e-4), question_id
        assert float(row["discrimination_upper_lower"]) == pytest.approx(d_index, abs=5e-4)
        assert float(row["item_rest_r"]) == pytest.approx(r, abs=5e-4), question_id
        answered = sum(1 for s in STUDENTS if chosen[s][question_id] is not None)
        assert int(row["answered"]) == answered
    assert list(built.upper) == upper and list(built.lower) == lower


def test_distractor_counts(built: ClassReport, chosen: dict) -> None:
    rows = read_csv(built.written["distractors"])
    first = [r for r in rows if r["question"] == "scheduling_vs_orchestration"]
    picked = Counter(chosen[s]["scheduling_vs_orchestration"] for s in STUDENTS)
    counts = Counter({pick[0]: n for pick, n in picked.items() if pick is not None})
    # every option is listed, in quiz order, even one nobody picked
    assert [r["answer"] for r in first][:4] == ["web_ui", "faster", "when_vs_how", "fixes_data"]
    for row in first[:4]:
        assert int(row["count"]) == counts[row["answer"]]
        assert row["correct"] == ("yes" if row["answer"] == "when_vs_how" else "no")
    multi = {r["answer"]: int(r["count"]) for r in rows if r["question"] == "what_retries_fix"}
    ticks = Counter(
        option
        for s in STUDENTS
        if chosen[s]["what_retries_fix"] is not None
        for option in chosen[s]["what_retries_fix"][0]
    )
    assert all(multi[o] == ticks[o] for o in ("source_503", "month_403", "month_13"))
    orders = {r["answer"]: int(r["count"]) for r in rows if r["question"] == "debugging_order"}
    assert orders[" > ".join(KEY)] == sum(
        1 for s in STUDENTS if chosen[s]["debugging_order"] == ANSWERS["debugging_order"][0]
    )


def test_review_groups_open_answers_by_ideas_found(built: ClassReport, chosen: dict) -> None:
    text = built.written["review"].read_text()
    section = text.split("## idempotent_month_load")[1].split("## month_13_debugging")[0]
    heading = re.search(
        r"### Found: duplicates, delete_then_insert, one_transaction · missing: nothing · 4/4 · "
        r"(\d+) answer",
        section,
    )
    best = sum(
        1
        for s in STUDENTS
        if chosen[s]["idempotent_month_load"] == ANSWERS["idempotent_month_load"][0]
    )
    assert heading and int(heading[1]) == best
    assert "### Identical answers" in section  # 30 students, 4 texts: copies are flagged
    template = read_csv(built.written["overrides_template"])
    open_answers = sum(
        1
        for s in STUDENTS
        for q in ("idempotent_month_load", "month_13_debugging")
        if chosen[s][q] is not None
    )
    assert len(template) == open_answers
    assert {r["points"] == r["auto_points"] for r in template} == {True}


def test_the_png_is_a_real_picture(built: ClassReport) -> None:
    data = built.written["plot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1650, 1100)
    assert len(data) > 50_000  # four panels with text, not an empty canvas


def test_reviewed_overrides_feed_back_into_the_report(
    quiz: Quiz, chosen: dict, tmp_path: Path, built: ClassReport
) -> None:
    student = next(
        s
        for s in STUDENTS
        if chosen[s]["idempotent_month_load"] is not None
        and chosen[s]["idempotent_month_load"][1] < 4
    )
    root = tmp_path / "class"
    write_class(root, chosen)
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(f"student,question,points,comment\n{student},idempotent_month_load,4,ok\n")
    report = build_report(quiz, root, tmp_path / "out", load_overrides(overrides, quiz))
    before = next(s for s in built.students if s.student == student)
    after = next(s for s in report.students if s.student == student)
    assert after.result("idempotent_month_load").points == 4
    assert after.total == pytest.approx(
        before.total - before.result("idempotent_month_load").points + 4
    )
    assert f"**{student}** (teacher: 4, ok)" in report.written["review"].read_text()
    assert report.item("idempotent_month_load").to_review == (
        built.item("idempotent_month_load").to_review - 1
    )


def test_broken_and_duplicate_files_are_reported_not_fatal(quiz: Quiz, tmp_path: Path) -> None:
    for name in ("partial", "all_right"):
        (tmp_path / f"{name}.json").write_text(
            (FIXTURES / "responses" / f"{name}.json").read_text()
        )
    older = json.loads((FIXTURES / "responses" / "all_wrong.json").read_text())
    older.update(student="partial", updated_at="2025-03-01T00:00:00Z")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "partial.json").write_text(json.dumps(older))
    (tmp_path / "broken.json").write_text("{")
    report = build_report(quiz, tmp_path, tmp_path / "out")
    assert [s.student for s in report.students] == ["all_right", "partial"]
    assert next(s for s in report.students if s.student == "partial").total == pytest.approx(8.4)
    assert len(report.problems) == 1 and "broken.json" in str(report.problems[0])
    assert any("two files for student 'partial'" in w for w in report.warnings)


def test_topic_shares_and_minutes(built: ClassReport, chosen: dict, quiz: Quiz) -> None:
    points = points_of(chosen)
    retries = ("what_retries_fix", "retry_tries")
    expected = sum(points[s][q] for s in STUDENTS for q in retries) / (30 * (3 + 1))
    assert topic_shares(quiz, list(built.students))["retries"] == pytest.approx(expected)
    rows = read_csv(built.written["scores"])
    assert {r["minutes"] for r in rows if r["submitted_at"]} == {"15"}


def test_answers_to_an_older_quiz_version_are_flagged(quiz: Quiz, tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "responses" / "partial.json").read_text())
    data["quiz_fingerprint"] = "0123456789ab"
    (tmp_path / "partial.json").write_text(json.dumps(data))
    report = build_report(quiz, tmp_path, tmp_path / "out")
    assert any("another version of the quiz" in w for w in report.warnings)


def test_an_id_that_differs_from_nbgraders_folder_is_flagged(quiz: Quiz, tmp_path: Path) -> None:
    target = tmp_path / "submitted" / "alovelace" / "week11_quiz" / "quiz_responses" / "ada.json"
    target.parent.mkdir(parents=True)
    data = json.loads((FIXTURES / "responses" / "partial.json").read_text())
    target.write_text(json.dumps({**data, "student": "ada"}))
    report = build_report(quiz, tmp_path / "submitted", tmp_path / "out")
    assert any("collected this for student 'alovelace'" in w for w in report.warnings)
