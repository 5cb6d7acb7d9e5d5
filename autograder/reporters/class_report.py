"""The class report: per-check pass rates as a picture (pass_rates.png) and a page
(class_report.html, from `templates/class_report.html.j2`)."""

from __future__ import annotations

import io
from pathlib import Path

from autograder.files import atomic_write_bytes, atomic_write_text
from autograder.reporters.gradebook import summary
from autograder.reporters.html import render
from autograder.results import ClassResult

COLOURS = {"integrity": "#1565c0", "airflow3": "#6a1b9a", "docs": "#2e7d32", "behaviour": "#ef6c00"}


def pass_rate_png(result: ClassResult) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    checks = summary(result)["checks"]
    ids = list(checks)[::-1]
    rates = [checks[i]["pass_rate"] * 100 for i in ids]
    colours = [COLOURS.get(i.split("_", 1)[0], "#555") for i in ids]
    figure, axes = plt.subplots(figsize=(9, 0.32 * len(ids) + 1.2), dpi=100)
    axes.barh(ids, rates, color=colours)
    axes.set_xlim(0, 100)
    axes.set_xlabel(f"% of {len(result.results)} students passing")
    axes.set_title("Week 11: pass rate per check")
    for y, rate in enumerate(rates):
        axes.text(min(rate + 1, 92), y, f"{rate:.0f}%", va="center", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def render_html(result: ClassResult) -> str:
    data = summary(result)
    return render(
        "class_report.html.j2",
        summary=data,
        checks=data["checks"],
        results=result.results,
        tiers=", ".join(f"{k}: {v}" for k, v in sorted(data["tiers"].items())),
        notes=result.notes,
    )


def write_class_report(out_dir: Path, result: ClassResult) -> None:
    if result.results:
        atomic_write_bytes(out_dir / "pass_rates.png", pass_rate_png(result))
    atomic_write_text(out_dir / "class_report.html", render_html(result))
