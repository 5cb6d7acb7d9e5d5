"""Self-checks of chapter 01, Introduction to Orchestration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from workbook.selfchecks.registry import (
    Hint,
    answer_list,
    exercise,
    filled,
    free_text,
    mentions,
    need,
)

if TYPE_CHECKING:
    from workbook.session import Workbook

RISK_TOPICS = {
    "people forget or are away": ("forget", "human", "holiday", "sick", "away", "person", "miss"),
    "steps run in the wrong order or get skipped": ("order", "skip", "sequence", "wrong step"),
    "failures go unnoticed": ("notice", "silent", "unnoticed", "alert", "nobody", "visib", "know"),
    "reruns duplicate data": ("twice", "duplicat", "rerun", "double", "again"),
    "results arrive late or stale": ("late", "stale", "delay", "outdated", "on time", "old data"),
    "no record of what ran": ("log", "history", "record", "audit", "trace"),
    "half-finished runs leave bad data": ("partial", "half", "inconsist", "corrupt", "wrong"),
    "transient errors are not retried": ("retr", "transient", "timeout", "network"),
}
SKETCH_STEPS = ("ingest", "transform", "test", "notify")


@exercise(
    "ch01_scheduling_vs_orchestration",
    success="you named both sides: when things start, and what runs in which order and how "
    "failures are handled",
)
def scheduling_vs_orchestration(wb: Workbook, answer: object) -> None:
    free_text(
        answer,
        "ex_scheduling_vs_orchestration",
        80,
        [
            (
                ("when", "time", "schedul", "cron", "start", "trigger"),
                "Say what scheduling decides: *when* a job starts.",
            ),
            (
                ("order", "depend", "sequence", "after", "before", "downstream", "upstream"),
                "Orchestration also decides the *order* of the steps: mention dependencies.",
            ),
            (
                ("fail", "retr", "recover", "error", "alert", "notif", "block"),
                "What does an orchestrator do when a step fails? Your answer does not say yet.",
            ),
        ],
    )


@exercise("ch01_manual_risks", success="three different risks; an orchestrator answers each one")
def manual_risks(wb: Workbook, risks: object) -> None:
    given = answer_list(risks, "ex_manual_risks", 'ex_manual_risks should be a list: ["...", ...].')
    texts = [str(r).strip() for r in given if str(r).strip()]
    need(len(texts) >= 3, f"You listed {len(texts)} risk(s); name three.")
    need(len({t.lower() for t in texts}) == len(texts), "Two of your risks are the same text.")
    need(all(len(t) >= 10 for t in texts), "Write each risk as a short sentence, not one word.")
    topics = {name for name, words in RISK_TOPICS.items() for t in texts if mentions(t, *words)}
    need(
        len(topics) >= 2,
        "Your risks sound alike. Think wider: people forgetting, steps in the wrong order, "
        "failures nobody notices, duplicated data after a rerun, stale dashboards.",
    )


@exercise("ch01_sketch_dag", success="ingest → transform → test → notify, in that order")
def sketch_dag(wb: Workbook, edges: object) -> None:
    pairs = _edge_pairs(edges)
    nodes = {n for pair in pairs for n in pair}
    named = {}
    for word in SKETCH_STEPS:
        matches = [n for n in nodes if word in n.lower()]
        need(matches, f"No task name contains {word!r}; the sketch needs a {word} step.")
        named[word] = matches[0]
    from workbook import pictures

    try:
        pictures._layers(sorted(nodes), pairs)
    except ValueError:
        raise Hint("Your edges form a loop: a DAG may never lead back to a task.") from None
    for before, after in zip(SKETCH_STEPS, SKETCH_STEPS[1:], strict=False):
        need(
            _has_path(pairs, named[before], named[after]),
            f"Nothing leads from {named[before]!r} to {named[after]!r}: "
            f"{after} must wait for {before}.",
        )
    need(
        not any(a == named["notify"] for a, _ in pairs),
        "notify should be the last step: nothing should wait for it.",
    )


def _edge_pairs(edges: object) -> list[tuple[str, str]]:
    filled(edges, "ex_edges")
    pairs_ok = isinstance(edges, list | tuple) and all(
        isinstance(e, tuple | list) and len(e) == 2 for e in edges
    )
    need(pairs_ok, 'Write each edge as a pair in parentheses: ("ingest", "transform").')
    return [(str(a), str(b)) for a, b in cast("Sequence[Sequence[object]]", edges)]


def _has_path(edges: Sequence[tuple[str, str]], start: str, end: str) -> bool:
    frontier, seen = [start], set()
    while frontier:
        node = frontier.pop()
        if node == end:
            return True
        seen.add(node)
        frontier += [b for a, b in edges if a == node and b not in seen]
    return False
