"""Secrets of the class stack and every student's credentials, kept in the state folder only.

`secrets/secrets.json` (mode 0600) is the one source: the stack's keys and passwords, and per
student a database password and a UI password. Three files are derived from it whenever the
roster changes, each in the format its reader wants:

- `secrets/class.env`: the `CLASS_*` values every rendering substitutes (also Compose's
  `--env-file`), including `CLASS_UI_USERS`, the simple auth manager's user list, and
  `CLASS_AUTOGRADER_SECRET`, the course's hidden-checks secret (read anew on every sync, never
  stored in secrets.json), which only the grading workers get;
- `secrets/ui_passwords.json`: the simple auth manager's password file (Airflow re-reads it on
  every login);
- `secrets/pgpass`: one line per student for libpq, so a task connecting as `airflow_<id>`
  finds its password without any password in the DAG or the environment.

Nothing here is ever committed: `.class/` is git-ignored.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from class_airflow.errors import ClassError
from class_airflow.files import atomic_write_json, atomic_write_text, private_dir
from class_airflow.paths import ClassPaths
from class_airflow.roster import Roster

TEACHER_LOGIN = "teacher"
_STACK_KEYS = (
    "CLASS_POSTGRES_PASSWORD",
    "CLASS_AIRFLOW_DB_PASSWORD",
    "CLASS_FERNET_KEY",
    "CLASS_JWT_SECRET",
    "CLASS_API_SECRET_KEY",
    "TEACHER_UI_PASSWORD",
)


@dataclass(frozen=True)
class StudentLogin:
    student: str
    ui_password: str
    db_role: str
    db_password: str


def _new_value(key: str) -> str:
    if key == "CLASS_FERNET_KEY":
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    return secrets.token_urlsafe(24)


def _store_path(paths: ClassPaths) -> Path:
    return paths.secrets / "secrets.json"


def load_store(paths: ClassPaths) -> dict:
    path = _store_path(paths)
    store = json.loads(path.read_text()) if path.exists() else {}
    store.setdefault("stack", {})
    store.setdefault("students", {})
    return store


def _save_store(paths: ClassPaths, store: dict) -> None:
    private_dir(paths.secrets)
    atomic_write_json(_store_path(paths), store, mode=0o600)


def ui_users(roster: Roster) -> str:
    """The value of [core] simple_auth_manager_users: the teacher is admin, students 'user'
    (they can see, trigger, pause and clear runs, but not change connections or pools)."""
    return ",".join([f"{TEACHER_LOGIN}:admin", *(f"{sid}:user" for sid in roster.ids())])


def sync(paths: ClassPaths, roster: Roster) -> dict[str, str]:
    """Create what is missing (never change an existing secret), drop students who left the
    roster, rewrite the derived files. Returns the class env values."""
    store = load_store(paths)
    for key in _STACK_KEYS:
        store["stack"].setdefault(key, _new_value(key))
    for student in roster.students:
        store["students"].setdefault(
            student.id, {"ui": secrets.token_urlsafe(12), "db": secrets.token_urlsafe(18)}
        )
    for gone in set(store["students"]) - set(roster.ids()):
        del store["students"][gone]
    _save_store(paths, store)
    env = {key: value for key, value in store["stack"].items() if key.startswith("CLASS_")}
    env["CLASS_UI_USERS"] = ui_users(roster)
    env["CLASS_AUTOGRADER_SECRET"] = grading_secret()
    atomic_write_text(
        paths.class_env, "".join(f"{key}={value}\n" for key, value in sorted(env.items())), 0o600
    )
    passwords = {TEACHER_LOGIN: store["stack"]["TEACHER_UI_PASSWORD"]}
    passwords.update({sid: entry["ui"] for sid, entry in store["students"].items()})
    atomic_write_text(paths.ui_passwords, json.dumps(passwords) + "\n", 0o600)
    pgpass = "".join(
        f"*:*:taxi:airflow_{sid}:{entry['db']}\n"
        for sid, entry in sorted(store["students"].items())
    )
    atomic_write_text(paths.pgpass, pgpass, 0o600)
    return env


def grading_secret(environ: Mapping[str, str] = os.environ) -> str:
    """The course's hidden-checks secret, for the grading workers only: the one `course grade`
    and `autograder grade` use (course.toml [autograder] secret_file, else $AUTOGRADER_SECRET),
    so the grading DAG and the CLI draw the same hidden runs. Empty: the public values."""
    from autograder.errors import AutograderError
    from autograder.secret import read_secret
    from course.errors import CourseError
    from course.layout import Course
    from course.settings import load_settings

    try:
        secret_file = load_settings(Course.default().root).autograder.secret_file
        secret = read_secret(secret_file, environ)
    except (AutograderError, CourseError) as exc:
        raise ClassError(f"the grading workers' secret: {exc}") from None
    return secret.get_secret_value() if secret else ""


def class_env(paths: ClassPaths) -> dict[str, str]:
    """The values written by the last `sync` (empty before the first)."""
    if not paths.class_env.exists():
        return {}
    pairs = (line.split("=", 1) for line in paths.class_env.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def student_login(paths: ClassPaths, student_id: str) -> StudentLogin | None:
    entry = load_store(paths)["students"].get(student_id)
    if entry is None:
        return None
    return StudentLogin(student_id, entry["ui"], f"airflow_{student_id}", entry["db"])


def _stack_secret(paths: ClassPaths, key: str) -> str:
    value = load_store(paths)["stack"].get(key)
    if value is None:
        raise ClassError(
            f"no class secrets in {paths.secrets} yet. Fix: `class up` (or `class secrets` for "
            "Compose) creates them"
        )
    return value


def teacher_password(paths: ClassPaths) -> str:
    return _stack_secret(paths, "TEACHER_UI_PASSWORD")


def superuser_password(paths: ClassPaths) -> str:
    return _stack_secret(paths, "CLASS_POSTGRES_PASSWORD")
