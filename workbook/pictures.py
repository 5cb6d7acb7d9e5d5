"""Pictures drawn from real objects: a DAG's graph, its timetable's runs, a run's task durations.

Everything is drawn with matplotlib's Agg backend into PNG bytes, so no display, pyplot state
or graphviz binary is needed. Each function returns a `Picture`, which Jupyter shows inline.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

STATE_COLOURS = {
    "success": "#2e7d32",
    "failed": "#c62828",
    "upstream_failed": "#ef6c00",
    "skipped": "#ec407a",
    "up_for_retry": "#f9a825",
    "running": "#64b5f6",
    "none": "#9e9e9e",
}
NEUTRAL = "#455a64"


@dataclass(frozen=True)
class Picture:
    """A rendered PNG; Jupyter shows it, `.png` holds the bytes."""

    png: bytes
    title: str

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return f"<Picture: {self.title}>"


def _render(fig: Figure, title: str) -> Picture:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return Picture(buffer.getvalue(), title)


# ---------------------------------------------------------------------------------------------
# Graphs
# ---------------------------------------------------------------------------------------------


def _layers(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Each node's column: the length of the longest path that reaches it."""
    upstream: dict[str, list[str]] = {node: [] for node in nodes}
    for a, b in edges:
        upstream[b].append(a)
    layer: dict[str, int] = {}

    def depth(node: str, seen: tuple[str, ...] = ()) -> int:
        if node in seen:
            raise ValueError(f"the edges contain a cycle through {node!r}")
        if node not in layer:
            layer[node] = 1 + max((depth(u, (*seen, node)) for u in upstream[node]), default=-1)
        return layer[node]

    for node in nodes:
        depth(node)
    return layer


def graph(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    states: dict[str, str] | None = None,
    title: str = "",
) -> Picture:
    """Boxes and arrows, left to right; boxes coloured by task state when `states` is given."""
    layer = _layers(nodes, edges)
    columns: dict[int, list[str]] = {}
    for node in nodes:
        columns.setdefault(layer[node], []).append(node)
    height = max(len(c) for c in columns.values())
    position: dict[str, tuple[float, float]] = {}
    for col, members in columns.items():
        for row, node in enumerate(members):
            position[node] = (col * 3.2, (height - 1) / 2 - row * 1.2 + (len(members) - 1) * 0.6)
    width = max(4.0, 3.0 * len(columns))
    fig = Figure(figsize=(width, 0.9 + 0.9 * height))
    ax = fig.subplots()
    for a, b in edges:
        (xa, ya), (xb, yb) = position[a], position[b]
        span = layer[b] - layer[a]
        # Arrows that skip a column bend around the boxes in between.
        bend = 0.0 if span == 1 else (0.25 if yb <= ya else -0.25)
        ax.annotate(
            "",
            xy=(xb - 1.25, yb),
            xytext=(xa + 1.25, ya),
            arrowprops={
                "arrowstyle": "-|>",
                "color": NEUTRAL,
                "lw": 1.2,
                "connectionstyle": f"arc3,rad={bend}",
            },
            zorder=1,
        )
    for node, (x, y) in position.items():
        state = (states or {}).get(node)
        colour = STATE_COLOURS.get(state or "", "#eceff1") if states else "#e3f2fd"
        ax.add_patch(
            FancyBboxPatch(
                (x - 1.2, y - 0.35),
                2.4,
                0.7,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                facecolor=colour,
                edgecolor=NEUTRAL,
                zorder=3,
            )
        )
        text_colour = "white" if states and state in STATE_COLOURS else "#263238"
        label = node if not state else f"{node}\n{state}"
        ax.text(x, y, label, ha="center", va="center", fontsize=9, color=text_colour, zorder=4)
    xs = [x for x, _ in position.values()]
    ys = [y for _, y in position.values()]
    ax.set_xlim(min(xs) - 1.4, max(xs) + 1.4)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
    return _render(fig, title or "graph")


def dag_graph(dag: Any, report: Any = None, title: str | None = None) -> Picture:
    """The DAG's tasks and edges; with a RunReport, each task coloured by how it ended."""
    nodes = [t.task_id for t in dag.topological_sort()]
    edges = [(t.task_id, d) for t in dag.topological_sort() for d in sorted(t.downstream_task_ids)]
    states = {tid: t.state for tid, t in report.tasks.items()} if report is not None else None
    if title is None:
        title = dag.dag_id
        if report is not None:
            when = report.logical_date.strftime("%Y-%m-%d") if report.logical_date else "no date"
            title += f" — run for {when}"
    return graph(nodes, edges, states=states, title=title)


# ---------------------------------------------------------------------------------------------
# Gantt chart of one run
# ---------------------------------------------------------------------------------------------


