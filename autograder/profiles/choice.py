"""Which profile grades a submission: the one the teacher asked for, else the one its shape says.

A template submission is recognised by what the course's Astro template puts in it: the
`azure_pg` connection, dbt called through `uvx`, the project at `include/dbt_project/`, the
TLC's CDN URL. Two of those are enough; one alone (a student who read the course pages but
wrote for this repository's contract) is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from autograder.errors import AutograderError

Profile = Literal["plain", "template"]
PROFILES: tuple[str, ...] = ("auto", "plain", "template")
TEMPLATE_DBT_DIR = "include/dbt_project/"
CDN_HOST = "d37ci6vzurychx.cloudfront.net"

# (pattern in the DAG files, what it shows, in the template's words)
_CODE_SIGNS = (
    (re.compile(r"""conn_id\s*=\s*["']azure_pg["']|conn\.azure_pg\."""), "the azure_pg connection"),
    (re.compile(r"\buvx\b[^\n]*\bdbt\b"), "dbt through uvx"),
    (re.compile(re.escape(CDN_HOST)), "the TLC's CDN URL"),
)
_ENOUGH = 2


@dataclass(frozen=True)
class ProfileChoice:
    """The profile a submission is graded with, and why (shown in its feedback)."""

    profile: Profile
    detected: bool
    signs: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """One line for the feedback: which profile, and whether it was asked for or detected."""
        name = {"template": "course-template (Astro project)", "plain": "plain (CONTRACT.md)"}
        if not self.detected:
            return f"graded with the {name[self.profile]} profile, as the course asks"
        if self.profile == "template":
            return (
                f"graded with the {name['template']} profile, detected from the submission: "
                + ", ".join(self.signs)
            )
        return f"graded with the {name['plain']} profile (no sign of the course's Astro template)"


def detect_profile(files: Iterable[str], read: Callable[[str], str]) -> ProfileChoice:
    """The profile a submission's shape points to: `files` are its relative paths, `read`
    returns one file's text."""
    files = list(files)
    signs: list[str] = []
    code = "\n".join(read(f) for f in sorted(files) if f.startswith("dags/") and f.endswith(".py"))
    for pattern, shown in _CODE_SIGNS:
        if pattern.search(code):
            signs.append(shown)
    if any(f.startswith(TEMPLATE_DBT_DIR) for f in files):
        signs.append(f"a dbt project in {TEMPLATE_DBT_DIR}")
    profile: Profile = "template" if len(signs) >= _ENOUGH else "plain"
    return ProfileChoice(profile, detected=True, signs=tuple(signs))


def choose_profile(asked: str, files: Iterable[str], read: Callable[[str], str]) -> ProfileChoice:
    """`asked` is the course's setting or the CLI option: auto, plain or template."""
    if asked not in PROFILES:
        raise AutograderError(
            f"profile must be one of {', '.join(PROFILES)}, not {asked!r} "
            "(the --profile option, or `profile` in [autograder] of course.toml)."
        )
    if asked == "auto":
        return detect_profile(files, read)
    return ProfileChoice(asked, detected=False)  # type: ignore[arg-type]
