"""The status as an HTML page for the projector (jinja2, autoescaped) and a PNG chart."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from class_airflow.files import atomic_write_text
from class_airflow.status import ClassStatus

STATE_COLOURS = {"success": "#2e7d32", "failed": "#c62828", None: "#9e9e9e"}


def chart(status: ClassStatus, target: Path) -> None:
    """Rows loaded per student, coloured by their last run's state."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [row.student for row in status.students]
    rows = [row.total_rows for row in status.students]
    colours = [STATE_COLOURS.get(row.last_run_state, "#f9a825") for row in status.students]
    figure, axes = plt.subplots(figsize=(max(8.5, 0.45 * len(names) + 2), 4.5), dpi=100)
    axes.bar(names, rows, color=colours)
    top = max(rows, default=0) or 1
    for index, row in enumerate(status.students):
        if row.held_commit:  # a change of theirs waits behind the gate
            axes.text(
                index,
                top * 0.02,
                "held",
                rotation=90,
                ha="center",
                va="bottom",
                color="#c62828",
                fontsize=8,
            )
    axes.set_ylabel("rows in raw_trips")
    axes.set_title(
        "The class Airflow: rows per student\n(green: last run succeeded, red: failed, "
        "grey: no run; 'held': a change waits at the gate)",
        fontsize=9,
    )
    axes.tick_params(axis="x", labelrotation=60)
    figure.tight_layout()
    figure.savefig(target)
    plt.close(figure)


def write(status: ClassStatus, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    chart(status, folder / "class_status.png")
    environment = Environment(
        loader=PackageLoader("class_airflow", "templates"), autoescape=select_autoescape(["html"])
    )
    page = environment.get_template("status.html").render(status=status, chart="class_status.png")
    target = folder / "class_status.html"
    atomic_write_text(target, page)
    return target
