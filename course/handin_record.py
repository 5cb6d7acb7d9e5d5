"""When a zipped hand-in was handed in: the hand-in record, and what to do without one.

`course hand-in FOLDER --student ID` (run by the student) writes `ID.zip` with the folder and a
record, `HANDIN.json`: the moment of packing in UTC, and the SHA-256 of every file packed.
`course import-handins` times each hand-in by, in this order:

1. **the record**, when every file in the zip has the hash the record gives it (a file edited
   after packing, or a record copied from another zip, fails this and is not used);
2. **the zip's newest entry time**: when the last file was saved before zipping. Zip entries
   carry local time without a zone; it is read in the course's time zone.

Never the zip file's own modification time: that is when it reached the teacher's disk
(downloaded, copied, unpacked), not when the student handed it in. Both sources come from the
student's machine, so neither stops a student who sets their clock back: the upload time in the
course's LMS is the last word where it matters. The import shows every hand-in's time and where
it came from, so such a case stands out.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from course.errors import CourseError
from course.layout import ASSIGNMENT

RECORD = "HANDIN.json"
TIMESTAMP = "timestamp.txt"
NOT_HASHED = {RECORD, TIMESTAMP}
EARLIEST_ZIP_TIME = (1980, 1, 2, 0, 0, 0)  # zip's epoch: entries at 1980-01-01 carry no time


class HandinRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = "week11-handin"
    version: int = 1
    student: str
    assignment: str = ASSIGNMENT
    handed_in_at: AwareDatetime
    files: dict[str, str]  # relative path -> sha256


@dataclass(frozen=True)
class HandinTime:
    """When a hand-in was handed in (UTC), and how we know; `moment` None: no trustworthy time."""

    moment: datetime | None
    source: str  # "hand-in record", "zip entry times", "unknown"
    note: str = ""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hashed_files(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file below `folder`, the record and timestamp excluded."""
    return {
        path.relative_to(folder).as_posix(): sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.name not in NOT_HASHED
    }


def read_record(folder: Path) -> HandinRecord | None:
    path = folder / RECORD
    if not path.is_file():
        return None
    try:
        return HandinRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError):
        return None


def verified_time(folder: Path) -> tuple[datetime | None, str]:
    """The record's moment if it describes exactly the files in `folder`; else None and why."""
    record = read_record(folder)
    if record is None:
        exists = (folder / RECORD).exists()
        return None, f"{RECORD} is not readable" if exists else f"no {RECORD}"
    actual = hashed_files(folder)
    changed = sorted(
        name
        for name in set(actual) | set(record.files)
        if actual.get(name) != record.files.get(name)
    )
    if changed:
        return None, f"{RECORD} does not match the files ({', '.join(changed[:3])} differ)"
    return record.handed_in_at.astimezone(UTC), ""


def newest_entry(names: list[zipfile.ZipInfo]) -> tuple[int, ...] | None:
    """The newest date_time of the zip's file entries (naive local time), if any carries one."""
    times = [m.date_time for m in names if not m.is_dir() and m.date_time >= EARLIEST_ZIP_TIME]
    return max(times) if times else None


def handin_time(
    folder: Path, entry_time: tuple[int, ...] | None, zone: object, student: str
) -> HandinTime:
    """Time an unpacked hand-in (see the module docstring for the order and why)."""
    moment, why = verified_time(folder)
    if moment is not None:
        record = read_record(folder)
        note = ""
        if record is not None and record.student != student:
            note = f"the record names student {record.student!r}"
        return HandinTime(moment, "hand-in record", note)
    if entry_time is not None:
        local = datetime(*entry_time[:6], tzinfo=zone)  # type: ignore[arg-type]
        return HandinTime(local.astimezone(UTC), "zip entry times", why)
    return HandinTime(None, "unknown", why + "; no time in the hand-in: treated as on time")


def write_timestamp(folder: Path, moment: datetime) -> None:
    """nbgrader's timestamp.txt (what `nbgrader collect` writes), in UTC."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (folder / TIMESTAMP).write_text(text, encoding="utf-8")


def pack(
    folder: Path, student: str, out_dir: Path, ignore: list[str], now: datetime | None = None
) -> Path:
    """`<out_dir>/<student>.zip`: `folder` as `taxi_pipeline/...` plus its hand-in record."""
    import fnmatch

    from course.atomic import write_text_atomic

    def kept(path: Path) -> bool:
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        return not any(fnmatch.fnmatch(p, pat) for p in relative.parts for pat in ignore)

    files = [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and kept(p) and p.name not in NOT_HASHED
    ]
    if not files:
        raise CourseError(f"{folder} holds no files to hand in.")
    record = HandinRecord(
        student=student,
        handed_in_at=(now or datetime.now(UTC)).astimezone(UTC),
        files={p.relative_to(folder).as_posix(): sha256(p) for p in files},
    )
    write_text_atomic(folder / RECORD, record.model_dump_json(indent=2) + "\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{student}.zip"
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in [*files, folder / RECORD]:
            bundle.write(path, f"{ASSIGNMENT}/{path.relative_to(folder).as_posix()}")
    partial.replace(target)
    return target