def gantt(report: Any, title: str | None = None) -> Picture:
    """When each task of a real run started and ended (the last try), on one time axis."""
    tasks = list(report.tasks.values())
    started = [t.start for t in tasks if t.start is not None]
    if not started:
        raise ValueError("no task of this run started, so there is nothing to draw")
    zero = min(started)
    fig = Figure(figsize=(8, 0.6 + 0.5 * len(tasks)))
    ax = fig.subplots()
    for row, task in enumerate(tasks):
        y = len(tasks) - 1 - row
        if task.start is None or task.end is None:
            ax.text(0, y, f"  did not run ({task.state})", va="center", fontsize=9, color=NEUTRAL)
            continue
        begin = (task.start - zero).total_seconds()
        length = max((task.end - task.start).total_seconds(), 0.02)
        ax.barh(y, length, left=begin, color=STATE_COLOURS.get(task.state, NEUTRAL), height=0.6)
        tries = f", {task.tries} tries" if task.tries > 1 else ""
        ax.text(begin + length, y, f" {length:.2f}s{tries}", va="center", fontsize=8)
    ax.set_yticks(range(len(tasks)), [t.task_id for t in reversed(tasks)])
    ax.set_xlabel("seconds since the first task started (last try of each task)")
    ax.grid(axis="x", alpha=0.3)
    when = report.logical_date.strftime("%Y-%m-%d") if report.logical_date else "no logical date"
    title = title or f"{report.dag_id} — run for {when}"
    ax.set_title(title, fontsize=11)
    ax.set_xlim(0, max(ax.get_xlim()[1], 0.5) * 1.15)
    return _render(fig, title)


# ---------------------------------------------------------------------------------------------
# Timetables
# ---------------------------------------------------------------------------------------------


def schedule_timeline(rows: dict[str, Sequence[Any]], title: str = "") -> Picture:
    """One panel per schedule: each run's data interval (bar), logical date (●), run time (▲).

    `rows` maps a label to the runs `workbook.schedules.planned_runs` computed for it.
    """
    fig = Figure(figsize=(9, 1.2 + 1.5 * len(rows)))
    axes = fig.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, runs) in zip(axes, rows.items(), strict=True):
        for y, run in enumerate(runs):
            start, end = run.interval_start, run.interval_end
            if start is not None and end is not None and end > start:
                ax.plot([start, end], [y, y], color="#90caf9", lw=7, solid_capstyle="butt")
            if run.logical_date is not None:
                ax.plot(run.logical_date, y, "o", color="#1565c0", ms=7)
            ax.plot(run.run_after, y, "^", color="#c62828", ms=7)
            if run.logical_date is not None and run.logical_date != run.run_after:
                ax.annotate(
                    "",
                    xy=(run.run_after, y),
                    xytext=(run.logical_date, y),
                    arrowprops={"arrowstyle": "->", "color": NEUTRAL, "lw": 0.8},
                )
        ax.set_yticks(
            range(len(runs)),
            [r.logical_date.strftime("%b %d") if r.logical_date else "—" for r in runs],
            fontsize=8,
        )
        ax.set_ylim(-0.7, len(runs) - 0.3)
        ax.invert_yaxis()
        ax.set_title(label, fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    axes[0].plot([], [], "o", color="#1565c0", label="logical date")
    axes[0].plot([], [], "^", color="#c62828", label="run starts (run_after)")
    axes[0].plot([], [], color="#90caf9", lw=7, label="data interval")
    axes[0].legend(loc="upper right", fontsize=8, ncols=3)
    fig.autofmt_xdate()
    if title:
        fig.suptitle(title, fontsize=11)
    return _render(fig, title or "schedule timeline")


def catchup_flood(
    runs: Sequence[Any],
    latest_published: str,
    outcomes: dict[str, str] | None = None,
    title: str = "",
) -> Picture:
    """Every run catchup would queue, one bar per logical date; red where the month is not
    published yet (the source answers 403). `outcomes` marks runs that really ran."""
    months = [r.logical_date.strftime("%Y-%m") for r in runs]
    fig = Figure(figsize=(max(6.0, 0.28 * len(runs)), 2.8))
    ax = fig.subplots()
    for x, month in enumerate(months):
        published = month <= latest_published
        ax.bar(x, 1, color="#66bb6a" if published else "#e53935", width=0.8)
        if outcomes and month in outcomes:
            mark = "✓" if outcomes[month] == "success" else "✗"
            ax.text(x, 1.05, mark, ha="center", fontsize=11)
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step), months[::step], rotation=45, fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(0, 1.3)
    ax.legend(
        handles=[
            Patch(color="#66bb6a", label=f"published (up to {latest_published})"),
            Patch(color="#e53935", label="not published yet: 403"),
        ],
        loc="upper left",
        fontsize=8,
        ncols=2,
    )
    title = title or f"{len(runs)} runs queued at once by catchup=True"
    ax.set_title(title, fontsize=11)
    return _render(fig, title)


def bars(values: dict[str, float], *, title: str, unit: str = "") -> Picture:
    """A plain horizontal bar chart (row counts per month, bytes per task)."""
    fig = Figure(figsize=(7, 0.6 + 0.35 * len(values)))
    ax = fig.subplots()
    labels = list(values)
    ax.barh(range(len(values)), list(values.values()), color="#42a5f5")
    for y, value in enumerate(values.values()):
        ax.text(value, y, f" {value:,.0f}{unit}", va="center", fontsize=8)
    ax.set_yticks(range(len(values)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=11)
    ax.set_xlim(0, max(list(values.values()) + [1]) * 1.25)
    return _render(fig, title)


def moments(points: dict[str, datetime], title: str) -> Picture:
    """A few labelled moments on one time axis (e.g. the same start_date in two time zones)."""
    fig = Figure(figsize=(8, 0.8 + 0.4 * len(points)))
    ax = fig.subplots()
    for y, (label, moment) in enumerate(points.items()):
        ax.plot(moment, y, "o", color="#1565c0")
        ax.text(moment, y, f"  {label}: {moment:%Y-%m-%d %H:%M} UTC", va="center", fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.8, len(points) - 0.2)
    ax.xaxis.set_major_formatter(DateFormatter("%d %b %H:%M"))
    ax.set_title(title, fontsize=11)
    fig.autofmt_xdate()
    return _render(fig, title)
