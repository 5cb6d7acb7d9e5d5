"""Which DAG the harness grades (fast, no Airflow): the DAG file's only DAG whatever its id, so
a wrong or prefixed id costs only the id check; the contract's id when the file has several."""

from __future__ import annotations

import pytest

from autograder.inside.harness import choose_dag


@pytest.mark.parametrize(
    "by_file, chosen",
    [
        ({"taxi_pipeline.py": ["taxi_pipeline"]}, "taxi_pipeline"),
        ({"taxi_pipeline.py": ["ada_taxi_pipeline"]}, "ada_taxi_pipeline"),
        ({"taxi_pipeline.py": ["my_pipeline"]}, "my_pipeline"),
        ({"taxi_pipeline.py": ["taxi_pipeline", "debug"]}, "taxi_pipeline"),
        ({"taxi_pipeline.py": ["ada_taxi_pipeline", "debug"]}, "ada_taxi_pipeline"),
        ({"taxi_pipeline.py": ["one", "two"]}, None),
        ({"taxi_pipeline.py": [], "other.py": ["taxi_pipeline"]}, "taxi_pipeline"),
        ({"other.py": ["my_pipeline"]}, None),
        ({}, None),
    ],
)
def test_the_dag_to_grade(by_file: dict[str, list[str]], chosen: str | None) -> None:
    loaded = {dag_id for ids in by_file.values() for dag_id in ids}
    assert choose_dag(by_file, loaded) == chosen
