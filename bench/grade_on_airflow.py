"""Benchmark: grade one class through the grading DAG on the class Airflow (no-Docker twin) with 1
and with 2 grading workers, and through `autograder grade --jobs 2` in the same run; print
submissions per minute and the ratios against the CLI, and what each part of the stack spent.

The class is bench/grade_class.py's class of 30 (10 good submissions, each DAG folder its own,
and 20 ordinary bugs). `--students K` grades a spread of K of them (for a loaded machine).
Each grading worker has `--concurrency` slots (2: the CLI's --jobs). The second worker is
a second service of the same stack, started between the runs as `airflow celery worker -q
grading` on another machine would be. CPU seconds are read from /proc per service (its
processes and the children they waited for: a worker's include its sandboxes').

    .venv/bin/python bench/grade_on_airflow.py
    .venv/bin/python bench/grade_on_airflow.py --students 12 --json /tmp/grading.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from grade_class import build_class  # noqa: E402

from autograder import GradingOptions, grade_class  # noqa: E402
from class_airflow import credentials  # noqa: E402
from class_airflow.airflow_api import AirflowApi  # noqa: E402
from class_airflow.paths import ClassPaths  # noqa: E402
from class_airflow.stack import StackSettings  # noqa: E402
from class_airflow.twin import processes, runner  # noqa: E402
from tests.class_airflow.stacks import free_port  # noqa: E402

DAG_ID = "grade_assignment"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """utime + stime + the children it waited for, of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def service_cpu(paths: ClassPaths) -> dict[str, float]:
    """CPU seconds so far per service (living processes of its session)."""
    spent = {}
    for entry in runner.load_record(paths)["services"]:
        living = processes.living_in_sessions({entry["pid"]})
        spent[entry["name"]] = sum(_cpu_seconds(p.pid) for p in living)
    return spent


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine: how much of it anything used."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _at(text: str | None) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else 0.0


def time_cli(folder: Path, out: Path, jobs: int, import_timeout: float) -> dict:
    began = time.monotonic()
    result = grade_class(
        folder, out, jobs=jobs, options=GradingOptions(import_timeout=import_timeout), regrade=True
    )
    wall = time.monotonic() - began
    return {
        "wall_seconds": round(wall, 1),
        "per_minute": round(len(result.results) / wall * 60, 2),
        "median_submission_seconds": round(statistics.median(result.timings.values()), 1),
        "totals": {r.student: r.score for r in result.results},
    }


def time_dag(api: AirflowApi, paths: ClassPaths, folder: Path, out: Path, timeout: float) -> dict:
    """Trigger the DAG, wait, and take the run apart: where did the time go?"""
    cpu_before, busy_before = service_cpu(paths), _machine_busy()
    began = time.monotonic()
    conf = {"submissions": str(folder), "out": str(out), "import_timeout": 10}
    run_id = api.trigger(DAG_ID, None, conf)["dag_run_id"]
    while (run := api.dag_run(DAG_ID, run_id))["state"] not in ("success", "failed"):
        if time.monotonic() - began > timeout:
            raise SystemExit(f"{DAG_ID} {run_id} did not finish within {timeout:.0f} s")
        time.sleep(2)
    wall = time.monotonic() - began
    cpu_after, busy_after = service_cpu(paths), _machine_busy()
    tis = api.task_instances(DAG_ID, run_id)
    grading = [ti for ti in tis if ti["task_id"] == "grade_student"]
    by_id = {ti["task_id"]: ti for ti in tis if ti["map_index"] < 0}
    waits = [_at(ti["start_date"]) - _at(ti["queued_when"]) for ti in grading]
    work = [ti["duration"] for ti in grading]
    first_start = min(_at(ti["start_date"]) for ti in grading)
    last_end = max(_at(ti["end_date"]) for ti in grading)
    spent = {name: round(cpu_after.get(name, 0) - cpu_before.get(name, 0), 1) for name in cpu_after}
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    return {
        "run_state": run["state"],
        "wall_seconds": round(wall, 1),
        "per_minute": round(len(grading) / wall * 60, 2),
        "median_submission_seconds": round(statistics.median(work), 1),
        "sum_submission_seconds": round(sum(work), 1),
        "mean_queue_wait_seconds": round(statistics.fmean(waits), 1),
        "run_start_to_first_grading_s": round(first_start - _at(run["start_date"]), 1),
        "grading_span_s": round(last_end - first_start, 1),
        "last_grading_to_run_end_s": round(_at(run["end_date"]) - last_end, 1),
        "discover_s": by_id["discover"]["duration"],
        "collect_s": by_id["collect"]["duration"],
        "cpu_seconds_by_service": dict(sorted(spent.items(), key=lambda kv: -kv[1])),
        "machine_busy_fraction": round(busy, 2),
        "load_average": os.getloadavg(),
    }


def _spread(names: list[str], count: int) -> list[str]:
    step = len(names) / count
    return [names[int(i * step)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30, help="grade K of the class of 30")
    parser.add_argument("--concurrency", type=int, default=2, help="slots per grading worker")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dag-"))
    os.chmod(work, 0o755)  # PostgreSQL runs as its own user
    paths = ClassPaths(work / "state")
    roster = work / "roster.csv"
    roster.write_text("student,name,email\nada,Ada,\n")
    settings = StackSettings(
        workers=1,
        worker_concurrency=1,
        grading_workers=2,
        grading_concurrency=args.concurrency,
        api_port=free_port(),
        postgres_port=free_port(),
        redis_port=free_port(),
        taxi_source_port=free_port(),
    )
    report: dict = {"students": args.students, "concurrency": args.concurrency}
    try:
        folder = paths.grading / "class"
        folder.mkdir(parents=True)
        names = build_class(folder)
        keep = set(_spread(names, args.students)) if args.students < len(names) else set(names)
        for name in set(names) - keep:
            shutil.rmtree(folder / name)
        print(f"class of {len(keep)}; the CLI with --jobs {args.concurrency} ...", flush=True)
        cli = time_cli(folder, work / "cli-out", args.concurrency, 10)
        report["cli"] = cli
        print(f"  CLI: {cli['wall_seconds']} s, {cli['per_minute']} per minute", flush=True)

        began = time.monotonic()
        runner.up(paths, roster, settings)
        report["stack_up_seconds"] = round(time.monotonic() - began, 1)
        runner.down(paths, only=["grading-worker-2"])
        api = AirflowApi.login(
            f"http://127.0.0.1:{settings.api_port}",
            credentials.TEACHER_LOGIN,
            credentials.teacher_password(paths),
        )
        while DAG_ID not in {d["dag_id"] for d in api.dags()}:
            time.sleep(2)
        api.set_paused(DAG_ID, False)
        for workers in (1, 2):
            if workers == 2:
                runner.up(paths, roster, settings, only=["grading-worker-2"])
            print(f"the DAG with {workers} grading worker(s) ...", flush=True)
            out = paths.grading / f"out-{workers}"
            timed = time_dag(api, paths, folder, out, args.timeout)
            same = (out / "grades.csv").read_text() == (work / "cli-out" / "grades.csv").read_text()
            timed["grades_identical_to_cli"] = same
            report[f"dag_{workers}_workers"] = timed
            print(
                f"  {timed['wall_seconds']} s, {timed['per_minute']} per minute "
                f"({timed['per_minute'] / cli['per_minute']:.2f}x the CLI); grades.csv "
                f"{'identical' if same else 'DIFFERENT'}",
                flush=True,
            )
    finally:
        runner.down(paths)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
