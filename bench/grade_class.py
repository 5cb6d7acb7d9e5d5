"""Benchmark: grade a synthetic class of 30 with the autograder, and the naive way, and compare.

The class: 10 good submissions (the reference, each with its own student tag so no two DAG
folders are identical and nothing is shared between them; every third runs dbt as a command
through BashOperator, the corpus's `dbt_through_bash`, as most students write it) and 20 with
ordinary bugs from the test corpus. The sabotage fixtures (fork bomb, memory hog, file
deletion, snooping) are left out: the naive way runs student code unsandboxed, and this
benchmark is about speed.

1. `grade_class(..., jobs=N)`: total wall time, per-submission median, and where the time went
   (sandbox start, inspect = Airflow import + DAG parse + dbt import, each scenario, warehouse
   resets, probe, checks and reports). `--students K` grades K of the 30 (spread over the class);
   `--cold-dbt` switches the sandbox's warm dbt off (every `dbt` command a new process);
   `--cold-start` starts every harness as a new interpreter instead of forking it from the
   session's warm start (autograder.inside.zygote).
2. The naive way: one fresh `pytest bench/naive_grader.py` process per submission, one after
   another (each check its own runs, nothing shared). `--naive-sample K` times only K of them
   and extrapolates to the class (the report says so).
3. Which bad submissions a static-only grader of the course's kind (bench/static_grader.py)
   passes, while the autograder fails them.

    .venv/bin/python bench/grade_class.py --jobs 2
    .venv/bin/python bench/grade_class.py --jobs 2 --naive-sample 6
    .venv/bin/python bench/grade_class.py --jobs 2 --students 6 --skip-naive [--cold-dbt]
    .venv/bin/python bench/grade_class.py --jobs 2 --students 6 --skip-naive --cold-start
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from static_grader import grade as static_grade  # noqa: E402

from autograder import GradingOptions, grade_class  # noqa: E402
from autograder.checks import all_checks  # noqa: E402
from autograder.sandbox.runner import SandboxSession  # noqa: E402
from tests.corpus import BAD_SUBMISSIONS, REFERENCE, build_submission  # noqa: E402

GOOD = 10
BASH_EVERY = 3  # good_00, good_03, ... run dbt through BashOperator
ORDINARY_BUGS = (
    "append_not_idempotent",
    "passes_static_grader_but_duplicates_rows",
    "uses_datetime_now",
    "naive_start_date",
    "swallows_exceptions",
    "no_retries",
    "wrong_order",
    "airflow2_imports",
    "partitions_by_pickup_month",
    "no_notify_on_failure",
    "dbt_runs_after_failed_ingest",
    "crashes_on_manual_trigger",
    "cycle",
    "import_error",
    "hangs_at_import",
    "prints_megabytes",
    "missing_runbook",
    "report_without_row_counts",
    "report_unfilled",
    "missing_ai_assist",
)


def build_class(folder: Path) -> list[str]:
    """30 student folders; returns their names in a mixed order."""
    names = []
    for index in range(GOOD):
        bash = index % BASH_EVERY == 0
        name = f"good_{'bash_' if bash else ''}{index:02d}"
        build_submission("dbt_through_bash" if bash else REFERENCE, folder / name)
        dag = folder / name / "dags" / "taxi_pipeline.py"
        dag.write_text(dag.read_text() + f"\n# submitted by student {index:02d}\n")
        names.append(name)
    for bug in ORDINARY_BUGS:
        build_submission(bug, folder / bug)
        names.append(bug)
    return names


def time_autograder(
    folder: Path,
    out: Path,
    jobs: int,
    import_timeout: float,
    warm_dbt: bool = True,
    warm_start: bool = True,
) -> dict:
    options = GradingOptions(
        import_timeout=import_timeout, warm_dbt=warm_dbt, warm_start=warm_start
    )
    evidence: dict[str, object] = {}
    recorded = threading.Lock()
    original = SandboxSession.evidence_for

    def recording(self, submission, scenarios, warehouses=None):
        found = original(self, submission, scenarios, warehouses)
        # Students with identical DAG folders share one sandbox run (dedupe): count it once.
        with recorded:
            if all(found is not seen for seen in evidence.values()):
                evidence[submission.student] = found
        return found

    SandboxSession.evidence_for = recording  # the bench's own look at each sandbox's phases
    try:
        started = time.monotonic()
        result = grade_class(folder, out, jobs=jobs, options=options, regrade=True)
        wall = time.monotonic() - started
    finally:
        SandboxSession.evidence_for = original
    per = sorted(result.timings.values())
    return {
        "phases": phase_table(evidence, result.timings),
        "wall_seconds": round(wall, 1),
        "median_submission_seconds": round(statistics.median(per), 1),
        "max_submission_seconds": round(per[-1], 1),
        "scores": {r.student: r.score for r in result.results},
        "failed": {r.student: sorted(r.failed_ids) for r in result.results},
    }


def phase_table(evidence: dict, timings: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per phase: total seconds over the class and the median per submission."""
    rows: dict[str, list[float]] = {}
    for student, found in evidence.items():
        phases = dict(found.phases)
        snapshot = found.snapshot
        if snapshot is not None and "inspect" in phases:
            imported = snapshot.airflow_import_seconds or 0.0
            parsed = sum(snapshot.parse_seconds.values())
            phases["inspect: airflow import"] = imported
            phases["inspect: DAG parse"] = parsed
            phases["inspect: rest (dbt import, set-up)"] = phases["inspect"] - imported - parsed
        phases["checks + reports"] = timings.get(student, found.seconds) - found.seconds
        for name, seconds in phases.items():
            rows.setdefault(name, []).append(seconds)
    return {
        name: {"total": round(sum(v), 1), "median": round(statistics.median(v), 2), "n": len(v)}
        for name, v in sorted(rows.items())
    }


