"""The teacher's guide in lesson_plan/ points only at things that exist.

Every relative link resolves (anchors included), every `make` target is in the Makefile, every
`workbook`, `course`, `autograder` and `airflow` command it shows exists with the options it uses,
every autograder check it names is in the tier it is listed under, every quiz question it names
is in the quiz, and every session's minute plan adds up.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "lesson_plan"
PAGES = sorted(PLAN.rglob("*.md"))
SESSIONS = sorted((PLAN / "sessions").glob("*.md"))

# Every path, make target and subcommand the guide names must exist now: no allow-lists.
PENDING_FILES: frozenset[str] = frozenset()
PENDING_MAKE_TARGETS: frozenset[str] = frozenset()
PENDING_SUBCOMMANDS: dict[tuple[str, ...], frozenset[str]] = {}


FENCED = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
# A command word at a command position: the start of a snippet or after a shell operator,
# optionally behind VAR=value assignments and a .venv/bin/ prefix.
COMMAND = re.compile(
    r"(?:^|&&|\|\||[;|(])\s*(?:[A-Z][A-Z0-9_]*=\S*\s+)*(?:\.venv/bin/)?"
    r"(make|workbook|course|autograder|airflow)(?=\s|$)([^;&|)\n]*)"
)
NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
CHECK_ID = re.compile(r"^(?:integrity|airflow3|behaviour|docs)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Snippet:
    page: Path
    text: str


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _split_code(text: str) -> tuple[list[str], str]:
    """Code snippets (each fenced line, each inline span) and the prose with all code removed."""
    snippets = [line for block in FENCED.findall(text) for line in block.splitlines()]
    prose = FENCED.sub("", text)
    snippets += INLINE.findall(prose)
    return snippets, INLINE.sub("", prose)


@cache
def _page(path: Path) -> tuple[tuple[str, ...], str]:
    snippets, prose = _split_code(path.read_text(encoding="utf-8"))
    return tuple(snippets), prose


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def _anchors(path: Path) -> frozenset[str]:
    text = FENCED.sub("", path.read_text(encoding="utf-8"))
    seen: Counter[str] = Counter()
    anchors = set()
    for _, title in HEADING.findall(text):
        slug = _slug(title)
        anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return frozenset(anchors)


def _links() -> list[tuple[Path, str]]:
    return [(page, target) for page in PAGES for target in LINK.findall(_page(page)[1])]


def _commands() -> list[tuple[Snippet, str, list[str]]]:
    found = []
    for page in PAGES:
        for text in _page(page)[0]:
            for match in COMMAND.finditer(text):
                try:
                    args = shlex.split(match.group(2))
                except ValueError:  # unbalanced quotes: the option check still sees the words
                    args = match.group(2).split()
                found.append((Snippet(page, text), match.group(1), args))
    return found


def test_the_guide_has_its_pages() -> None:
    names = {_rel(p) for p in PAGES}
    for required in ("README", "preparation", "troubleshooting", "grading", "assessment"):
        assert f"lesson_plan/{required}.md" in names, f"lesson_plan/{required}.md is missing"
    assert len(SESSIONS) == 5, f"expected one file per session (5), found {len(SESSIONS)}"


# (The parameter is `doc`, not `page`: pytest-playwright owns a fixture called `page`.)
@pytest.mark.parametrize(("doc", "target"), _links(), ids=lambda v: getattr(v, "name", v))
def test_relative_link_resolves(doc: Path, target: str) -> None:
    if re.match(r"^[a-z]+:", target):  # https:, mailto:
        return
    path_part, _, fragment = unquote(target).partition("#")
    resolved = (doc.parent / path_part).resolve() if path_part else doc
    assert resolved.is_relative_to(ROOT), f"{_rel(doc)}: link {target!r} leaves the repository"
    rel = _rel(resolved)
    if not resolved.exists():
        assert rel in PENDING_FILES, f"{_rel(doc)}: link {target!r} points at missing {rel}"
        return
    if fragment and resolved.suffix == ".md":
        assert fragment in _anchors(resolved), (
            f"{_rel(doc)}: link {target!r}: {rel} has no heading with anchor #{fragment}; "
            f"its anchors are {sorted(_anchors(resolved))}"
        )


def test_every_page_is_reachable_from_the_readme() -> None:
    readme = PLAN / "README.md"
    linked = {
        (readme.parent / unquote(t).partition("#")[0]).resolve()
        for p, t in _links()
        if p == readme and not re.match(r"^[a-z]+:", t)
    }
    orphans = [_rel(p) for p in PAGES if p != readme and p.resolve() not in linked]
    assert not orphans, f"lesson_plan/README.md does not link to {orphans}"


@cache
def _make_targets() -> frozenset[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M))


def test_make_targets_exist() -> None:
    assert {"lab", "test", "demo", "ui"} <= _make_targets(), "the Makefile parser found too little"
    for snippet, tool, args in _commands():
        if tool != "make":
            continue
        targets = [a for a in args if NAME.match(a)]
        if targets:
            assert targets[0] in _make_targets() | PENDING_MAKE_TARGETS, (
                f"{_rel(snippet.page)}: `{snippet.text}` names make target {targets[0]!r}, "
                f"which the Makefile does not have ({sorted(_make_targets())})"
            )


# ---- typer / click apps ---------------------------------------------------------------------


def _typer_app(tool: str):
    """The tool's typer app, or None while its CLI module is still being written."""
    if tool == "workbook":
        from workbook.cli import app
    elif tool == "course":
        from course.cli import app
    else:
        try:
            from autograder.cli import app
        except ModuleNotFoundError as exc:
            if exc.name != "autograder.cli":
                raise
            return None
    return app


