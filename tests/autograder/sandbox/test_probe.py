"""The probe reads copied warehouses (autograder/sandbox/probe.py): each file attached read-only in
turn to one in-memory DuckDB, so a copy's WAL is read but never written back, and one unreadable
file spoils only its own answer. Real DuckDB, real `python -m autograder.sandbox.probe`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.corpus.build import REPO

SCHEMA = "airflow_grader"


def warehouse_copy(folder: Path, months: dict[str, int]) -> Path:
    """A copy taken as grading takes it: while the writer still has the file open, so the last
    writes are only in the copied WAL. `months`: rows per file month in raw_trips."""
    live = folder / "live" / "taxi.duckdb"
    live.parent.mkdir(parents=True)
    con = duckdb.connect(str(live))
    con.execute("SET wal_autocheckpoint = '1GB'")
    con.execute(f"CREATE SCHEMA {SCHEMA}")
    con.execute(
        f"CREATE TABLE {SCHEMA}.raw_trips (source_month DATE, lpep_pickup_datetime TIMESTAMP)"
    )
    for month, rows in months.items():
        con.execute(
            f"INSERT INTO {SCHEMA}.raw_trips SELECT DATE '{month}-01', "
            f"TIMESTAMP '{month}-01 10:00' + i * INTERVAL 1 MINUTE FROM range(?) t(i)",
            [rows],
        )
    copy = folder / "copy"
    copy.mkdir()
    for name in ("taxi.duckdb", "taxi.duckdb.wal"):
        shutil.copyfile(live.parent / name, copy / name)
    con.close()
    return copy / "taxi.duckdb"


def probe(requests: list[dict]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "autograder.sandbox.probe"],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def request(step: str, warehouse: Path | None) -> dict:
    return {"id": step, "warehouse": str(warehouse) if warehouse else None, "schema": SCHEMA}


def test_a_copy_with_its_wal_is_read_whole_and_left_as_it_was(tmp_path) -> None:
    copy = warehouse_copy(tmp_path, {"2024-01": 30, "2024-02": 12})
    wal = copy.with_name("taxi.duckdb.wal")
    assert wal.stat().st_size > 0  # the rows are only in the WAL: the test means something
    before = (copy.read_bytes(), wal.read_bytes())
    answer = probe([request("only", copy)])["only"]["warehouse"]
    raw = answer["tables"]["raw_trips"]
    assert answer["exists"] and "error" not in answer
    assert raw["rows"] == 42
    assert {m: n for m, (n, _) in raw["months"].items()} == {"2024-01": 30, "2024-02": 12}
    assert raw["columns"] == ["source_month", "lpep_pickup_datetime"]
    assert (copy.read_bytes(), wal.read_bytes()) == before


def test_each_answer_describes_its_own_file_and_a_bad_one_spoils_only_itself(tmp_path) -> None:
    first = warehouse_copy(tmp_path / "a", {"2024-03": 5})
    second = warehouse_copy(tmp_path / "b", {"2024-03": 5, "2024-04": 7})
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database, written by a student" * 100)
    answers = probe(
        [
            request("first", first),
            request("garbage", garbage),
            request("second", second),
            request("none", None),
        ]
    )
    assert answers["first"]["warehouse"]["tables"]["raw_trips"]["rows"] == 5
    assert "error" in answers["garbage"]["warehouse"]
    assert answers["garbage"]["warehouse"]["tables"] == {}
    assert answers["second"]["warehouse"]["tables"]["raw_trips"]["rows"] == 12
    assert answers["none"]["warehouse"] == {"exists": False, "schema_name": SCHEMA}
    # Same rows, same checksum: the fingerprint does not depend on which file was read first.
    one = answers["first"]["warehouse"]["tables"]["raw_trips"]["months"]["2024-03"]
    two = answers["second"]["warehouse"]["tables"]["raw_trips"]["months"]["2024-03"]
    assert one == two


def test_a_tables_totals_are_those_of_a_whole_table_scan(tmp_path) -> None:
    """Totals are summed from the per-month scan: rows without a month still count, an empty
    table sums to nothing, and a table without its month column is scanned whole."""
    from autograder.sandbox.probe import _hex, warehouse_facts

    path = tmp_path / "taxi.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE SCHEMA {SCHEMA}")
    con.execute(
        f"CREATE TABLE {SCHEMA}.raw_trips AS SELECT CASE WHEN i % 7 = 0 THEN NULL "
        "ELSE DATE '2024-01-01' + INTERVAL (i % 3) MONTH END AS source_month, i AS fare "
        "FROM range(100) t(i)"
    )
    con.execute(f"CREATE TABLE {SCHEMA}.fct_trips (trip_month DATE, fare INTEGER)")
    con.execute(f"CREATE TABLE {SCHEMA}.stg_trips AS SELECT i AS fare FROM range(9) t(i)")
    whole = {
        table: con.execute(f"SELECT count(*), sum(hash(t)) FROM {SCHEMA}.{table} AS t").fetchone()
        for table in ("raw_trips", "fct_trips", "stg_trips")
    }
    con.close()
    tables = warehouse_facts(str(path), SCHEMA)["tables"]
    for table, (rows, checksum) in whole.items():
        assert (tables[table]["rows"], tables[table]["checksum"]) == (rows, _hex(checksum)), table
    assert tables["raw_trips"]["months"]["None"][0] == 15  # the rows without a month
    assert sum(n for n, _ in tables["raw_trips"]["months"].values()) == 100
    assert tables["fct_trips"]["months"] == {}
    assert "months" not in tables["stg_trips"]  # no month column: no months
