"""The template profile's warehouse: a real PostgreSQL server the grader starts, one database
and one role per sandbox, reached over a Unix socket (the sandbox has no network).

Parent side. The server comes from the OS packages (`workbook.system_setup.find_pg_bin`), listens
on no TCP port, and asks every role for its password, so a sandbox can only log in as its own
role. That role owns the student's schema `airflow_<student>` in its own database and nothing
else: it cannot create schemas, and no other sandbox's database lets it connect. After each
step the grader copies the schema into a DuckDB file (`export_schema`), which the probe reads as
it reads a plain-profile warehouse, so every check reads the same kind of evidence.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from autograder.errors import AutograderError
from autograder.sandbox.environment import SCHEMA

SUPERUSER = "postgres"
PORT = 5432  # only names the socket file (.s.PGSQL.5432): nothing listens on TCP
# PostgreSQL column types -> the DuckDB types the plain profile's warehouse has.
DUCKDB_TYPES = {
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "numeric": "DOUBLE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ",
    "date": "DATE",
    "boolean": "BOOLEAN",
}


def _pg_bin() -> Path:
    from workbook.system_setup import find_pg_bin

    found = find_pg_bin()
    if found is None:
        raise AutograderError(
            "the course-template profile needs a PostgreSQL server and none is installed: "
            "run `python -m workbook.system_setup` (or set PG_BIN)."
        )
    return found


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass(frozen=True)
class Tenant:
    """One sandbox's database and role."""

    database: str
    role: str
    password: str


class PostgresService:
    """One PostgreSQL server for a grading session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket_dir = folder / "socket"
        self.password = secrets.token_urlsafe(24)
        self._pg_ctl: list[str] = []

    def start(self) -> None:
        pg_bin = _pg_bin()
        data = self.folder / "data"
        self.socket_dir.mkdir(parents=True)
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            for path in (self.folder, self.socket_dir, pwfile):
                shutil.chown(path, "postgres")
        os.chmod(self.folder, 0o711)
        os.chmod(self.socket_dir, 0o755)
        run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
        init = [str(pg_bin / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}"]
        init += ["--auth-local=scram-sha-256", "--auth-host=reject", "-E", "UTF8"]
        subprocess.run(_as_server_user(init), **run)
        pwfile.unlink()
        options = (
            f"-p {PORT} -k {self.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c unix_socket_permissions=0777 -c max_connections=200"
        )
        self._pg_ctl = [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log")]
        subprocess.run(_as_server_user([*self._pg_ctl, "-o", options, "-w", "start"]), **run)

    def close(self) -> None:
        if self._pg_ctl:
            subprocess.run(
                _as_server_user([*self._pg_ctl, "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                check=False,
                timeout=60,
            )
            self._pg_ctl = []
        shutil.rmtree(self.folder, ignore_errors=True)

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(
            host=str(self.socket_dir),
            port=PORT,
            user=SUPERUSER,
            password=self.password,
            dbname=database,
        )

    def new_tenant(self) -> Tenant:
        """A database and a role for one sandbox; the role owns only the student's schema."""
        name = "s_" + secrets.token_hex(6)
        tenant = Tenant(database=name, role=name, password=secrets.token_urlsafe(18))
        con = self.connect()
        con.autocommit = True  # CREATE DATABASE cannot run in a transaction (no `with con`)
        with con.cursor() as cur:
            cur.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", (tenant.password,))
            cur.execute(f"CREATE DATABASE {name}")
            cur.execute(f"REVOKE ALL ON DATABASE {name} FROM PUBLIC")
            cur.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {name} TO {name}")
        con.close()
        self.reset_schema(tenant)
        return tenant

    def reset_schema(self, tenant: Tenant) -> None:
        """An empty student schema for the next scenario."""
        con = self.connect(tenant.database)
        with con, con.cursor() as cur:
            cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            cur.execute(f"CREATE SCHEMA {SCHEMA} AUTHORIZATION {tenant.role}")
        con.close()

    def drop_tenant(self, tenant: Tenant) -> None:
        con = self.connect()
        con.autocommit = True
        with contextlib.suppress(Exception), con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {tenant.database} WITH (FORCE)")
            cur.execute(f"DROP ROLE IF EXISTS {tenant.role}")
        con.close()

    def connection_uri(self, tenant: Tenant) -> str:
        """The `azure_pg` Airflow connection (AIRFLOW_CONN_AZURE_PG): host is the socket
        folder, schema (Airflow's name for the database) the tenant's database."""
        return (
            f"postgres://{tenant.role}:{quote(tenant.password, safe='')}@"
            f"{quote(str(self.socket_dir), safe='')}:{PORT}/{tenant.database}"
        )

    def export_schema(self, tenant: Tenant, target: Path, limit_rows: int = 2_000_000) -> None:
        """Copy the student's schema into a new DuckDB file `target` (same schema name,
        column types mapped to DuckDB's), for the probe."""
        import duckdb

        target.parent.mkdir(parents=True, exist_ok=True)
        con = self.connect(tenant.database)
        out = duckdb.connect(str(target))
        try:
            out.execute(f"CREATE SCHEMA {SCHEMA}")
            with con.cursor() as cur:
                cur.execute(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
                    (SCHEMA,),
                )
                tables: dict[str, list[tuple[str, str]]] = {}
                for table, column, kind in cur.fetchall():
                    tables.setdefault(table, []).append((column, DUCKDB_TYPES.get(kind, "VARCHAR")))
            for table, columns in tables.items():
                _copy_table(con, out, table, columns, limit_rows)
        finally:
            out.close()
            con.close()


def _column(values: list, kind: str):
    """One exported column, typed before DuckDB sees it (it would guess from a sample)."""
    import pandas as pd

    if kind in ("INTEGER", "BIGINT", "SMALLINT"):
        return pd.array(values, dtype="Int64")
    if kind in ("DOUBLE", "FLOAT"):
        return pd.array([None if v is None else float(v) for v in values], dtype="Float64")
    if kind in ("TIMESTAMP", "TIMESTAMPTZ", "DATE"):
        return pd.to_datetime(pd.Series(values, dtype=object))
    if kind == "BOOLEAN":
        return pd.array(values, dtype="boolean")
    return pd.array([None if v is None else str(v) for v in values], dtype="string")


def _copy_table(con, out, table: str, columns: list[tuple[str, str]], limit_rows: int) -> None:
    import pandas as pd

    names = ", ".join(f'"{c}"' for c, _ in columns)
    out.execute(
        f'CREATE TABLE {SCHEMA}."{table}" (' + ", ".join(f'"{c}" {t}' for c, t in columns) + ")"
    )
    typed = ", ".join(f'CAST("{c}" AS {t})' for c, t in columns)
    with con.cursor(name=f"export_{table}") as cur:
        cur.itersize = 20_000
        cur.execute(f'SELECT {names} FROM {SCHEMA}."{table}" LIMIT %s', (limit_rows,))
        while batch := cur.fetchmany(20_000):
            frame = pd.DataFrame(
                {c: _column([row[i] for row in batch], t) for i, (c, t) in enumerate(columns)}
            )
            out.register("export_batch", frame)
            out.execute(f'INSERT INTO {SCHEMA}."{table}" SELECT {typed} FROM export_batch')
            out.unregister("export_batch")
