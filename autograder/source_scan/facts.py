"""What the static scan found: findings with their place, start_date verdicts, all of it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}"


@dataclass(frozen=True)
class StartDate:
    line: int
    verdict: str  # "aware" | "naive" | "dynamic" | "unknown"
    source: str


@dataclass
class SourceFacts:
    file: str = "dags/taxi_pipeline.py"
    parsed: bool = False
    syntax_error: str | None = None
    import_time_io: list[Finding] = field(default_factory=list)
    wall_clock_month: list[Finding] = field(default_factory=list)
    wall_clock_other: list[Finding] = field(default_factory=list)
    start_dates: list[StartDate] = field(default_factory=list)
    catchup: list[tuple[int, object]] = field(default_factory=list)  # (line, value)
    stubs: list[Finding] = field(default_factory=list)
    legacy_imports: list[Finding] = field(default_factory=list)
    removed_words: list[Finding] = field(default_factory=list)
