"""The deprecation report a notebook run ends with: names of Airflow's warnings in run output."""

from __future__ import annotations

import warnings

import pytest

from tests.workbook.reports import report
from workbook.deprecations import DEPRECATION_NAMES, deprecation_report, strict_deprecations


def test_a_clean_notebook_reports_none() -> None:
    assert deprecation_report([report(output="all fine")]) == "deprecations: none"
    assert deprecation_report([]) == "deprecations: none"


def test_each_dag_with_a_warning_in_its_output_is_named() -> None:
    runs = [
        report("old_dag", output="DeprecatedImportWarning: airflow.operators.bash"),
        report("fine_dag", output="ok"),
    ]
    assert deprecation_report(runs) == "deprecations: old_dag: DeprecatedImportWarning"


def test_the_names_are_the_warning_classes() -> None:
    assert "RemovedInAirflow4Warning" in DEPRECATION_NAMES
    assert "AirflowProviderDeprecationWarning" in DEPRECATION_NAMES


def test_strict_mode_turns_the_warnings_into_errors() -> None:
    from airflow.exceptions import RemovedInAirflow4Warning

    with warnings.catch_warnings():
        strict_deprecations()
        with pytest.raises(RemovedInAirflow4Warning):
            warnings.warn("old", RemovedInAirflow4Warning, stacklevel=1)
