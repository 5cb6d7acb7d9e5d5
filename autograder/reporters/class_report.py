"""The class report: per-check pass rates as a picture (pass_rates.png) and a page."""

from __future__ import annotations

import html
import io
from pathlib import Path

from autograder.files import atomic_write_bytes, atomic_write_text
from autograder.reporters.gradebook import summary
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
    e = html.escape
    data = summary(result)
    check_rows = "".join(
        f"<tr><td><code>{e(cid)}</code></td><td>{e(c['title'])}</td><td>{c['visibility']}</td>"
        f"<td>{c['pass_rate'] * 100:.0f}%</td><td>{c['mean_score']:g} / {c['points']:g}</td></tr>"
        for cid, c in data["checks"].items()
    )
    student_rows = "".join(
        f"<tr><td><a href='feedback/{e(r.student)}.html'>{e(r.student)}</a></td>"
        f"<td>{r.score:g} / {r.max_score:g}</td><td>{e(r.tier)}</td>"
        f"<td>{e(r.error or '')}</td></tr>"
        for r in result.results
    )
    tiers = ", ".join(f"{k}: {v}" for k, v in sorted(data["tiers"].items()))
    notes = "".join(f"<p><strong>Note:</strong> {e(note)}</p>" for note in result.notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Week 11 class report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; margin-bottom: 2rem; }}
td, th {{ padding: .25rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }}
</style></head><body>
<h1>Week 11 class report</h1>
<p>{data["students"]} students &middot; mean {data["mean_score"]:g} &middot; median
{data["median_score"]:g} of {data["max_score"]:g} &middot; tiers: {e(tiers)}</p>
{notes}
<img src="pass_rates.png" alt="Pass rate per check" style="max-width:100%">
<h2>Checks</h2>
<table><tr><th>id</th><th>check</th><th>visibility</th><th>pass rate</th><th>mean</th></tr>
{check_rows}</table>
<h2>Students</h2>
<table><tr><th>student</th><th>score</th><th>tier</th><th>not graded because</th></tr>
{student_rows}</table>
</body></html>
"""


def write_class_report(out_dir: Path, result: ClassResult) -> None:
    if result.results:
        atomic_write_bytes(out_dir / "pass_rates.png", pass_rate_png(result))
    atomic_write_text(out_dir / "class_report.html", render_html(result))
