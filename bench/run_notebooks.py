"""Benchmark: execute the workbook's notebooks one after another, the way a student meets them.

A student runs `make lab` once (`workbook init` creates the metadata DB and saves dbt's parse
for every chapter) and then works through the chapters in one Airflow home and one work folder.
This does the same: one home and work folder, initialised once (timed on its own), then each
notebook as committed (exercises unsolved) in a fresh kernel, in order. Per notebook it prints
the first cell (the chapter's `setup(...)`: what a student waits for before anything answers),
the slowest cell, the kernel's start and exit, and the total; then the sum and, with `--cold`,
the same notebooks each in a home of its own that nobody initialised (the baseline: what
`make lab`'s preparation saves). Kernels start as in `make lab`, from the warm spare
(`workbook.warm_kernel`); `--plain-kernels` also runs them all with kernels started the ordinary
way, in a home of their own, and prints the ratio.

    .venv/bin/python bench/run_notebooks.py
    .venv/bin/python bench/run_notebooks.py --plain-kernels
    .venv/bin/python bench/run_notebooks.py --cold --json /tmp/notebooks.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402
from jupyter_client.provisioning import KernelProvisionerFactory  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from taxi_source.server import serve_in_thread  # noqa: E402
from tests.notebooks.harness import CELL_TIMEOUT, NOTEBOOKS, kernel_env  # noqa: E402
from workbook.warm_kernel import WarmKernelProvisioner  # noqa: E402

CHAPTERS = sorted(path.name for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _seconds(cell: nbformat.NotebookNode) -> float:
    """A code cell's run time, from the timestamps nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def initialise(home: Path, work: Path) -> float:
    """What `make lab` does once: `workbook init` (the metadata DB, dbt's parse per chapter) in
    that home and work folder. Returns its seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TAXI_", "DBT_"))}
    env["AIRFLOW_HOME"] = str(home)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
    env["WORKBOOK_WORK_DIR"] = str(work)
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "workbook"), "init"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - started


def run_one(name: str, env: dict[str, str]) -> dict:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    started = time.perf_counter()
    client.execute(env=env)
    total = time.perf_counter() - started
    timed = [
        (index, _seconds(cell)) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
    ]
    first = timed[0][1] if timed else 0.0
    slowest = max(timed, key=lambda pair: pair[1]) if timed else (0, 0.0)
    return {
        "notebook": name,
        "total": total,
        "first_cell": first,
        "slowest_cell": slowest[1],
        "slowest_index": slowest[0],
        "kernel_and_overhead": total - sum(seconds for _, seconds in timed),
    }


def run_all(names: list[str], root: Path, source, shared_home: bool) -> tuple[list[dict], float]:
    """Each notebook in a fresh kernel; returns the rows and the seconds `workbook init` took."""
    rows = []
    home, shared_work = root / "airflow", root / "work"
    init_seconds = initialise(home, shared_work) if shared_home else 0.0
    for name in names:
        work = root / name.removesuffix(".ipynb")
        work.mkdir(parents=True)
        env = kernel_env(work, source, None)
        if shared_home:  # every chapter in the one home and work folder `make lab` prepared
            env["AIRFLOW_HOME"] = str(home)
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
            env["WORKBOOK_WORK_DIR"] = str(shared_work)
            for name_of_own_path in ("TAXI_WAREHOUSE", "TAXI_NOTIFICATIONS"):
                env.pop(name_of_own_path)  # each chapter's own, in the work folder
        env.pop("WORKBOOK_STRICT_WARNINGS", None)
        rows.append(run_one(name, env))
        row = rows[-1]
        print(
            f"  {name:<45} {row['total']:6.1f} s   first cell {row['first_cell']:5.1f} s   "
            f"slowest cell #{row['slowest_index']} {row['slowest_cell']:5.1f} s   "
            f"kernel start+exit {row['kernel_and_overhead']:4.1f} s",
            flush=True,
        )
    return rows, init_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also run each in an unprepared home")
    parser.add_argument("--only", nargs="*", help="these notebooks (default: every chapter)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument(
        "--plain-kernels", action="store_true", help="also run them with ordinary kernels"
    )
    args = parser.parse_args()
    names = args.only or CHAPTERS
    source = serve_in_thread()
    results = {"load_before": os.getloadavg()}
    factory = KernelProvisionerFactory.instance()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-notebooks-") as tmp:
            print(f"{len(names)} notebooks, one prepared Airflow home (after `make lab`):")
            factory.default_provisioner_name = "workbook-warm-provisioner"  # as `make lab`
            started = time.perf_counter()
            warm, results["init_seconds"] = run_all(names, Path(tmp) / "warm", source, True)
            results["warm_total"] = time.perf_counter() - started
            results["notebooks_total"] = results["warm_total"] - results["init_seconds"]
            results["warm"] = warm
            WarmKernelProvisioner.discard_spare()
            factory.default_provisioner_name = "local-provisioner"
            if args.plain_kernels:
                print("baseline: the same, each kernel started the ordinary way:")
                started = time.perf_counter()
                results["plain"], init = run_all(names, Path(tmp) / "plain", source, True)
                results["plain_total"] = time.perf_counter() - started - init
            if args.cold:
                print("baseline: each notebook in a home nobody prepared:")
                started = time.perf_counter()
                results["cold"], _ = run_all(names, Path(tmp) / "cold", source, False)
                results["cold_total"] = time.perf_counter() - started
    finally:
        source.stop()
    results["load_after"] = os.getloadavg()
    firsts = [row["first_cell"] for row in results["warm"]]
    print(
        f"\nall {len(names)} one after another: {results['notebooks_total']:.0f} s, after "
        f"`workbook init` ({results['init_seconds']:.0f} s, once per checkout: `make lab`); "
        f"first cell median {statistics.median(firsts):.1f} s, max {max(firsts):.1f} s"
    )
    if args.plain_kernels:
        print(
            f"ordinary kernels {results['plain_total']:.0f} s: warm kernels are "
            f"{results['plain_total'] / results['notebooks_total']:.2f}x faster"
        )
    if args.cold:
        print(
            f"cold baseline {results['cold_total']:.0f} s: prepared home is "
            f"{results['cold_total'] / results['warm_total']:.2f}x faster"
        )
    print(
        f"load average before/after: {results['load_before'][0]:.1f} / "
        f"{results['load_after'][0]:.1f}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