def _click_root(tool: str):
    import typer.main

    app = _typer_app(tool)
    return None if app is None else typer.main.get_command(app)


def _resolve_click(tool: str, args: list[str]) -> tuple[list[str], object | None, list[str]]:
    """Walk the command path in args. Returns (path, command or None if pending, rest)."""
    command = _click_root(tool)
    path: list[str] = []
    rest = list(args)
    if command is None:
        if rest and NAME.match(rest[0]):
            sub = rest.pop(0)
            pending = PENDING_SUBCOMMANDS.get((tool,), frozenset())
            assert sub in pending, f"`{tool} {sub}` does not exist"
            path.append(sub)
        return path, None, rest
    while rest and NAME.match(rest[0]) and hasattr(command, "commands"):
        name = rest.pop(0)
        pending = PENDING_SUBCOMMANDS.get((tool, *path), frozenset())
        if name not in command.commands:
            assert name in pending, (
                f"`{tool} {' '.join([*path, name])}` is not a command; "
                f"`{tool} {' '.join(path)}` has {sorted(command.commands)}"
            )
            return [*path, name], None, rest
        path.append(name)
        command = command.commands[name]
    return path, command, rest


def _options(args: list[str]) -> list[str]:
    return [a.split("=", 1)[0] for a in args if re.match(r"^--?[A-Za-z]", a)]


def _click_cases() -> list[tuple[Snippet, str, list[str]]]:
    return [c for c in _commands() if c[1] in ("workbook", "course", "autograder")]


@pytest.mark.parametrize(
    ("snippet", "tool", "args"), _click_cases(), ids=lambda v: getattr(v, "text", None)
)
def test_cli_command_and_options_exist(snippet: Snippet, tool: str, args: list[str]) -> None:
    path, command, rest = _resolve_click(tool, args)
    if command is None:
        return  # allow-listed command that is still being written
    known = {"--help", "-h"}
    for param in getattr(command, "params", []):
        known.update(param.opts)
        known.update(param.secondary_opts)
    unknown = [o for o in _options(rest) if o not in known]
    assert not unknown, (
        f"{_rel(snippet.page)}: `{snippet.text}`: `{tool} {' '.join(path)}` has no option "
        f"{unknown}; it has {sorted(known)}"
    )


