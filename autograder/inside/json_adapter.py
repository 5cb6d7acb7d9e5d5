"""A task's rendered template fields checked by one JSON validator, built once.

After each task, Airflow's task runner sends the task's rendered template fields to the API
server, and first checks that each one is JSON with `TypeAdapter(JsonValue).validate_python()`,
building a new `TypeAdapter` for every field of every task (`_serialize_rendered_fields`).
Building one (pydantic's schema and validator for `JsonValue`) costs far more than the check:
~1% of a graded harness's CPU (py-spy), for ~250 identical adapters per submission.

`install()` gives the task runner a `TypeAdapter` that hands back one shared adapter for
`JsonValue` alone; any other type, or any option, builds a new one as before. A `TypeAdapter`
does not change once built, and its validator is safe to share between threads, so each field is
checked exactly as before. Used by the harness and by the warm start the workbook shares.
"""

from __future__ import annotations

from typing import Any


def install() -> bool:
    """Share the task runner's `JsonValue` adapter; True when installed (now or before)."""
    try:
        from airflow.sdk.execution_time import task_runner
        from pydantic import JsonValue, TypeAdapter
    except ImportError:
        return False
    if getattr(task_runner.TypeAdapter, "_sharing", False):
        return True
    if task_runner.TypeAdapter is not TypeAdapter:
        return False  # someone else's replacement: leave it
    task_runner.TypeAdapter = sharing(TypeAdapter, JsonValue)
    return True


def sharing(build: Any, shared_type: Any) -> Any:
    """`build` (pydantic's `TypeAdapter`), except that `shared_type` alone, without options,
    gets one adapter for all callers, built on first use."""
    shared: list[Any] = []

    def type_adapter(type_: Any, *args: Any, **kwargs: Any) -> Any:
        if type_ is not shared_type or args or kwargs:
            return build(type_, *args, **kwargs)
        if not shared:
            shared.append(build(type_))
        return shared[0]

    type_adapter._sharing = True  # type: ignore[attr-defined]
    return type_adapter
