"""The course-template profile's parts: choosing the profile, the dbt project, the `uvx` shim,
and the CDN's HTTPS stand-in with its throwaway CA (issue #13)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from autograder.errors import AutograderError
from autograder.inside.cdn import serve_cdn, tls_context
from autograder.inside.uvx import astro_paths, pointed_at, postgres_env, tool_and_args
from autograder.profiles import choose_profile
from autograder.profiles.cdn import CDN_HOST, hosts_text, make_certificates
from autograder.profiles.dbt_project import choose_dbt_project
from autograder.profiles.uvx_shim import write_shim
from taxi_source.server import serve_in_thread
from tests.corpus import build_submission
from tests.corpus.template_submissions import (
    TEMPLATE,
    TEMPLATE_SUBMISSIONS,
    build_template_submission,
)


def _shape(root: Path) -> tuple[list[str], object]:
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    return files, lambda relative: (root / relative).read_text()


@pytest.mark.parametrize("name", [TEMPLATE, *sorted(TEMPLATE_SUBMISSIONS)])
def test_template_submissions_are_detected(tmp_path: Path, name: str) -> None:
    choice = choose_profile("auto", *_shape(build_template_submission(name, tmp_path / name)))
    assert choice.profile == "template"
    assert "azure_pg connection" in choice.note and "detected" in choice.note


def test_the_plain_reference_stays_plain(tmp_path: Path) -> None:
    choice = choose_profile("auto", *_shape(build_submission("reference", tmp_path / "ref")))
    assert choice.profile == "plain"


def test_the_course_setting_wins_over_the_shape(tmp_path: Path) -> None:
    shape = _shape(build_template_submission(TEMPLATE, tmp_path / "t"))
    choice = choose_profile("plain", *shape)
    assert choice.profile == "plain" and "as the course asks" in choice.note
    with pytest.raises(AutograderError, match="course.toml"):
        choose_profile("astro", *shape)


def test_a_project_that_needs_dbt_deps_falls_back_to_the_courses(tmp_path: Path) -> None:
    root = build_template_submission(TEMPLATE, tmp_path / "t")
    choice = choose_dbt_project(*_shape(root))
    assert not choice.own
    assert "dbt deps" in choice.note and "no network" in choice.note
    (root / "include/dbt_project/packages.yml").unlink()
    for model in ("staging/stg_trips.sql", "marts/fct_trips.sql"):
        (root / "include/dbt_project/models" / model).parent.mkdir(parents=True, exist_ok=True)
        (root / "include/dbt_project/models" / model).write_text("select 1 as x\n")
    assert choose_dbt_project(*_shape(root)).own


def test_uvx_arguments_become_dbt_arguments() -> None:
    argv = ["--from", "dbt-core==1.10.*", "--with", "dbt-postgres==1.10.*", "dbt", "run", "-q"]
    assert tool_and_args(argv) == ("dbt", ["run", "-q"])
    moved = astro_paths(["--project-dir", "/usr/local/airflow/include/dbt_project"], "/s/sub")
    assert moved == ["--project-dir", "/s/sub/include/dbt_project"]
    course = pointed_at(["run", "--project-dir", "x", "--target", "azure"], "/course")
    assert course == ["run", "--project-dir", "/course", "--profiles-dir", "/course"] + [
        "--target",
        "postgres",
    ]
    env = postgres_env("postgres://role:p%40ss@%2Ftmp%2Fpg:5433/db1")
    assert env == {
        "PGHOST": "/tmp/pg",
        "PGPORT": "5433",
        "PGUSER": "role",
        "PGPASSWORD": "p@ss",
        "PGDATABASE": "db1",
    }


def test_the_shim_runs_the_installed_dbt_offline(tmp_path: Path) -> None:
    shim = write_shim(tmp_path / "bin")
    env = {"PATH": f"{shim.parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["uvx", "--from", "dbt-core==1.10.*", "--with", "dbt-postgres==1.10.*", "dbt", "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "postgres" in done.stdout  # the adapter the template asks for is installed
    other = subprocess.run(["uvx", "ruff"], env=env, capture_output=True, text=True, timeout=60)
    assert other.returncode == 127 and "runs only dbt" in other.stderr


def _get_over_tls(port: int, ca_file: Path | None, path: str) -> bytes:
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname=CDN_HOST) as tls,
    ):
        tls.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {CDN_HOST}\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = []
        while chunk := tls.recv(1 << 16):
            chunks.append(chunk)
    return b"".join(chunks)


def test_the_cdn_stand_in_serves_the_source_over_https(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path / "public", tmp_path / "private")
    assert oct(os.stat(certs.key_file).st_mode & 0o777) == "0o600"
    assert f"127.0.0.1\t{CDN_HOST}" in hosts_text()
    source = serve_in_thread(latest_month="2025-06")
    cdn = serve_cdn(source, tls_context(str(certs.cert_file), str(certs.key_file)), port=0)
    try:
        source.set_faults({"2024-02": {"transient": 1}})
        path = "/trip-data/green_tripdata_2024-02.parquet"
        first = _get_over_tls(cdn.port, certs.ca_file, path)
        assert first.startswith(b"HTTP/1.0 503") or first.startswith(b"HTTP/1.1 503")
        answer = _get_over_tls(cdn.port, certs.ca_file, path)
        body = answer.split(b"\r\n\r\n", 1)[1]
        (tmp_path / "month.parquet").write_bytes(body)
        assert pq.read_table(tmp_path / "month.parquet").num_rows > 0
        # the same request log as the plain source: the checks read it whichever URL was used
        assert [r["status"] for r in source.requests("2024-02")] == [503, 200]
        with pytest.raises(ssl.SSLCertVerificationError):
            _get_over_tls(cdn.port, None, path)  # the system's CAs do not vouch for it
    finally:
        cdn.stop()
        source.stop()


def test_template_hints_name_real_checks_in_the_templates_words() -> None:
    from autograder.checks.registry import all_checks
    from autograder.profiles.hints import TEMPLATE_HINTS, hint_for

    checks = all_checks()
    assert set(TEMPLATE_HINTS) <= set(checks), set(TEMPLATE_HINTS) - set(checks)
    for check_id, hint in TEMPLATE_HINTS.items():
        check = checks[check_id]
        assert hint_for(check, "template") == hint != check.hint
        assert hint_for(check, "plain") == check.hint
        assert "workbook " not in hint and "DuckDB" not in hint, check_id
    # A check the template says nothing special about keeps its one hint in both profiles.
    kept = checks["integrity_no_cycles"]
    assert hint_for(kept, "template") == kept.hint
