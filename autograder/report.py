"""``report``: an HTML page with plots of how the class did.

For each assignment: a histogram of the total scores, and the fail rate of every
autograded test cell (which gradient do students get wrong most), plus counts of
submissions that could not be graded and of integrity flags. The plots are PNG files
next to ``report.html``, which embeds them.
"""

from __future__ import annotations

import html
from collections import defaultdict

from .course import CourseError
from .export import collect_rows

__all__ = ["report"]


def _plot_scores(ax, scores, max_score, title):
    import numpy as np
    bins = np.linspace(0, max_score, min(int(max_score) + 2, 21)) if max_score else 10
    ax.hist(scores, bins=bins, color="#4472c4", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(title)
    ax.set_xlim(0, max_score or 1)
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))     # counts of students


def _plot_fail_rates(ax, rates, title):
    names = list(rates)
    values = [rates[n] for n in names]
    ax.barh(names, values, color="#c0504d")
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of graded submissions that fail this test")
    ax.set_title(title)
    ax.invert_yaxis()
    for y, v in enumerate(values):
        ax.text(min(v + 0.02, 0.9), y, f"{v:.0%}", va="center")


def report(course, log=print):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assignments, students, maxima, subs, cells = collect_rows(course)
    graded = [r for r in subs if r["status"] in ("graded", "pending")]
    if not graded:
        raise CourseError("nothing has been graded yet; run `grade` first")
    out = course.path("reports")
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for a in assignments:
        rows = [r for r in graded if r["assignment"] == a]
        if not rows:
            continue
        failed_to_grade = sum(1 for r in subs if r["assignment"] == a and r["status"] == "failed")
        flagged = sum(1 for r in subs if r["assignment"] == a and r["flags"])
        fails, totals = defaultdict(int), defaultdict(int)
        for c in cells:
            if c["assignment"] == a and c["verdict"]:
                totals[c["grade_id"]] += 1
                fails[c["grade_id"]] += c["verdict"] == "failed"
        rates = {g: fails[g] / totals[g] for g in totals}
        fig, axes = plt.subplots(1, 2, figsize=(11, max(3.2, 0.45 * len(rates) + 1.5)))
        _plot_scores(axes[0], [r["score"] for r in rows], maxima[a],
                     f"{a}: scores ({len(rows)} graded)")
        _plot_fail_rates(axes[1], rates, f"{a}: fail rate per test")
        fig.tight_layout()
        png = out / f"{a}.png"
        fig.savefig(png, dpi=110)
        plt.close(fig)
        mean = sum(r["score"] for r in rows) / len(rows)
        worst = max(rates, key=rates.get) if rates else None
        sections.append(
            f"<h2>{html.escape(a)}</h2>"
            f"<p>{len(rows)} graded, mean {mean:.2f} / {maxima[a]:g}; "
            f"{failed_to_grade} could not be graded; {flagged} with integrity notes."
            + (f" Most failed test: <code>{html.escape(worst)}</code> ({rates[worst]:.0%})."
               if worst else "")
            + f"</p><img src=\"{png.name}\" alt=\"scores and fail rates for {html.escape(a)}\" "
            "style=\"max-width: 100%\">")
    page = out / "report.html"
    page.write_text(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Grading report</title></head><body style=\"font-family: sans-serif; "
        "max-width: 70em; margin: 2em auto\"><h1>Grading report</h1>"
        + "".join(sections) + "</body></html>", encoding="utf-8")
    log(f"wrote {page}")
    return page
