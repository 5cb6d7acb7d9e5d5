"""`course import-handins DIR`: submissions that did not come through the exchange.

When students work on their own laptops there is no shared exchange folder: they hand in a zip
of their `taxi_pipeline` folder through the course's usual channel (LMS upload, chat, a shared
drive). Put every hand-in in one folder, named after the student id (`ada.zip`, or a folder
`ada/`), and this module puts each where `nbgrader collect` would have: in
`submitted/<student>/taxi_pipeline/`, with a `timestamp.txt`. Grading then works as usual.

The time comes from the hand-in itself, never from the zip file's modification time (see
course/handin_record.py), and is measured against the student's due date: under
`late_policy = "exclude"` a late hand-in is not imported (it stays in the folder, listed).

nbgrader's own `zip_collect` flattens files into a list of notebooks; this keeps the folder
(`dags/`, `include/`, the documents) as the student had it. Archives are read defensively: no
absolute paths, no `..`, no symlinks, size limits, and the course's ignore patterns apply.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from course.deadlines import DueDates
from course.errors import CourseError
from course.handin_record import TIMESTAMP, handin_time, newest_entry, write_timestamp
from course.layout import ASSIGNMENT, NOTEBOOK, Course
from course.nbapi import Nbgrader

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
MAX_FILES = 2000
MAX_BYTES = 50 << 20  # uncompressed, per hand-in: a DAG, a notebook and three documents


@dataclass(frozen=True)
class ImportReport:
    imported: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # hand-in name -> why it was skipped
    timing: dict[str, str] = field(default_factory=dict)  # student -> when, how we know, late?
    excluded: dict[str, str] = field(default_factory=dict)  # hand-in name -> late, not imported


def _ignored(relative: PurePosixPath, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(part, p) for part in relative.parts for p in patterns)


def assignment_root(names: list[PurePosixPath]) -> PurePosixPath:
    """The folder inside the hand-in that holds the assignment (it may be zipped one level deep,
    e.g. `taxi_pipeline/dags/...`)."""
    markers = [
        n for n in names if n.name == NOTEBOOK or n.parts[-2:] == ("dags", "taxi_pipeline.py")
    ]
    if not markers:
        return PurePosixPath()
    shallowest = min(markers, key=lambda n: len(n.parts))
    return shallowest.parent.parent if shallowest.name == "taxi_pipeline.py" else shallowest.parent


def _extract_zip(archive: Path, target: Path, patterns: list[str]) -> tuple[int, ...] | None:
    """Unpack the hand-in into `target`; return the newest entry time of the files kept."""
    try:
        bundle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise CourseError("not a readable zip file") from None
    with bundle:
        members = [m for m in bundle.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES:
            raise CourseError(f"has {len(members)} files (more than {MAX_FILES})")
        names = []
        for member in members:
            name = PurePosixPath(member.filename)
            if name.is_absolute() or ".." in name.parts:
                raise CourseError(f"contains an unsafe path {member.filename!r}")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise CourseError(
                    f"contains a symlink {member.filename!r}; zip the files themselves"
                )
            names.append(name)
        root = assignment_root(names)
        total = 0
        kept: list[zipfile.ZipInfo] = []
        for member, name in zip(members, names, strict=True):
            if root.parts and name.parts[: len(root.parts)] != root.parts:
                continue
            relative = PurePosixPath(*name.parts[len(root.parts) :])
            if _ignored(relative, patterns) or "__MACOSX" in name.parts:
                continue
            total += member.file_size
            if total > MAX_BYTES:
                raise CourseError(f"unpacks to more than {MAX_BYTES >> 20} MB")
            dest = target / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(member) as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out)
            kept.append(member)
    return newest_entry(kept)


def _copy_folder(folder: Path, target: Path, patterns: list[str]) -> None:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    root = assignment_root([PurePosixPath(p.relative_to(folder).as_posix()) for p in files])
    base = folder / root
    for path in files:
        try:
            relative = PurePosixPath(path.relative_to(base).as_posix())
        except ValueError:
            continue
        if _ignored(relative, patterns):
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / relative)


def import_handins(course: Course, folder: Path) -> ImportReport:
    """Every `<student>.zip` or `<student>/` in `folder` into submitted/<student>/taxi_pipeline/."""
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder. Pass the folder holding the hand-ins.")
    patterns = Nbgrader.ignore_patterns(course)
    dates = DueDates.load(course)
    report = ImportReport()
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        student = entry.stem if entry.suffix == ".zip" else entry.name
        if not (entry.is_dir() or entry.suffix == ".zip"):
            report.problems[entry.name] = "not a .zip file or a folder; skipped"
            continue
        if not STUDENT_ID.match(student):
            report.problems[entry.name] = (
                f"{student!r} cannot be a student id; name the hand-in <student_id>.zip"
            )
            continue
        with tempfile.TemporaryDirectory(dir=course.root, prefix=".import-") as tmp:
            staged = Path(tmp) / ASSIGNMENT
            staged.mkdir()
            entry_time = None
            try:
                if entry.is_dir():
                    _copy_folder(entry, staged, patterns)
                else:
                    entry_time = _extract_zip(entry, staged, patterns)
            except CourseError as exc:
                report.problems[entry.name] = f"{exc}; not imported"
                continue
            if not any(staged.iterdir()):
                report.problems[entry.name] = "is empty after unpacking; not imported"
                continue
            (staged / TIMESTAMP).unlink(missing_ok=True)  # only the import says when
            timing = handin_time(staged, entry_time, dates.deadline.zone, student)
            lateness = dates.lateness(student, timing.moment)
            when = f"{dates.local(timing.moment)} ({timing.source}"
            when += f"; {timing.note})" if timing.note else ")"
            if lateness.is_late and dates.deadline.late_policy == "exclude":
                report.excluded[entry.name] = (
                    f"handed in {when}, after the due date {dates.local(lateness.due)}; "
                    "not imported (late_policy = exclude)"
                )
                continue
            if timing.moment is not None:
                write_timestamp(staged, timing.moment)
            late = f", {lateness.days_late:g} day(s) late" if lateness.is_late else ""
            report.timing[student] = f"{when}{late}"
            target = course.submission(student)
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.rename(target)  # same filesystem: the student's folder appears whole
        report.imported.append(student)
    return report
