"""Read-side helpers for the DuckDB warehouse: row counts per month and content checksums.

A checksum is order-independent (a sum of per-row hashes), so two warehouses that hold the
same rows compare equal whatever order the months were loaded in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from workbook import paths


def schema_name(student: str = "default") -> str:
    return f"airflow_{student}"


@contextlib.contextmanager
def connect(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection: DuckDB lets one process at a time write the file."""
    target = path or paths.warehouse_path()
    if not target.exists():
        raise FileNotFoundError(
            f"No warehouse at {target} yet: run the pipeline for a month first."
        )
    con = duckdb.connect(str(target))
    try:
        yield con
    finally:
        con.close()


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def month_counts(path: Path | None = None, schema: str = "airflow_default") -> dict[str, int]:
    """Rows of raw_trips per source month, e.g. {'2024-01': 2426, ...}."""
    with connect(path) as con:
        if not has_table(con, schema, "raw_trips"):
            return {}
        rows = con.execute(
            f"SELECT strftime(source_month, '%Y-%m'), count(*) FROM {schema}.raw_trips "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    return {month: int(count) for month, count in rows}


def table_fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[int, str]:
    """(row count, checksum) of a table; the checksum ignores row order."""
    if not has_table(con, schema, table):
        return 0, "missing"
    count, checksum = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {schema}.{table} AS t"
    ).fetchone()
    return int(count), f"{int(checksum) & 0xFFFFFFFFFFFFFFFF:016x}"


def fingerprint(
    path: Path | None = None,
    schema: str = "airflow_default",
    tables: tuple[str, ...] = ("raw_trips", "stg_trips", "fct_trips"),
) -> dict[str, tuple[int, str]]:
    with connect(path) as con:
        return {table: table_fingerprint(con, schema, table) for table in tables}
