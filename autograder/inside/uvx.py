"""Inside a template sandbox: what `uvx --from 'dbt-core==1.10.*' --with ... dbt ARGS` runs.

The course's template calls dbt through `uvx`, which would download dbt from PyPI; the sandbox
has no network, so the `uvx` on its PATH (`autograder.profiles.uvx_shim`) runs this instead:
the dbt installed next to the grader, with the same arguments. When the grader chose the
course's dbt project (the student's cannot build offline), `AUTOGRADER_DBT_PROJECT` names it and
dbt is pointed there, at its `postgres` target, with the `azure_pg` connection's fields.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

# uvx's own options that take a value; they choose packages, which are already installed here.
_WITH_VALUE = {"--from", "--with", "--python", "-p", "--with-requirements", "--index-url"}
_DIR_OPTIONS = ("--project-dir", "--profiles-dir")
# Where an Astro image keeps the project; inside the sandbox the submission's copy is there.
ASTRO_ROOTS = ("/usr/local/airflow", "/opt/airflow")


def tool_and_args(argv: list[str]) -> tuple[str | None, list[str]]:
    """Split `uvx [uvx options] TOOL ARGS` into (TOOL, ARGS)."""
    skip = False
    for index, word in enumerate(argv):
        if skip:
            skip = False
        elif word in _WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            return word, argv[index + 1 :]
    return None, []


def astro_paths(args: list[str], root: str) -> list[str]:
    """`args` with Astro project paths (`/usr/local/airflow/...`) moved to `root`."""
    out = []
    for word in args:
        for astro in ASTRO_ROOTS:
            if word == astro or word.startswith(astro + "/"):
                word = root + word[len(astro) :]
                break
            if word.startswith(tuple(f"{o}={astro}" for o in _DIR_OPTIONS)):
                option, value = word.split("=", 1)
                word = f"{option}={root}{value[len(astro) :]}"
                break
        out.append(word)
    return out


def pointed_at(args: list[str], project: str) -> list[str]:
    """dbt `args` with the project and profiles folders replaced by `project`."""
    out: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word in _DIR_OPTIONS:
            skip = True
            continue
        if word.startswith(tuple(f"{o}=" for o in _DIR_OPTIONS)):
            continue
        if word == "--target" or word.startswith("--target="):
            skip = word == "--target"
            continue
        out.append(word)
    return [*out, "--project-dir", project, "--profiles-dir", project, "--target", "postgres"]


def postgres_env(uri: str) -> dict[str, str]:
    """PG* variables (what the course's profile reads) from an Airflow connection URI."""
    parts = urlsplit(uri)
    return {
        "PGHOST": unquote(parts.hostname or ""),
        "PGPORT": str(parts.port or 5432),
        "PGUSER": unquote(parts.username or ""),
        "PGPASSWORD": unquote(parts.password or ""),
        "PGDATABASE": parts.path.lstrip("/"),
    }


def main(argv: list[str] | None = None) -> None:
    tool, args = tool_and_args(list(sys.argv[1:] if argv is None else argv))
    if tool != "dbt":
        print(
            f"uvx in the grading sandbox runs only dbt (offline, already installed); "
            f"asked for: {tool or 'nothing'}",
            file=sys.stderr,
        )
        sys.exit(127)
    if root := os.environ.get("AUTOGRADER_ASTRO_ROOT"):
        args = astro_paths(args, root)
    course_project = os.environ.get("AUTOGRADER_DBT_PROJECT")
    if course_project:
        args = pointed_at(args, course_project)
        os.environ.update(postgres_env(os.environ.get("AIRFLOW_CONN_AZURE_PG", "")))
        os.environ["TAXI_DBT_TARGET"] = "postgres"
    installed = Path(sys.executable).parent
    # The harness's warm dbt (warm_dbt.py) when it serves one: its `dbt` is first on PATH and
    # falls back to the installed dbt, which PATH must then hold too.
    os.environ["PATH"] = f"{os.environ.get('PATH', '')}{os.pathsep}{installed}"
    warm = shutil.which("dbt") if os.environ.get("AUTOGRADER_DBT_SOCKET") else None
    dbt = warm or str(installed / "dbt")
    if not os.access(dbt, os.X_OK):
        print(f"uvx in the grading sandbox: no dbt installed at {dbt}", file=sys.stderr)
        sys.exit(127)
    os.execv(dbt, [dbt, *args])


if __name__ == "__main__":
    main()
