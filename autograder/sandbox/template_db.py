"""The empty Airflow metadata DB every sandbox starts from, made once per Airflow version.

Parent side: trusted code, no DAGs parsed, no student code anywhere near it. It runs in a process
of its own (`python -m autograder.sandbox.template_db DIR`) because Airflow reads its settings
from the environment once, at import, and the grading process must not become an Airflow
process with this folder as its home. Each sandbox then gets a copy (`session.Sandbox.prepare`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from airflow_env import settings as airflow_settings


def make_template(folder: Path) -> None:
    """Create an empty Airflow metadata DB in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.update(airflow_settings.environment(folder, folder / "no-dags"))
    from airflow.utils import db

    db.initdb()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox.template_db")
    parser.add_argument("folder", type=Path)
    make_template(parser.parse_args(argv).folder)


if __name__ == "__main__":
    main()
