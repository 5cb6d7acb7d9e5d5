"""Airflow 3 idiom checks on edited copies of the reference DAG (`corpus.UNIT_TESTED`)."""

from __future__ import annotations

import pytest

from tests.autograder.helpers import (
    context,
    run_check,
    with_dag,
)


@pytest.mark.parametrize(
    "old, new, word",
    [
        ('    schedule="@monthly",\n', '    schedule_interval="@monthly",\n', "schedule_interval"),
        (
            "        month = _run_month()\n        schema",
            '        month = _run_month()\n        log.info("%s", get_current_context().get'
            '("execution_date"))\n        schema',
            "execution_date",
        ),
        ('    tags=["week11"', '    params_doc="{{ prev_ds }}",\n    tags=["week11"', "prev_ds"),
    ],
)
def test_removed_features_are_found(tmp_path, old, new, word) -> None:
    outcome = run_check("airflow3_no_removed_features", context(tmp_path, with_dag(old, new)))
    assert outcome.fraction == 0
    assert word in outcome.output
