"""Install the system programs the test suite drives for real: Chromium, PostgreSQL and Redis.

Both come from the OS packages (Debian/Ubuntu), installed only when missing and only when we
are allowed to (root with apt-get). Elsewhere the message says what to install by hand.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.browser import find_chromium


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl (Debian keeps them off PATH)."""
    explicit = os.environ.get("PG_BIN")
    if explicit:
        return Path(explicit) if (Path(explicit) / "pg_ctl").exists() else None
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if versions:
        return Path(versions[0]).parent
    on_path = shutil.which("pg_ctl")
    # Resolve symlinks: the real bin folder also holds postgres and the other server tools.
    return Path(on_path).resolve().parent if on_path and shutil.which("initdb") else None


NEEDS = {
    "chromium": (find_chromium, "Chromium for the browser tests (or set CHROMIUM_PATH)"),
    "postgresql": (find_pg_bin, "a PostgreSQL server for the Postgres tests (or set PG_BIN)"),
    "redis-server": (lambda: shutil.which("redis-server"), "Redis, the class Airflow's broker"),
}


def _apt_install(packages: list[str]) -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"Installing {', '.join(packages)} from the OS packages...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    done = subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=False, env=env)
    return done.returncode == 0


def main() -> int:
    missing = [name for name, (find, _) in NEEDS.items() if find() is None]
    if missing:
        _apt_install(missing)
    still = [name for name in missing if NEEDS[name][0]() is None]
    for name in still:
        print(
            f"Missing {NEEDS[name][1]}. On Debian/Ubuntu: sudo apt-get install {name}",
            file=sys.stderr,
        )
    return 1 if still else 0


if __name__ == "__main__":
    sys.exit(main())
