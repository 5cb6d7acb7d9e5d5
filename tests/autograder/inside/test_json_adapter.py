"""Rendered template fields checked by one shared JSON validator (autograder.inside.json_adapter):
the task runner serialises a task's fields as before, builds the `JsonValue` adapter once instead
of once per field, and every other type still gets an adapter of its own."""

from __future__ import annotations

import json

from autograder.inside.json_adapter import sharing
from tests.autograder.helpers import run_python

_SNIPPET = """
import json
from pydantic import JsonValue, TypeAdapter, ValidationError

built = []
original_init = TypeAdapter.__init__


def counting(self, type_, *args, **kwargs):
    built.append(type_ is JsonValue)
    return original_init(self, type_, *args, **kwargs)


TypeAdapter.__init__ = counting
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk.execution_time import task_runner

from autograder.inside import json_adapter

task = BashOperator(task_id="t", bash_command="echo {{ ds }}", env={"MONTH": "2024-03"}, cwd="/tmp")
before = task_runner._serialize_rendered_fields(task)
report = {"builds before": built.count(True)}
assert json_adapter.install() and json_adapter.install()  # twice: wrapped once
built.clear()
after = [task_runner._serialize_rendered_fields(task) for _ in range(3)]
report["same fields"] = all(fields == before for fields in after)
report["fields"] = sorted(before)
report["builds after"] = built.count(True)
report["int"] = task_runner.TypeAdapter(int).validate_python("3")
try:
    task_runner.TypeAdapter(JsonValue).validate_python({"x": object()})
    report["not json"] = "accepted"
except ValidationError:
    report["not json"] = "rejected"
report["other builds"] = built.count(False)
print(json.dumps(report))
"""


def test_the_task_runner_builds_one_json_adapter_and_serialises_fields_as_before() -> None:
    report = json.loads(run_python(_SNIPPET).stdout.splitlines()[-1])
    assert report["builds before"] == len(report["fields"]) >= 3  # one per field, per task
    assert report["same fields"] is True
    assert report["builds after"] == 1
    assert report["int"] == 3
    assert report["not json"] == "rejected"
    assert report["other builds"] == 1  # the int adapter: built as before


def test_only_the_shared_type_without_options_is_shared() -> None:
    made: list[tuple] = []

    def build(type_, *args, **kwargs):
        made.append((type_, args, kwargs))
        return object()

    adapter = sharing(build, dict)
    assert adapter(dict) is adapter(dict)
    assert adapter(list) is not adapter(list)
    assert adapter(dict, config={"strict": True}) is not adapter(dict)
    assert made == [
        (dict, (), {}),
        (list, (), {}),
        (list, (), {}),
        (dict, (), {"config": {"strict": True}}),
    ]
