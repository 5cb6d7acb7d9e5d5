"""What a check needs to be able to pass, in names the registry can reason about.

    DAG_FILE        dags/taxi_pipeline.py is in the submission
    DAG_IMPORT      the file imports without an error              (needs DAG_FILE)
    DAG             Airflow builds the DAG file's DAG (any dag_id) (needs DAG_IMPORT)
    document(name)  the document is at the top of the submission
    step(step_id)   the sandbox made that scenario step's run       (needs DAG)
    warehouse(step_id)  the grader read the warehouse that run left (needs step(step_id))

A check declares the needs it reads (`@check(needs=...)`); what those need in turn is implied.
Only the warehouses some check declares are copied out and read (each read costs ~45 ms); a
check that reads another one fails loudly (`context.UnreadWarehouse`).
When a need is missing (no file, an import error, a cycle, a run that could not be made), every
check that needs it, directly or through another need, scores zero: `registry.dependents_of`.
Without the DAG such a check does not run at all: it names the check that says why, to fix
first (`evaluate.blocker_of`). A DAG whose id is not the contract's is there: only
integrity_single_dag minds its name.
"""

from __future__ import annotations

from collections.abc import Iterable

from autograder.scenarios import STEP_IDS
from autograder.submission import DOCUMENTS

DAG_FILE = "dag_file"
DAG_IMPORT = "dag_import"
DAG = "dag"
_DOCUMENT = "document:"
_STEP = "step:"
_WAREHOUSE = "warehouse:"
_IMPLIES = {DAG_IMPORT: DAG_FILE, DAG: DAG_IMPORT}


def document(name: str) -> str:
    """The need for the document `name` (one of `submission.DOCUMENTS`)."""
    return _DOCUMENT + name


def step(step_id: str) -> str:
    """The need for the run of the scenario step `step_id` (one of `scenarios.STEP_IDS`)."""
    return _STEP + step_id


def steps(step_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(step(s) for s in step_ids)


def warehouse(step_id: str) -> str:
    """The need for the warehouse the run of `step_id` left (what its tables hold)."""
    return _WAREHOUSE + step_id


def warehouses(step_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(warehouse(s) for s in step_ids)


def step_of(need: str) -> str | None:
    """The step id if `need` is a step's run, else None."""
    return need.removeprefix(_STEP) if need.startswith(_STEP) else None


def warehouse_of(need: str) -> str | None:
    """The step id if `need` is the warehouse a step's run left, else None."""
    return need.removeprefix(_WAREHOUSE) if need.startswith(_WAREHOUSE) else None


def validate(need: str) -> str:
    """`need`, if it names something the grader knows; else ValueError saying what it knows."""
    if need in (DAG_FILE, DAG_IMPORT, DAG):
        return need
    if need.startswith(_DOCUMENT) and need.removeprefix(_DOCUMENT) in DOCUMENTS:
        return need
    for prefix in (_STEP, _WAREHOUSE):
        if need.startswith(prefix) and need.removeprefix(prefix) in STEP_IDS:
            return need
    raise ValueError(
        f"unknown need {need!r}: use DAG_FILE, DAG_IMPORT, DAG, document(name) with a name in "
        f"{DOCUMENTS}, or step(step_id) / warehouse(step_id) with a step id in "
        "scenarios.STEP_IDS"
    )


def implied(need: str) -> tuple[str, ...]:
    """`need` and everything it needs in turn (a run needs the DAG, which needs the import...)."""
    chain = [need]
    if (step_id := warehouse_of(need)) is not None:
        need = step(step_id)
        chain.append(need)
    current: str | None = DAG if need.startswith(_STEP) else _IMPLIES.get(need)
    while current is not None:
        chain.append(current)
        current = _IMPLIES.get(current)
    return tuple(chain)


def closure(needs: Iterable[str]) -> frozenset[str]:
    return frozenset(n for need in needs for n in implied(need))
