"""Find a Chromium for the browser tests, installing Debian's package when we are allowed to.

Playwright's own browser download needs a CDN many school networks block, so the tests use a
system Chromium: `CHROMIUM_PATH`, Debian's /usr/bin/chromium, or one Playwright installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def find_chromium() -> Path | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return Path(explicit) if Path(explicit).exists() else None
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    return None


def _apt_install() -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("Installing Debian's chromium for the browser tests (about 20 s)...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    done = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
    return done.returncode == 0


def main() -> int:
    if find_chromium() or (_apt_install() and find_chromium()):
        return 0
    print(
        "No Chromium found for the browser tests. Install one (Debian/Ubuntu: "
        "sudo apt-get install chromium) or point CHROMIUM_PATH at a Chromium/Chrome binary.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
