"""DAG files in the workbook: find one by its id, parse it as the scheduler would, save one a
student wrote, and say in plain words why a file gives no DAG.

The workbook names every DAG file after its dag_id, so a DAG's id is enough to find its file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbook.console import quiet
from workbook.display import Table
from workbook.errors import WorkbookError
from workbook.paths import short

DAG_NAME = re.compile(r"[a-z][a-z0-9_]*")


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` all at once (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
    return path


def find_dag_file(folders: Sequence[Path], dag_id: str) -> Path:
    """The file that defines `dag_id`: the first `<dag_id>.py` in `folders`."""
    for folder in folders:
        candidate = folder / f"{dag_id}.py"
        if candidate.exists():
            return candidate
    raise WorkbookError(
        f"No file {dag_id}.py in {', '.join(short(f) for f in folders)}. "
        "The workbook expects each DAG in a file named after its dag_id."
    )


def parse_dag_file(path: Path) -> Any:
    """A DagBag of one file or folder, with Airflow's parsing chatter kept out of sight."""
    from airflow.models import DagBag

    with quiet():
        return DagBag(dag_folder=str(path))


def load_dag(path: Path, dag_id: str) -> Any:
    """The DAG `dag_id` from the file `path`, or a WorkbookError that says why not."""
    bag = parse_dag_file(path)
    if dag_id not in bag.dags:
        raise WorkbookError(import_problem(path, bag.import_errors, dag_id))
    return bag.dags[dag_id]


def list_dags(folders: Sequence[Path]) -> Table:
    """Every DAG Airflow finds in these folders, like the UI's list of DAGs."""
    rows = []
    for folder in folders:
        bag = parse_dag_file(folder)
        rows += [
            {
                "folder": short(folder),
                "dag_id": dag_id,
                "schedule": schedule_text(bag.dags[dag_id].schedule),
                "tags": ", ".join(sorted(bag.dags[dag_id].tags)),
            }
            for dag_id in sorted(bag.dag_ids)
        ]
        rows += [
            {"folder": short(folder), "dag_id": f"(import error in {Path(f).name})"}
            for f in bag.import_errors
        ]
    return Table(rows, title="DAGs the workbook's Airflow can see")


def write_dag(folder: Path, name: str, source: str) -> Path:
    """Save a DAG as `<folder>/<name>.py` and print whether Airflow can load it."""
    if not DAG_NAME.fullmatch(name):
        raise WorkbookError(
            f"{name!r} cannot be a DAG file name: use lowercase letters, digits and _"
        )
    path = write_atomic(folder / f"{name}.py", source)
    bag = parse_dag_file(path)
    if name in bag.dags:
        tasks = ", ".join(bag.dags[name].task_ids) or "no tasks yet"
        print(f"saved {short(path)}: DAG '{name}' with tasks: {tasks}")
    else:
        print(import_problem(path, bag.import_errors, name))
    return path


def import_problem(path: Path, import_errors: dict[str, str], dag_id: str) -> str:
    """Why `path` gives no DAG `dag_id`: its import error (last line, and the line number in
    the file), or the usual reasons a file that imports defines no DAG."""
    error = next(iter(import_errors.values()), "")
    if error:
        last = error.strip().splitlines()[-1]
        line = re.findall(rf'File "{re.escape(str(path))}", line (\d+)', error)
        where = f"{short(path)}" + (f", line {line[-1]}" if line else "")
        return f"❌ Airflow cannot load {where}: {last}"
    return (
        f"❌ {short(path)} loads, but defines no DAG '{dag_id}'. Is the dag_id spelled like the "
        "file name, and is the @dag function called at the bottom of the file?"
    )


def schedule_text(schedule: Any) -> str:
    """A DAG's schedule in a word: the cron or preset, the assets, or the timetable's class."""
    if schedule is None or isinstance(schedule, str):
        return str(schedule)
    if isinstance(schedule, list | tuple):
        return "on asset " + ", ".join(getattr(a, "name", str(a)) for a in schedule)
    return type(schedule).__name__
