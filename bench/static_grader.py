"""A static-only grader of the kind the course uses (regular expressions, 100 points, pass 60).

Written for the comparison in `bench/grade_class.py`, from the rubric in the curriculum brief
(BRIEF.md section 13); the code is ours. It reads files and never runs anything, so a DAG that
duplicates rows on every rerun can pass it.

    .venv/bin/python -m tests.corpus /tmp/corpus reference   # a submission to grade
    .venv/bin/python bench/static_grader.py /tmp/corpus/reference
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PASS_MARK = 60
REQUIRED = (
    "dags/taxi_pipeline.py",
    "tests/test_dag_integrity.py",
    "requirements.txt",
    "RUNBOOK.md",
    "ASSIGNMENT_REPORT.md",
    "AI_ASSIST.md",
)
IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


@dataclass
class StaticScore:
    points: float = 0.0
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def award(self, earned: bool | float, points: float, what: str) -> None:
        share = float(earned) if not isinstance(earned, bool) else (1.0 if earned else 0.0)
        self.points += points * share
        self.lines.append(f"{points * share:5.1f}/{points:<3g} {what}")

    @property
    def passed(self) -> bool:
        return self.points >= PASS_MARK


def _code_without_comments(text: str) -> str:
    text = re.sub(r'("""|\'\'\')(.*?)\1', "", text, flags=re.S)  # docstrings
    return "\n".join(re.sub(r"#.*$", "", line) for line in text.splitlines())


def _visible(markdown: str) -> str:
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"[#*_`>|\-\[\]()!]", " ", text)).strip()


def _read(root: Path, relative: str) -> str:
    path = root / relative
    return path.read_text(errors="replace") if path.is_file() else ""


def grade(root: Path) -> StaticScore:
    score = StaticScore()
    present = [f for f in REQUIRED if (root / f).is_file()]
    score.award(len(present) / len(REQUIRED), 20, "required files present")

    code = _code_without_comments(_read(root, "dags/taxi_pipeline.py"))
    score.award("NotImplementedError" not in code, 10, "no NotImplementedError stubs")
    score.award("@dag" in code and ("@task" in code or "BashOperator" in code), 5, "@dag and @task")
    names = all(re.search(rf"\b{n}", code) for n in ("ingest", "dbt_run", "dbt_test"))
    score.award(names, 10, "ingest, dbt_run and dbt_test present")
    score.award(">>" in code, 10, "a >> dependency chain")
    score.award("uvx" in code, 10, "dbt called through uvx")
    score.award("retries" in code, 10, "retries set")
    partition = re.search(r"\{\{\s*ds\s*\}\}|logical_date|get_current_context", code)
    score.award(bool(partition), 10, "partition from {{ ds }} / logical_date")
    settings = re.search(r"catchup\s*=\s*False", code) and "max_active_runs" in code
    score.award(bool(settings), 5, "catchup=False and max_active_runs")
    if re.search(r"datetime\.now\(|pendulum\.now\(", code):
        score.warnings.append("uses now(): check that the month comes from the logical date")

    runbook = _read(root, "RUNBOOK.md")
    runbook_ok = len(_visible(runbook)) >= 400 and not re.search(
        r"\bTODO\b", re.sub(r"<!--.*?-->", "", runbook, flags=re.S)
    )
    score.award(runbook_ok, 3, "RUNBOOK >= 400 visible characters, no TODO")
    score.award(len(_visible(_read(root, "AI_ASSIST.md"))) >= 100, 2, "AI_ASSIST filled in")
    score.award(
        len(_visible(_read(root, "ASSIGNMENT_REPORT.md"))) >= 200, 2, "ASSIGNMENT_REPORT filled in"
    )
    images = [p for p in root.rglob("*") if p.suffix.lower() in IMAGES]
    score.award(len(images) >= 3, 3, "at least 3 screenshots")
    score.points = round(score.points, 1)
    return score


def main(argv: list[str]) -> int:
    for folder in argv or ["."]:
        result = grade(Path(folder))
        print(f"{folder}: {result.points:g}/100 ({'PASS' if result.passed else 'FAIL'})")
        for line in result.lines + [f"warning: {w}" for w in result.warnings]:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
