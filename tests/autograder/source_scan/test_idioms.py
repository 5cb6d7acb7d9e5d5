"""Airflow 2 idioms: removed words count in code only, not in docstrings or comments."""

from __future__ import annotations

from tests.autograder.helpers import (
    scan,
    with_dag,
)


def test_removed_words_in_docstrings_and_comments_are_fine() -> None:
    source = with_dag('"""\n### taxi_pipeline', '"""\nNo execution_date here.\n### taxi_pipeline')
    source = source.replace("import json\n", "import json  # not schedule_interval\n")
    assert scan(source).removed_words == []