def test_cli_help_runs() -> None:
    """Every command the guide shows answers `<tool> <command> --help`, run through typer itself."""
    from typer.testing import CliRunner

    paths = set()
    for _, tool, args in _click_cases():
        path, command, _ = _resolve_click(tool, args)
        if command is not None:
            paths.add((tool, *path))
    assert paths, "the guide shows no workbook or course commands"
    for tool, *words in sorted(paths):
        app = _typer_app(tool)
        result = CliRunner().invoke(app, [*words, "--help"])
        shown = " ".join([tool, *words])
        assert result.exit_code == 0, f"`{shown} --help` failed:\n{result.output}"
        assert "Usage" in result.output, f"`{shown} --help` printed no usage:\n{result.output}"


# ---- the airflow CLI -------------------------------------------------------------------------


def _airflow_cases() -> list[tuple[Snippet, str, list[str]]]:
    return [c for c in _commands() if c[1] == "airflow" and c[2] and NAME.match(c[2][0])]


@pytest.mark.parametrize(
    ("snippet", "tool", "args"), _airflow_cases(), ids=lambda v: getattr(v, "text", None)
)
def test_airflow_command_and_options_exist(snippet: Snippet, tool: str, args: list[str]) -> None:
    from airflow.cli.cli_config import core_commands

    commands = {c.name: c for c in core_commands}
    rest = list(args)
    name = rest.pop(0)
    where = f"{_rel(snippet.page)}: `{snippet.text}`"
    assert name in commands, f"{where}: Airflow 3 has no `airflow {name}`"
    command = commands[name]
    if hasattr(command, "subcommands"):
        subs = {c.name: c for c in command.subcommands}
        assert rest and rest[0] in subs, f"{where}: `airflow {name}` has {sorted(subs)}"
        command = subs[rest.pop(0)]
    known = {"--help", "-h"} | {flag for arg in command.args for flag in arg.flags}
    unknown = [o for o in _options(rest) if o not in known]
    assert not unknown, f"{where}: no option {unknown}; it has {sorted(known)}"


# ---- autograder checks and tiers -------------------------------------------------------------


def _backticked(page: Path) -> set[str]:
    return {s.strip() for s in _page(page)[0]}


def test_named_checks_exist() -> None:
    from autograder.checks import all_checks

    known = set(all_checks())
    for page in PAGES:
        named = {t for t in _backticked(page) if CHECK_ID.match(t)}
        assert named <= known, f"{_rel(page)} names unknown checks {sorted(named - known)}"


def test_grading_lists_every_check_under_its_tier() -> None:
    from autograder.checks import by_tier

    tiers = by_tier()
    text = (PLAN / "grading.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    listed = {}
    for section in sections:
        title, _, body = section.partition("\n")
        tier = title.split(":")[0].strip().lower()
        if tier in tiers:
            listed[tier] = {t for t in INLINE.findall(body) if CHECK_ID.match(t)}
    assert set(listed) == set(tiers), f"grading.md has tier sections {sorted(listed)}"
    for tier, ids in tiers.items():
        assert listed[tier] == set(ids), (
            f"grading.md's {tier} section lists {sorted(listed[tier])}; the autograder's "
            f"{tier} tier is {sorted(ids)}"
        )


# ---- the quiz --------------------------------------------------------------------------------


def _quiz_ids() -> list[str]:
    path = ROOT / "assets" / "week_11_quiz.yaml"
    if not path.exists():
        pytest.skip("assets/week_11_quiz.yaml is still being written")
    return [q["id"] for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]]


def test_quiz_table_matches_the_quiz() -> None:
    text = (PLAN / "assessment.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| Q(\d) \| `([a-z0-9_]+)` \|", text, re.M)
    assert [int(n) for n, _ in rows] == list(range(1, len(rows) + 1))
    assert [qid for _, qid in rows] == _quiz_ids(), "assessment.md's quiz table is out of date"


def test_quiz_questions_named_in_prose_exist() -> None:
    ids = set(_quiz_ids())
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        named = set(re.findall(r"quiz(?: question)? `([a-z0-9_]+)`", text, re.I))
        assert named <= ids, f"{_rel(page)} names unknown quiz questions {sorted(named - ids)}"


# ---- session plans ---------------------------------------------------------------------------


