"""The checks: small functions, each registered with everything it says about itself.

A check reads the `Context` (the submission's files, static facts, and the evidence the sandbox
brought back) and returns an `Outcome`: the fraction of its points earned, a message saying what
was found, and optional output (a log tail, a table). Checks run in the grading process, never
in the sandbox.

    registry.py   @check, the registry and its queries (tier table, steps, dependents)
    needs.py      what a check can need: the DAG file, its import, the DAG, documents, runs
    context.py    what a check reads (Context, Run)
    outcome.py    what a check returns
    evaluate.py   running the checks into results
    logs.py       task logs as a student should read them
    integrity.py, airflow3.py, documents.py, behaviour.py, source_errors.py   the checks

Importing this package registers every check.
"""

from autograder.checks import (  # noqa: F401 - register, in this order
    airflow3,
    behaviour,
    documents,
    integrity,
    source_errors,
)
from autograder.checks.context import Context, Run
from autograder.checks.evaluate import not_graded, run_checks
from autograder.checks.outcome import Outcome
from autograder.checks.registry import (
    Check,
    all_checks,
    by_tier,
    check,
    checks_to_run,
    dependents_of,
    steps_read_by,
    warehouses_read_by,
)

__all__ = [
    "Check",
    "Context",
    "Outcome",
    "Run",
    "all_checks",
    "by_tier",
    "check",
    "checks_to_run",
    "dependents_of",
    "not_graded",
    "run_checks",
    "steps_read_by",
    "warehouses_read_by",
]
