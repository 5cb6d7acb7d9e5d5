"""The reference `dags/taxi_pipeline.py` as a module, for tests that call its helpers directly
(it lives in a DAG folder, not in a package)."""

from __future__ import annotations

import importlib.util
from functools import cache
from types import ModuleType

from tests.conftest import REPO


@cache
def reference_dag() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "taxi_pipeline_module", REPO / "dags" / "taxi_pipeline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
