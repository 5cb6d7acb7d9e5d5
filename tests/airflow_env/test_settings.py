"""One set of Airflow settings: what `configure()` sets, what the sandbox gets, what make and a
shell export, and that the package needs nothing but the standard library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_env import settings
from airflow_env.__main__ import make_words, shell_lines
from tests.conftest import REPO

SETTING_KEYS = (settings.HOME_ENV, settings.DAGS_FOLDER_ENV, settings.DATABASE_ENV)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No Airflow setting in the environment; monkeypatch puts the test process's back."""
    for key in (*SETTING_KEYS, *settings.COURSE_DEFAULTS):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_configure_points_airflow_at_the_home_and_applies_the_course_defaults(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = settings.configure(home=tmp_path / "home", dags_folder=tmp_path / "dags")
    assert home == (tmp_path / "home").resolve() and home.is_dir()
    assert os.environ["AIRFLOW_HOME"] == str(home)
    assert os.environ["AIRFLOW__CORE__DAGS_FOLDER"] == str(tmp_path / "dags")
    assert os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{home}/airflow.db"
    for key, value in settings.COURSE_DEFAULTS.items():
        assert os.environ[key] == value, key


def test_what_the_environment_already_says_wins_over_the_defaults(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("AIRFLOW__CORE__PARALLELISM", "8")
    clean_env.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://class/airflow")
    settings.configure(home=tmp_path)
    assert os.environ["AIRFLOW__CORE__PARALLELISM"] == "8"
    assert os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql://class/airflow"


def test_without_arguments_the_home_comes_from_the_environment_or_the_checkout(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert settings.default_home() == REPO / ".airflow"
    assert settings.default_dags_folder() == REPO / "dags"
    clean_env.setenv("AIRFLOW_HOME", str(tmp_path))
    assert settings.configure() == tmp_path.resolve()


def test_the_course_lowers_airflows_laptop_unfriendly_defaults() -> None:
    assert settings.COURSE_DEFAULTS["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert settings.COURSE_DEFAULTS["AIRFLOW__CORE__PARALLELISM"] == "4"
    assert settings.COURSE_DEFAULTS["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "utc"
    with pytest.raises(TypeError):
        settings.COURSE_DEFAULTS["AIRFLOW__CORE__PARALLELISM"] = "32"  # type: ignore[index]


def test_environment_is_everything_a_process_started_from_scratch_needs(tmp_path: Path) -> None:
    env = settings.environment(tmp_path / "airflow", tmp_path / "dags")
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(tmp_path / "dags")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path}/airflow/airflow.db"
    assert settings.COURSE_DEFAULTS.items() <= env.items()


def test_make_gets_the_checkouts_locations_and_the_defaults_as_defaults() -> None:
    words = make_words()
    assert f"AIRFLOW_HOME:={REPO / '.airflow'}" in words
    assert f"AIRFLOW__CORE__DAGS_FOLDER:={REPO / 'dags'}" in words
    for key, value in settings.COURSE_DEFAULTS.items():
        assert f"{key}?={value}" in words


def test_shell_lines_can_be_evaluated(tmp_path: Path) -> None:
    script = "\n".join(shell_lines()) + '\necho "$AIRFLOW_HOME|$AIRFLOW__CORE__PARALLELISM"'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"{REPO / '.airflow'}|4"


def test_the_makefile_exports_the_same_settings(tmp_path: Path) -> None:
    probe = tmp_path / "probe.mk"
    probe.write_text(f"include {REPO / 'Makefile'}\nprint-env:\n\t@env\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW__CORE__PARALLELISM"] = "8"  # a teacher's own choice
    env["AIRFLOW_HOME"] = str(tmp_path)  # make always uses the checkout's home
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(REPO), "-f", str(probe), "print-env"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    exported = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert exported["AIRFLOW_HOME"] == str(REPO / ".airflow")
    assert exported["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO / "dags")
    assert exported["AIRFLOW__CORE__PARALLELISM"] == "8"
    for key, value in settings.COURSE_DEFAULTS.items():
        if key != "AIRFLOW__CORE__PARALLELISM":
            assert exported.get(key) == value, key


def test_the_package_imports_neither_the_workbook_nor_airflow() -> None:
    code = (
        "import sys, airflow_env.settings, airflow_env.logs, airflow_env.__main__\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('workbook', 'airflow')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
