"""A DAG param's JSON schema is checked against JSON Schema's meta-schema once, not on every use.

Airflow validates a DAG's params with `jsonschema.validate` each time it resolves them: when
`dag.test()` serialises the DAG, when it builds each task's context, and so on (~50 times per
run of a DAG with one param). `jsonschema.validate` first checks the *schema* against its
meta-schema, 0.19 of its 0.20 ms, although a DAG's schemas do not change between runs.

`install()` remembers, per validator class, the schemas (by their JSON text) that passed that
check. A schema that fails it is checked, and rejected, every time as before; one that is not
JSON is checked every time. The instance itself is validated every time. Used by the harness
and by the warm start the workbook shares.
"""

from __future__ import annotations

import json
from typing import Any

_MAX_REMEMBERED = 1024
_passed: set[tuple[type, str]] = set()


def install() -> bool:
    """Check each param schema once; True when installed (now or before)."""
    try:
        import jsonschema
        from jsonschema import exceptions, validators
    except ImportError:
        return False
    if getattr(jsonschema.validate, "_remembering", False):
        return True

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        # jsonschema.validate, with the schema's own check remembered.
        if cls is None:
            cls = validators.validator_for(schema)
        check_schema_once(cls, schema)
        validator = cls(schema, *args, **kwargs)
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    validate._remembering = True  # type: ignore[attr-defined]
    validate.__doc__ = jsonschema.validate.__doc__
    jsonschema.validate = validate
    validators.validate = validate
    return True


def check_schema_once(cls: Any, schema: Any) -> None:
    try:
        key = (cls, json.dumps(schema, sort_keys=True))
    except (TypeError, ValueError):
        cls.check_schema(schema)  # not JSON: nothing to remember it by
        return
    if key in _passed:
        return
    cls.check_schema(schema)  # raises SchemaError for a wrong schema, which is not remembered
    if len(_passed) >= _MAX_REMEMBERED:
        _passed.clear()
    _passed.add(key)
