"""grades.csv (one row per student, one column per check) and summary.json."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Iterable
from pathlib import Path

from autograder.checks import all_checks
from autograder.files import atomic_write_text
from autograder.results import ClassResult


def write_gradebook(out_dir: Path, result: ClassResult) -> Path:
    ids = list(all_checks())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "total", "max", "tier", *ids])
    for row in result.results:
        scores = {c.check_id: c.score for c in row.checks}
        writer.writerow(
            [row.student, f"{row.score:g}", f"{row.max_score:g}", row.tier]
            + [f"{scores[i]:g}" if i in scores else "" for i in ids]
        )
    path = out_dir / "grades.csv"
    atomic_write_text(path, buffer.getvalue())
    return path


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def summary(result: ClassResult) -> dict:
    checks = all_checks()
    per_check = {}
    for check_id, item in checks.items():
        graded = [r.check(check_id) for r in result.results if r.check(check_id) is not None]
        if not graded:
            continue
        per_check[check_id] = {
            "title": item.title,
            "visibility": item.visibility,
            "points": item.points,
            "pass_rate": round(sum(c.passed for c in graded) / len(graded), 3),
            "mean_score": round(statistics.fmean(c.score for c in graded), 2),
            "errored": sum(c.errored for c in graded),
        }
    totals = [r.score for r in result.results]
    tiers: dict[str, int] = {}
    for row in result.results:
        tiers[row.tier] = tiers.get(row.tier, 0) + 1
    timings = sorted(result.timings.values())
    return {
        "students": len(result.results),
        "graded_now": len(result.results) - len(result.reused),
        "reused": list(result.reused),
        "ungraded": list(result.ungraded),
        "max_score": result.results[0].max_score if result.results else 0,
        "mean_score": round(statistics.fmean(totals), 2) if totals else 0,
        "median_score": round(statistics.median(totals), 2) if totals else 0,
        "tiers": tiers,
        "isolation": result.isolation,  # the sandbox this session ran submissions in
        "isolation_of_results": _count(r.isolation for r in result.results),  # kept ones too
        "grader_notes": list(result.notes),
        "checks": per_check,
        "timing": {
            "wall_seconds": round(result.seconds, 1),
            "median_submission_seconds": round(statistics.median(timings), 1) if timings else None,
        },
    }


def write_summary(out_dir: Path, result: ClassResult) -> Path:
    path = out_dir / "summary.json"
    atomic_write_text(path, json.dumps(summary(result), indent=1) + "\n")
    return path
