"""Airflow's deprecation warnings: the workbook must teach Airflow 3 without any of them.

The test suite runs every notebook with `WORKBOOK_STRICT_WARNINGS=1`, which turns these warnings
into errors, and ends each notebook with `deprecation_report(wb.reports)`, which looks for their
names in the captured output of every DAG run (warnings raised inside a task end up there).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbook.runner import RunReport

STRICT_WARNINGS_ENV = "WORKBOOK_STRICT_WARNINGS"
DEPRECATION_WARNINGS = (
    "airflow.exceptions.RemovedInAirflow4Warning",
    "airflow.sdk.exceptions.RemovedInAirflow4Warning",
    "airflow.utils.deprecation_tools.DeprecatedImportWarning",
    "airflow.exceptions.AirflowProviderDeprecationWarning",
)
DEPRECATION_NAMES = tuple(sorted({name.rsplit(".", 1)[1] for name in DEPRECATION_WARNINGS}))


def strict_deprecations() -> None:
    """Turn Airflow's deprecation warnings into errors (the test suite asks for this)."""
    for dotted in DEPRECATION_WARNINGS:
        module, name = dotted.rsplit(".", 1)
        warnings.simplefilter("error", getattr(importlib.import_module(module), name))


def deprecation_report(reports: Iterable[RunReport]) -> str:
    """Airflow deprecation warnings seen in these DAG runs (a notebook's `wb.reports`)."""
    found = sorted(
        {
            f"{report.dag_id}: {name}"
            for report in reports
            for name in DEPRECATION_NAMES
            if name in report.output
        }
    )
    return "deprecations: " + (", ".join(found) if found else "none")
