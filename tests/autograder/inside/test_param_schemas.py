"""A param's JSON schema checked once (autograder.inside.param_schemas): a schema that passed its
check is not checked again, a wrong schema is rejected every time, every value is still
validated, and Airflow's own `Param` resolves and rejects values as before."""

from __future__ import annotations

import json

from tests.autograder.helpers import run_python

_SNIPPET = """
import json
import jsonschema
from jsonschema import Draft202012Validator
from autograder.inside import param_schemas

checked = []
original = Draft202012Validator.check_schema.__func__


def counting(cls, schema, *args, **kwargs):
    checked.append(json.dumps(schema, sort_keys=True))
    return original(cls, schema, *args, **kwargs)


Draft202012Validator.check_schema = classmethod(counting)
assert param_schemas.install() and param_schemas.install()  # twice: wrapped once
schema = {"type": "integer", "minimum": 1}


def outcome(value, schema):
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as err:
        return "invalid: " + err.message
    except jsonschema.SchemaError:
        return "wrong schema"
    return "valid"


report = {
    "values": [outcome(v, schema) for v in (3, 0, 5, "x")],
    "same schema, new dict": outcome(2, {"minimum": 1, "type": "integer"}),
    "checks of the good schema": len(checked),
    "wrong schema": [outcome(1, {"type": 12}) for _ in range(3)],
    "checks in all": len(checked),
}
from airflow.sdk import Param
from airflow.sdk.exceptions import ParamValidationError

month = Param(None, type=["null", "string"], pattern="^[0-9]{4}-[0-9]{2}$")
report["param"] = [month.resolve("2024-03"), month.resolve(None)]
try:
    month.resolve("March")
except ParamValidationError:
    report["param"].append("rejected")
print(json.dumps(report))
"""


def test_a_schema_is_checked_once_and_values_every_time() -> None:
    report = json.loads(run_python(_SNIPPET).stdout.splitlines()[-1])
    assert report["values"] == [
        "valid",
        "invalid: 0 is less than the minimum of 1",
        "valid",
        "invalid: 'x' is not of type 'integer'",
    ]
    assert report["same schema, new dict"] == "valid"
    assert report["checks of the good schema"] == 1
    assert report["wrong schema"] == ["wrong schema"] * 3
    assert report["checks in all"] == 1 + 3
    assert report["param"] == ["2024-03", None, "rejected"]