@pytest.mark.parametrize("doc", SESSIONS, ids=lambda p: p.stem)
def test_session_minutes_are_contiguous(doc: Path) -> None:
    spans = [
        (int(a), int(b))
        for a, b in re.findall(r"^\| (\d+)–(\d+) \|", doc.read_text(encoding="utf-8"), re.M)
    ]
    assert spans, f"{_rel(doc)} has no minute-by-minute table"
    assert spans[0][0] == 0 and spans[-1][1] == 180, f"{_rel(doc)}: the plan runs {spans}"
    gaps = [(a, b) for a, b in zip(spans, spans[1:], strict=False) if a[1] != b[0]]
    assert not gaps, f"{_rel(doc)}: the plan has gaps or overlaps at {gaps}"


# ---- grading.md: the walkthrough runs, the manual-grading estimate matches course.toml -------

RUN_MARKER = re.compile(r"<!-- lesson-plan test: run -->\s*```[^\n]*\n(.*?)^```", re.M | re.S)


def _walkthrough() -> list[str]:
    text = (PLAN / "grading.md").read_text(encoding="utf-8")
    blocks = RUN_MARKER.findall(text)
    assert blocks, "grading.md has no block marked <!-- lesson-plan test: run -->"
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_grading_walkthrough_runs_on_a_scratch_course(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The marked block of grading.md, command by command, on a scratch course: the settings of
    the repository with a due date, a roster, and one student's folder on a laptop."""
    import csv
    import shutil

    from typer.testing import CliRunner

    course = tmp_path / "assignment"
    course.mkdir()
    shutil.copy2(ROOT / "assignment" / "nbgrader_config.py", course / "nbgrader_config.py")
    settings = (ROOT / "assignment" / "course.toml").read_text(encoding="utf-8")
    settings = settings.replace("[deadline]\n", "[deadline]\ndue = 2027-03-12T23:59:00\n", 1)
    (course / "course.toml").write_text(settings, encoding="utf-8")
    (tmp_path / "roster.csv").write_text("id,first_name,last_name\nada,Ada,Lovelace\ngrace,,\n")
    folder = tmp_path / "laptops" / "ada" / "taxi_pipeline"
    (folder / "dags").mkdir(parents=True)
    shutil.copy2(ROOT / "dags" / "taxi_pipeline.py", folder / "dags" / "taxi_pipeline.py")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEEK11_COURSE_ROOT", str(course))

    lines = _walkthrough()
    assert len(lines) >= 5
    for line in lines:
        tool, *args = shlex.split(line)
        assert tool in ("course", "workbook", "autograder"), f"grading.md runs {line!r}"
        result = CliRunner().invoke(_typer_app(tool), args)
        assert result.exit_code == 0, f"grading.md: `{line}` failed:\n{result.output}"
    with (tmp_path / "grades.csv").open(newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert sorted(rows) == ["ada", "grace"]
    assert rows["grace"]["grade"] == "F" and rows["grace"]["status"] == "missing"
    assert (course / "submitted" / "ada" / "taxi_pipeline" / "HANDIN.json").is_file()
    assert "ada," in (course / "extensions.csv").read_text()


def test_grading_time_estimate_matches_the_rubric_in_course_toml() -> None:
    from course.settings import load_settings

    rubric = load_settings(ROOT / "assignment").rubric
    text = (PLAN / "grading.md").read_text(encoding="utf-8")
    section = text.split("**Time per student**", 1)[1].split("\n\n", 2)[1]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ][1:]
    by_part = {row[0]: row for row in rows}
    titles = {
        "runbook": "runbook",
        "report": "report",
        "screenshots": "screenshots",
        "ai_log": "AI",
    }
    for item, spec in rubric.items():
        row = next((r for part, r in by_part.items() if part.startswith(titles[item])), None)
        assert row is not None, f"grading.md's time table has no row for rubric item {item}"
        assert (float(row[1]), float(row[2])) == (spec.points, spec.minutes), row
    total = next(r for part, r in by_part.items() if "per student" in part)
    minutes = sum(float(r[2]) for p, r in by_part.items() if r[2] and "per student" not in p)
    assert float(total[2].strip("*")) == minutes
