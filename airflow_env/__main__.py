"""Print the course's Airflow settings for a shell or for make.

    eval "$(python -m airflow_env)"         # this shell now uses the checkout's Airflow
    python -m airflow_env --format make     # what the Makefile exports (one word per setting)

The locations are the checkout's (`.airflow/`, `dags/`), as `make` has always used; the course
defaults are only defaults: for make, a value already in the environment wins.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

from airflow_env.settings import (
    COURSE_DEFAULTS,
    DAGS_FOLDER_ENV,
    HOME_ENV,
    repo_dags_folder,
    repo_home,
)


def locations() -> dict[str, str]:
    return {HOME_ENV: str(repo_home()), DAGS_FOLDER_ENV: str(repo_dags_folder())}


def shell_lines() -> list[str]:
    settings = {**locations(), **COURSE_DEFAULTS}
    return [f"export {key}={shlex.quote(value)}" for key, value in settings.items()]


def make_words() -> list[str]:
    """`NAME:=value` for the locations, `NAME?=value` for the defaults (the environment wins).

    make splits `$(shell ...)` output on whitespace, so a value with a space cannot pass.
    """
    words = [f"{key}:={value}" for key, value in locations().items()]
    words += [f"{key}?={value}" for key, value in COURSE_DEFAULTS.items()]
    spaced = [word for word in words if any(c.isspace() for c in word)]
    if spaced:
        raise SystemExit(
            f"make cannot export a setting with a space in it: {spaced[0]}. "
            "Move the checkout to a path without spaces."
        )
    return words


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airflow_env", description=__doc__)
    parser.add_argument("--format", choices=("shell", "make"), default="shell")
    args = parser.parse_args(argv)
    lines = make_words() if args.format == "make" else shell_lines()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
