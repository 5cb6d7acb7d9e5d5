"""assignment/nbgrader_config.py: every option is one nbgrader knows, and says what we mean."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from course.layout import Course
from course.nbapi import load_config
from course.students import student_config
from tests.conftest import REPO

COURSE = Course(REPO / "assignment")


@pytest.fixture(scope="module")
def config():
    return load_config(COURSE)


def _configurable_classes() -> dict[str, type]:
    from nbgrader.apps.nbgraderapp import NbGraderApp
    from nbgrader.exchange import default

    classes = {cls.__name__: cls for cls in NbGraderApp().all_configurable_classes()}
    # nbgrader lists the abstract Exchange classes; what runs (and is configured) is the default
    # exchange, whose classes add options such as `root`.
    classes |= {name: getattr(default, name) for name in default.__all__}
    return classes


def test_every_section_names_an_nbgrader_class(config) -> None:
    known = _configurable_classes()
    unknown = sorted(section for section in config if section not in known)
    assert not unknown, f"nbgrader_config.py configures classes nbgrader does not have: {unknown}"


def unrecognized(config) -> list[str]:
    """The "not recognized" warnings each configured nbgrader class logs for this config."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    known = _configurable_classes()
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "not recognized" in record.getMessage():
                found.append(record.getMessage())

    log = logging.getLogger("course-config-check")
    log.addHandler(handler := Collect())
    try:
        for section in list(config):
            kwargs = {"config": config, "log": log}
            if section.startswith("Exchange"):
                kwargs |= {
                    "coursedir": CourseDirectory(config=config),
                    "authenticator": Authenticator(),
                }
            known[section](**kwargs)
    finally:
        log.removeHandler(handler)
    return found


def test_no_option_is_unrecognized(config) -> None:
    """traitlets only *warns* about a misspelt option; here that is a failure."""
    assert unrecognized(config) == []


def test_a_misspelt_option_would_be_caught(tmp_path: Path) -> None:
    (tmp_path / "nbgrader_config.py").write_text(
        COURSE.config_file.read_text() + "\nc.Exchange.rooot = '/tmp/x'\n"
    )
    found = unrecognized(load_config(Course(tmp_path)))
    assert any("rooot" in message for message in found), found


def test_the_course_lives_in_the_folder_of_the_config(config) -> None:
    assert config.CourseDirectory.root == str(COURSE.root)
    assert config.CourseDirectory.course_id == "week11"
    assert config.Exchange.root == str(COURSE.exchange)
    assert config.CourseDirectory.db_url == COURSE.db_url
    assert config.Execute.timeout >= 120
    assert config.ExportApp.plugin_class == "course.export.GradesCsvExport"


def test_autograde_keeps_the_students_work_and_restores_the_public_tests(config) -> None:
    kept = set(config.Autograde.exclude_overwriting["taxi_pipeline"])
    assert {"dags/taxi_pipeline.py", "RUNBOOK.md", "ASSIGNMENT_REPORT.md", "AI_ASSIST.md"} <= kept
    assert "include/taxi_dbt/models/staging/stg_trips.sql" in kept
    assert not any(name.startswith("tests/") for name in kept)


def test_what_running_the_pipeline_leaves_behind_is_not_handed_in(config) -> None:
    ignored = set(config.CourseDirectory.ignore)
    assert {"warehouse", ".airflow", "target", "logs", "*.duckdb"} <= ignored


def test_starter_text_says_fill_in(config) -> None:
    assert "fill in" in config.ClearSolutions.code_stub["python"]
    assert "TODO" not in config.ClearSolutions.code_stub["python"] + config.ClearSolutions.text_stub


def test_the_student_config_points_at_the_same_exchange(tmp_path: Path) -> None:
    (tmp_path / "nbgrader_config.py").write_text(student_config(COURSE))
    cfg = load_config(Course(tmp_path))
    assert cfg.Exchange.root == str(COURSE.exchange)
    assert cfg.CourseDirectory.course_id == "week11"
    assert unrecognized(cfg) == []


def test_the_teacher_readme_lists_every_check_under_its_tier() -> None:
    """If this fails, the autograder's checks or tiers changed: update docs/assignment.md."""
    from course.autograder_link import registry

    rows = {
        line.split("|")[1].split("(")[0].strip().lower(): line
        for line in (REPO / "docs" / "assignment.md").read_text().splitlines()
        if line.startswith(("| Minimum (", "| Target (", "| Stretch ("))
    }
    for check in registry():
        assert f"`{check.id}`" in rows[check.tier], f"{check.id} is not in the {check.tier} row"


def test_the_grading_profile_is_read_and_checked(tmp_path) -> None:
    """course.toml [autograder] profile: plain, template or auto; anything else names the key."""
    import shutil

    from course.errors import CourseError
    from course.settings import load_settings

    root = tmp_path / "course"
    shutil.copytree(REPO / "assignment", root, ignore=shutil.ignore_patterns("source"))
    assert load_settings(root).autograder.profile == "auto"
    toml = root / "course.toml"
    toml.write_text(toml.read_text().replace('profile = "auto"', 'profile = "astro"'))
    with pytest.raises(CourseError, match="profile"):
        load_settings(root)
