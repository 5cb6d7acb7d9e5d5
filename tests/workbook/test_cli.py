"""The `workbook` command: help, errors as messages, and a real run through the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from workbook.cli import app

cli = CliRunner()


def test_help_lists_the_commands() -> None:
    result = cli.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("source", "run", "backfill", "demo", "ui", "init"):
        assert command in result.output


def test_unknown_dag_is_a_message_not_a_traceback(pipeline_env) -> None:
    result = cli.invoke(app, ["run", "no_such_dag", "--date", "2024-01-01"])
    assert result.exit_code == 1
    assert "No DAG 'no_such_dag'" in result.output
    assert "Traceback" not in result.output


def test_bad_fault_json_is_explained() -> None:
    result = cli.invoke(app, ["source", "serve", "--port", "0", "--faults", "{2024"])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output


@pytest.mark.slow
def test_run_prints_the_task_states(pipeline_env) -> None:
    result = cli.invoke(app, ["run", "taxi_pipeline", "--date", "2024-02-01"])
    assert result.exit_code == 0, result.output
    assert "taxi_pipeline @ 2024-02-01" in result.output and "SUCCESS" in result.output
    failed = cli.invoke(
        app, ["run", "taxi_pipeline", "--date", "2025-12-01", "--log", "ingest_taxi_month"]
    )
    assert failed.exit_code == 1
    assert "not published" in failed.output
