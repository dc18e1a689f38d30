"""``feedback``: one HTML page per student and assignment.

Built with nbgrader's ``GenerateFeedback`` (the autograded notebook with the points of
every cell) plus two preprocessors of ours:

* :class:`StripHiddenTests` removes any hidden-test block and grader-internal cell
  that might have survived (the sandboxed grader already replaces hidden tests by a
  one-line placeholder, so this is a second lock on the door);
* :class:`GradingSummary` puts a summary at the top: for every autograded test the
  points and the verdict with its reason (which never contains reference values),
  the runtime faults (timeouts, a crashed kernel, truncated output) and the integrity
  notes for the instructor.

A submission that could not be graded gets a short page with the reason instead.
"""

from __future__ import annotations

import html
import re

from nbformat.v4 import new_markdown_cell
from traitlets import Unicode
from traitlets.config import Config

from nbgrader.preprocessors import NbGraderPreprocessor

from .course import HIDDEN_BLOCK, CourseError
from .ledger import Ledger

__all__ = ["feedback", "summary_markdown"]


class StripHiddenTests(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if "rnngrade" not in c.get("metadata", {})]
        for cell in nb.cells:
            text = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            if "BEGIN HIDDEN TESTS" in text:
                cell.source = HIDDEN_BLOCK.sub("# (hidden tests)\n", text)
        return nb, resources


def summary_markdown(row):
    """Markdown summary of a ledger row (used by the feedback page)."""
    d = row["details"]
    lines = ["## Grading summary", "",
             f"**Score: {row['score']:g} / {row['max_score']:g}** "
             "(written answers are graded by hand and may still change the total).", "",
             "| test | points | result |", "|---|---|---|"]
    for gid, cell in d.get("cells", {}).items():
        verdict = d.get("verdicts", {}).get(gid)
        if verdict is None:
            result = "graded by hand" if cell.get("auto") is None else ""
        else:
            result = ("passed" if verdict["passed"] else "**failed**") + ": " + verdict["reason"]
        score = "–" if cell.get("score") is None else f"{cell['score']:g}"
        lines.append(f"| `{gid}` | {score} / {cell['max']:g} | {result} |")
    if d.get("faults"):
        lines += ["", "### What happened while your notebook ran", ""]
        lines += [f"- {f}" for f in d["faults"]]
    if d.get("flags"):
        lines += ["", "### Notes for the instructor to review", ""]
        lines += [f"- {f}" for f in d["flags"]]
    return "\n".join(lines)


class GradingSummary(NbGraderPreprocessor):
    db_url = Unicode("").tag(config=True)

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        ledger = Ledger(self.db_url)
        try:
            row = ledger.get(meta["assignment"], meta["student"])
        finally:
            ledger.dispose()
        if row is not None and row["status"] == "graded":
            import json
            row["details"] = json.loads(row["details"] or "{}")
            nb.cells.insert(0, new_markdown_cell(summary_markdown(row)))
        return nb, resources


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 50em; margin: 3em auto">
<h1>{title}</h1><p>{body}</p></body></html>
"""


def feedback(course, assignments=None, students=None, log=print):
    """Write feedback pages for graded (and failed) submissions; return their paths."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    ledger = Ledger(course.db_url)
    try:
        rows = [r for r in ledger.rows()
                if (not assignments or r["assignment"] in assignments)
                and (not students or r["student"] in students)]
    finally:
        ledger.dispose()
    if not rows:
        raise CourseError("nothing has been graded yet for this selection; run `grade` first")
    c = Config()
    c.GenerateFeedback.preprocessors = [StripHiddenTests, GradingSummary, GetGrades,
                                        CSSHTMLHeaderPreprocessor]
    c.GradingSummary.db_url = course.db_url
    api = course.api(c)
    written = []
    for row in sorted(rows, key=lambda r: (r["assignment"], r["student"])):
        a, s = row["assignment"], row["student"]
        out_dir = course.path("feedback", s, a)
        if row["status"] != "graded":
            out_dir.mkdir(parents=True, exist_ok=True)
            page = out_dir / f"{a}.html"
            page.write_text(_PAGE.format(
                title=html.escape(f"{a}: not graded"),
                body=html.escape(f"Your submission could not be graded: {row['reason']}. "
                                 "Fix the file and submit again, or ask your instructor.")),
                encoding="utf-8")
            written.append(page)
            continue
        result = api.generate_feedback(a, s, force=True)
        if not result["success"]:
            raise CourseError(f"feedback for {a}/{s} failed: "
                              + _first_error(result.get("log", "")))
        written += sorted(out_dir.glob("*.html"))
    log(f"wrote {len(written)} feedback page(s) under {course.path('feedback')}")
    return written


def _first_error(log):
    for line in log.splitlines():
        if re.search(r"(Error|Exception):", line):
            return line.strip()[:300]
    return "see the log"
