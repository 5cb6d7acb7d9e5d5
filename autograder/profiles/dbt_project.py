"""Which dbt project a template submission's `uvx ... dbt` runs on, and the note saying why.

The student's own `include/dbt_project/` when it can build offline; otherwise the course's
project (`include/taxi_dbt/`, its `postgres` target), so the pipeline is still graded. What
stops the student's project from building offline is said in the template's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from autograder.profiles.choice import TEMPLATE_DBT_DIR

_PACKAGE_FILES = ("packages.yml", "dependencies.yml")
_MODELS = ("stg_trips", "fct_trips")


@dataclass(frozen=True)
class DbtProjectChoice:
    own: bool  # True: the student's include/dbt_project/
    why: str

    @property
    def note(self) -> str:
        if self.own:
            return f"dbt ran on your own project ({TEMPLATE_DBT_DIR}): {self.why}"
        return f"dbt ran on the course's project instead of yours ({TEMPLATE_DBT_DIR}): {self.why}"


def choose_dbt_project(files: Iterable[str], read: Callable[[str], str]) -> DbtProjectChoice:
    """The student's project if it has what an offline build needs, else the course's."""
    files = set(files)
    inside = {f[len(TEMPLATE_DBT_DIR) :] for f in files if f.startswith(TEMPLATE_DBT_DIR)}
    if "dbt_project.yml" not in inside:
        return DbtProjectChoice(False, f"there is no {TEMPLATE_DBT_DIR}dbt_project.yml")
    if "profiles.yml" not in inside:
        return DbtProjectChoice(
            False,
            f"there is no {TEMPLATE_DBT_DIR}profiles.yml reading the azure_pg connection's "
            "fields from the environment",
        )
    for name in _PACKAGE_FILES:
        if name in inside and re.search(
            r"^\s*-\s*(package|git|local)\s*:", read(TEMPLATE_DBT_DIR + name), re.M
        ):
            return DbtProjectChoice(
                False,
                f"its {name} needs `dbt deps`, which downloads packages, and the grading "
                "sandbox has no network",
            )
    models = [m for m in _MODELS if not any(f.endswith(f"/{m}.sql") for f in inside)]
    if models:
        return DbtProjectChoice(False, f"it has no model {', '.join(models)}")
    return DbtProjectChoice(True, "it builds offline (no packages to download)")
