"""Read copied warehouses and metadata DBs, in a short-lived process of its own.

Parent side, and part of the sandbox package: this is the last step of turning what a sandbox
left behind into evidence. `session.Sandbox.collect` copied the files out after each step; they
were written by student code, so they are opened here (`python -m autograder.sandbox.probe`),
as the grader but not in the grading process: a corrupt or hostile file can at worst crash
this process, which the parent turns into "the warehouse could not be read". The answer key
fingerprints its own warehouse with the same `warehouse_facts`, so both sides of every
comparison are computed by the same code.

Input: a JSON list on stdin, `[{"id", "warehouse", "metadata", "run_id", "schema"}]`.
Output: `{id: ProbeResult}` as JSON (validated by the parent, `evidence.ProbeResult`).

Checksums are order-independent sums of row hashes, computed per month too, so the parent can
compare a warehouse with any combination of months of the key.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys

MONTH_COLUMNS = {
    "raw_trips": "source_month",
    "stg_trips": "source_month",
    "fct_trips": "trip_month",
}
MASK = 0xFFFFFFFFFFFFFFFF


def _hex(value) -> str:
    return f"{int(value or 0) & MASK:016x}"


def open_reader(limited: bool = True):
    """An in-memory DuckDB that attaches each warehouse in turn: attaching a file costs ~0.5 ms,
    opening it as a database of its own ~14 ms (20 files per submission)."""
    import duckdb

    return duckdb.connect(config={"threads": 1, "memory_limit": "1GB"} if limited else {})


def warehouse_facts(path: str | None, schema: str, limited: bool = True, reader=None) -> dict:
    """What the warehouse file at `path` holds in `schema`. `reader`: from `open_reader`."""
    if not path:
        return {"exists": False, "schema_name": schema}
    facts: dict = {"exists": True, "schema_name": schema, "tables": {}, "other_schemas": {}}
    con = reader if reader is not None else open_reader(limited)
    try:
        # Read-only: a copy's WAL is replayed in memory, never checkpointed into the file.
        literal = path.replace("'", "''")
        con.execute(f"ATTACH '{literal}' AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
    except Exception as err:  # noqa: BLE001 - any failure means "unreadable"
        facts["error"] = f"{type(err).__name__}: {str(err)[:300]}"
        _detach(con, reader)
        return facts
    try:
        listing = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY 1, 2"
        ).fetchall()
        for table_schema, table in listing:
            if table_schema != schema:
                facts["other_schemas"].setdefault(table_schema, []).append(table)
        names = [t for s, t in listing if s == schema]
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? "
            "ORDER BY table_name, ordinal_position",
            [schema],
        ).fetchall():
            columns.setdefault(table, []).append(column)
        for table in names:
            facts["tables"][table] = _table(con, schema, table, columns.get(table, []))
        if "raw_trips" in names:
            facts["stray_rows"] = _stray_rows(con, schema)
    except Exception as err:  # noqa: BLE001
        facts["error"] = f"{type(err).__name__}: {str(err)[:300]}"
    finally:
        _detach(con, reader)
    return facts


def _detach(con, reader) -> None:
    """Leave the reader as `open_reader` made it, or close the one made for a single file."""
    if reader is None:
        con.close()
        return
    try:
        con.execute("USE memory")
        con.execute("DETACH DATABASE IF EXISTS warehouse")
    except Exception:  # noqa: BLE001 - the next ATTACH reports what is wrong
        pass


def _table(con, schema: str, table: str, columns: list[str]) -> dict:
    qualified = f'"{schema}"."{table}"'
    month = MONTH_COLUMNS.get(table)
    if not (month and month in columns):
        rows, checksum = con.execute(
            f"SELECT count(*), sum(hash(t)) FROM {qualified} AS t"
        ).fetchone()
        return {"rows": int(rows), "checksum": _hex(checksum), "columns": columns[:100]}
    # One scan: the table's totals are the sums of its months' (rows without a month included).
    grouped = con.execute(
        f"SELECT strftime(CAST({month} AS DATE), '%Y-%m'), count(*), sum(hash(t)) "
        f"FROM {qualified} AS t GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {
        "rows": sum(int(n) for _, n, _ in grouped),
        "checksum": _hex(sum(int(c or 0) for _, _, c in grouped)),
        "columns": columns[:100],
        "months": {str(m): [int(n), _hex(c)] for m, n, c in grouped[:500]},
    }


def _stray_rows(con, schema: str) -> dict | None:
    try:
        rows = con.execute(
            f"""SELECT strftime(CAST(source_month AS DATE), '%Y-%m'), count(*)
                FROM "{schema}".raw_trips
                WHERE date_trunc('month', lpep_pickup_datetime) <> CAST(source_month AS DATE)
                GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    except Exception:  # noqa: BLE001 - the columns are not what the contract says
        return None
    return {str(m): int(n) for m, n in rows[:500]}


def metadata_facts(path: str | None, dag_id: str | None, run_id: str | None) -> dict:
    if not path or not dag_id or not run_id:
        return {"found": False}
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as err:
        return {"found": False, "error": str(err)[:300]}
    try:
        run = con.execute(
            "SELECT logical_date FROM dag_run WHERE dag_id = ? AND run_id = ?",
            [dag_id, run_id],
        ).fetchone()
        if run is None:
            return {"found": False, "error": f"no run {run_id!r} in the metadata DB"}
        tasks = con.execute(
            "SELECT task_id, state, try_number FROM task_instance "
            "WHERE dag_id = ? AND run_id = ? AND map_index = -1",
            [dag_id, run_id],
        ).fetchall()
        return {
            "found": True,
            "logical_date": str(run[0]) if run[0] is not None else None,
            "tasks": {
                t: {"task_id": t, "state": s, "try_number": int(n or 0)} for t, s, n in tasks
            },
        }
    except sqlite3.Error as err:
        return {"found": False, "error": str(err)[:300]}
    finally:
        con.close()


def main() -> None:
    limit = 3 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    requests = json.load(sys.stdin)
    answers = {}
    reader = open_reader()
    for request in requests:
        answers[request["id"]] = {
            "warehouse": warehouse_facts(
                request.get("warehouse"), request["schema"], reader=reader
            ),
            "metadata": metadata_facts(
                request.get("metadata"), request.get("dag_id"), request.get("run_id")
            ),
        }
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
