"""Find a Chromium for the browser tests (`python -m workbook.system_setup` installs one).

Playwright's own browser download needs a CDN many school networks block, so the tests use a
system Chromium: `CHROMIUM_PATH`, Debian's /usr/bin/chromium, or one Playwright installed.
"""

from __future__ import annotations

import os
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
