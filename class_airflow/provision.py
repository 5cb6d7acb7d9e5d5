"""The class PostgreSQL: the metadata database, the warehouse, one role and schema per student.

Run as the `class-init` one-shot service (`python -m class_airflow.provision`) whenever the
stack starts, and by `class add-student` / `remove-student` for one student. It only ever
creates what is missing and touches one student at a time, so applying it again, or adding
a student, changes nobody else.

The isolation a student gets: schema `airflow_<id>` owned by role `airflow_<id>`; nobody else
has USAGE on it, so another student's role is refused ("permission denied for schema"). No
student can connect to the metadata database. Students do get CREATE on the warehouse
database, because PostgreSQL checks it even for `CREATE SCHEMA IF NOT EXISTS` of a schema
that exists, which the reference DAG runs; a schema a student creates for a classmate who is
not enrolled yet is refused by `add-student` (see `_ensure_student`).
"""

from __future__ import annotations

import os
import sys
from contextlib import closing
from pathlib import Path

from class_airflow import credentials
from class_airflow import roster as roster_module
from class_airflow.errors import ClassError
from class_airflow.paths import ClassPaths
from class_airflow.roster import Student

WAREHOUSE_DB = "taxi"
METADATA_DB = "airflow"
METADATA_ROLE = "airflow"
STUDENT_CONNECTIONS = 10  # a runaway DAG cannot take the server's connections from the class


def connect(url: str, database: str | None = None):
    import psycopg2

    if database:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        url = urlunsplit(parts._replace(path=f"/{database}"))
    con = psycopg2.connect(url, connect_timeout=10)
    # Every statement commits on its own; note that `with con:` would open a transaction
    # (psycopg2 2.9), and CREATE DATABASE refuses to run in one.
    con.autocommit = True
    return con


def _exists(cur, query: str, *args) -> bool:
    cur.execute(query, args)
    return cur.fetchone() is not None


def ensure_databases(url: str, airflow_password: str) -> None:
    from psycopg2 import sql

    with closing(connect(url)) as con, con.cursor() as cur:
        if _exists(cur, "SELECT 1 FROM pg_roles WHERE rolname = %s", METADATA_ROLE):
            cur.execute(
                sql.SQL("ALTER ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(METADATA_ROLE)),
                (airflow_password,),
            )
        else:
            cur.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(METADATA_ROLE)),
                (airflow_password,),
            )
        for database, owner in ((METADATA_DB, METADATA_ROLE), (WAREHOUSE_DB, "postgres")):
            if not _exists(cur, "SELECT 1 FROM pg_database WHERE datname = %s", database):
                cur.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(database), sql.Identifier(owner)
                    )
                )
            # Only the roles granted CONNECT below may connect: no student in the metadata DB.
            cur.execute(
                sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
            )
        cur.execute("REVOKE ALL ON DATABASE postgres FROM PUBLIC")
    with closing(connect(url, WAREHOUSE_DB)) as con, con.cursor() as cur:
        cur.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")


def _ensure_student(cur, student: Student, password: str) -> None:
    from psycopg2 import sql

    role, schema = sql.Identifier(student.role), sql.Identifier(student.schema)
    verb = (
        "ALTER"
        if _exists(cur, "SELECT 1 FROM pg_roles WHERE rolname = %s", student.role)
        else "CREATE"
    )
    cur.execute(
        sql.SQL(
            verb
            + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE CONNECTION LIMIT {} PASSWORD %s"
        ).format(role, sql.Literal(STUDENT_CONNECTIONS)),
        (password,),
    )
    cur.execute(
        sql.SQL("GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(WAREHOUSE_DB), role
        )
    )
    cur.execute(
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s", (student.schema,)
    )
    found = cur.fetchone()
    if found is None:
        cur.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(schema, role))
    elif found[0] != student.role:
        raise ClassError(
            f"schema {student.schema} already exists and belongs to {found[0]}, not to "
            f"{student.role} (a classmate created it before {student.id} was enrolled?). Fix: "
            f"look at it, then drop it (DROP SCHEMA {student.schema} CASCADE) and add "
            f"{student.id} again"
        )
    cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))


def ensure_students(url: str, paths: ClassPaths, students: list[Student]) -> None:
    store = credentials.load_store(paths)["students"]
    with closing(connect(url, WAREHOUSE_DB)) as con, con.cursor() as cur:
        for student in students:
            _ensure_student(cur, student, store[student.id]["db"])


def drop_student(url: str, student_id: str) -> None:
    """Remove one student's schema (with their tables) and role; nobody else is touched."""
    from psycopg2 import sql

    role = sql.Identifier(f"airflow_{student_id}")
    with closing(connect(url, WAREHOUSE_DB)) as con, con.cursor() as cur:
        cur.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(f"airflow_{student_id}")
            )
        )
        if _exists(cur, "SELECT 1 FROM pg_roles WHERE rolname = %s", f"airflow_{student_id}"):
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (f"airflow_{student_id}",),
            )
            cur.execute(sql.SQL("DROP OWNED BY {}").format(role))
            cur.execute(sql.SQL("DROP ROLE {}").format(role))


def main() -> int:
    """The class-init service: databases, then every student on the roster."""
    paths = ClassPaths(Path(os.environ["CLASS_STATE_DIR"]))
    url = os.environ["CLASS_POSTGRES_URL"]
    try:
        roster = roster_module.load(Path(os.environ["CLASS_ROSTER"]))
        env = credentials.sync(paths, roster)
        ensure_databases(url, env["CLASS_AIRFLOW_DB_PASSWORD"])
        ensure_students(url, paths, list(roster.students))
    except ClassError as err:
        print(f"class-init: {err}", file=sys.stderr)
        return 1
    print(f"class-init: databases ready, {len(roster.students)} students provisioned", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
