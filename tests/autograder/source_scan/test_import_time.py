"""Work done when the DAG file is imported is found; work inside tasks is not import time."""

from __future__ import annotations

import pytest

from tests.autograder.helpers import (
    REFERENCE_DAG,
    scan,
    with_dag,
)


@pytest.mark.parametrize(
    "top_level, found",
    [
        ('CON = duckdb.connect("x.duckdb")', "connect"),
        ("ROWS = Path('rows.csv').read_text()", "read_text"),
        ('URL = Variable.get("taxi_url")', "Variable.get"),
        ("import requests\nDATA = requests.get('http://x')", "requests.get"),
        ("def load():\n    return open('x').read()\n\nDATA = load()", "open"),
        ("while True:\n    pass", "while True"),
    ],
)
def test_import_time_work_is_found(top_level, found) -> None:
    source = with_dag(
        "log = logging.getLogger(__name__)\n", f"log = logging.getLogger(__name__)\n{top_level}\n"
    )
    facts = scan(source)
    assert any(found in f.text for f in facts.import_time_io), facts.import_time_io


def test_work_inside_tasks_is_not_import_time() -> None:
    assert scan(REFERENCE_DAG).import_time_io == []