def print_phases(phases: dict[str, dict[str, float]]) -> None:
    print(f"  {'phase':<40} {'total s':>8} {'median s':>9} {'n':>3}")
    for name, row in phases.items():
        print(f"  {name:<40} {row['total']:>8} {row['median']:>9} {row['n']:>3}")


def time_naive(folder: Path, names: list[str], sample: int | None, timeout: float) -> dict:
    chosen = names if not sample else _spread(names, sample)
    seconds = {}
    env = {**os.environ, "NAIVE_IMPORT_TIMEOUT": "10", "PYTHONDONTWRITEBYTECODE": "1"}
    for name in chosen:
        started = time.monotonic()
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                [sys.executable, "-m", "pytest", str(BENCH / "naive_grader.py"), "-q", "-n", "0"]
                + ["-p", "no:cacheprovider", "-p", "no:randomly", "--rootdir", str(BENCH)],
                env={**env, "NAIVE_SUBMISSION": str(folder / name)},
                cwd=BENCH,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        seconds[name] = round(time.monotonic() - started, 1)
        print(f"  naive {name}: {seconds[name]} s", flush=True)
    measured = sum(seconds.values())
    return {
        "submissions_timed": len(chosen),
        "measured_seconds": round(measured, 1),
        "class_seconds": round(measured / len(chosen) * len(names), 1),
        "extrapolated": len(chosen) < len(names),
        "median_submission_seconds": round(statistics.median(seconds.values()), 1),
    }


def _spread(names: list[str], count: int) -> list[str]:
    """`count` names spread over the class (good and bad alike)."""
    step = len(names) / count
    return [names[int(i * step)] for i in range(count)]


def static_comparison(folder: Path, ours: dict) -> list[dict]:
    rows = []
    for name in sorted(ours["scores"]):
        static = static_grade(folder / name)
        rows.append(
            {
                "student": name,
                "static_points": static.points,
                "static_passes": static.passed,
                "ours": ours["scores"][name],
                "ours_failed": ours["failed"][name],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=0, help="time only K naive runs")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--import-timeout", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--students", type=int, default=0, help="grade only K of the class")
    parser.add_argument("--cold-dbt", action="store_true", help="no warm dbt in the sandbox")
    parser.add_argument("--cold-start", action="store_true", help="no warm start (zygote)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-class-"))
    try:
        folder = work / "class"
        folder.mkdir()
        names = build_class(folder)
        if args.students:
            keep = set(_spread(names, args.students))
            for name in set(names) - keep:
                shutil.rmtree(folder / name)
            names = [n for n in names if n in keep]
        print(f"class of {len(names)} in {folder}; grading with --jobs {args.jobs} ...", flush=True)
        ours = time_autograder(
            folder,
            work / "out",
            args.jobs,
            args.import_timeout,
            warm_dbt=not args.cold_dbt,
            warm_start=not args.cold_start,
        )
        print(
            f"autograder: {ours['wall_seconds']} s wall for {len(names)}, median "
            f"{ours['median_submission_seconds']} s per submission "
            f"(load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        print_phases(ours["phases"])
        print("  scores: " + ", ".join(f"{k} {v:g}" for k, v in sorted(ours["scores"].items())))
        report = {"class_size": len(names), "jobs": args.jobs, "autograder": ours}
        if not args.skip_naive:
            naive = time_naive(folder, names, args.naive_sample or None, timeout=900)
            report["naive"] = naive
            ratio = naive["class_seconds"] / ours["wall_seconds"]
            report["speedup"] = round(ratio, 2)
            note = " (extrapolated from a sample)" if naive["extrapolated"] else ""
            print(f"naive: {naive['class_seconds']} s for the class{note}")
            print(f"speed-up: {ratio:.1f}x")
        comparison = static_comparison(folder, ours)
        report["static_vs_ours"] = comparison
        missed = [
            r
            for r in comparison
            if r["static_passes"] and r["ours_failed"] and not r["student"].startswith("good_")
        ]
        print(
            f"\nbad submissions a static-only grader passes (>= 60 of 100): "
            f"{sum(r['static_passes'] for r in comparison if not r['student'].startswith('good_'))}"
            f" of {len(ORDINARY_BUGS)}; the autograder fails the check for the bug in "
            f"{len(missed)} of them:"
        )
        order = list(all_checks())  # integrity first: the root cause leads
        for row in missed:
            caught = sorted(
                BAD_SUBMISSIONS[row["student"]].fails & set(row["ours_failed"]), key=order.index
            )
            shown = ", ".join(caught[:2]) + (f" (+{len(caught) - 2})" if len(caught) > 2 else "")
            print(
                f"  {row['student']:<42} static {row['static_points']:>5g}  ours "
                f"{row['ours']:>6g}  {shown}"
            )
        good = [r for r in comparison if r["student"].startswith("good_")]
        print(f"good submissions at 100 with the autograder: {sum(r['ours'] == 100 for r in good)}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
