"""Writing submissions: the reference, and each bad one as the reference with its patches.

The reference submission is what a student who did everything hands in: the course's reference
DAG (`dags/taxi_pipeline.py`, as it is), the filled-in documents of `reference_files/`, the
public tests the release gives every student, and three small screenshots drawn here.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

from tests.corpus.bad_submissions import BAD_SUBMISSIONS, TUNED_SUBMISSIONS
from tests.corpus.patches import DAG

REPO = Path(__file__).resolve().parents[2]
REFERENCE = "reference"
REFERENCE_DAG_FILE = REPO / "dags" / "taxi_pipeline.py"
REFERENCE_FILES = Path(__file__).resolve().parent / "reference_files"
PUBLIC_TESTS = REPO / "assignment" / "source" / "taxi_pipeline" / "tests"
# Screenshot name -> its colour: what a student shows of the UI (not graded, only handed in).
SCREENSHOTS = {
    "graph_view.png": (46, 125, 50),
    "grid_green_run.png": (67, 160, 71),
    "task_log.png": (69, 90, 100),
}


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A one-colour PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def write_reference(into: Path) -> Path:
    """The reference submission, in the new folder `into`."""
    shutil.copytree(REFERENCE_FILES, into)
    (into / DAG).parent.mkdir(parents=True)
    shutil.copyfile(REFERENCE_DAG_FILE, into / DAG)
    shutil.copytree(PUBLIC_TESTS, into / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (into / "screenshots").mkdir()
    for name, colour in SCREENSHOTS.items():
        (into / "screenshots" / name).write_bytes(png(80, 40, colour))
    return into


def build_submission(name: str, into: Path) -> Path:
    """Submission `name` ("reference", or a key of BAD_SUBMISSIONS or TUNED_SUBMISSIONS) in the
    new folder `into`."""
    patched = {**BAD_SUBMISSIONS, **TUNED_SUBMISSIONS}
    if name != REFERENCE and name not in patched:
        known = ", ".join([REFERENCE, *sorted(patched)])
        raise KeyError(f"no submission named {name!r} in the corpus; known: {known}")
    write_reference(into)
    for patch in patched[name].patches if name != REFERENCE else ():
        patch.apply(into)
    return into


def build_corpus(into: Path, names: Iterable[str] | None = None) -> Path:
    """Every submission of the corpus (or only `names`) as `into/<name>/`. Returns `into`."""
    into.mkdir(parents=True, exist_ok=True)
    for name in names or [REFERENCE, *BAD_SUBMISSIONS]:
        build_submission(name, into / name)
    return into
