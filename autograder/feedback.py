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
import os
import re
import shutil

from nbformat.v4 import new_markdown_cell
from traitlets import Unicode
from traitlets.config import Config

from nbgrader.preprocessors import NbGraderPreprocessor

from .course import HIDDEN_BLOCK, REPO, Course, CourseError
from .ledger import Ledger

__all__ = ["feedback", "summary_markdown"]


class StripHiddenTests(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        for cell in nb.cells:
            text = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            if "BEGIN HIDDEN TESTS" in text:
                cell.source = HIDDEN_BLOCK.sub("# (hidden tests)\n", text)
        return nb, resources


def late_markdown(late):
    """One paragraph on lateness for the student (``late`` from ``late_summary``)."""
    if not late:
        return ""
    seconds, extension, penalty, policy = late
    ext = f" (your due date includes an extension of {extension:g} h)" if extension else ""
    if seconds <= 0:
        return f"Submitted on time{ext}."
    hours = seconds / 3600
    text = f"Submitted {hours:.1f} h after the due date{ext}. Late policy: {policy}. "
    if penalty:
        return text + f"Penalty: **{penalty:g}%** of the score."
    return text + "No penalty applies."


def summary_markdown(row, late=None):
    """Markdown summary of a ledger row (used by the feedback page)."""
    d = row["details"]
    lines = ["## Grading summary", "",
             f"**Score: {row['score']:g} / {row['max_score']:g}** "
             "(written answers are graded by hand and may still change the total).", ""]
    late_text = late_markdown(late)
    if late_text:
        lines += [late_text, ""]
    lines += ["| test | points | result |", "|---|---|---|"]
    for gid, cell in d.get("cells", {}).items():
        verdict = d.get("verdicts", {}).get(gid)
        if verdict is None:
            result = "graded by hand" if cell.get("auto") is None else ""
        else:
            result = ("passed" if verdict["passed"] else "**failed**") + ": " + verdict["reason"]
        score = "–" if cell.get("score") is None else f"{cell['score']:g}"
        result = result.replace("|", "\\|")
        lines.append(f"| `{gid}` | {score} / {cell['max']:g} | {result} |")
    if d.get("faults"):
        lines += ["", "### What happened while your notebook ran", ""]
        lines += [f"- {f}" for f in d["faults"]]
    # Integrity flags are for the instructor (submissions.csv), never on this page.
    return "\n".join(lines)


class GradingSummary(NbGraderPreprocessor):
    db_url = Unicode("").tag(config=True)
    course_root = Unicode("").tag(config=True)

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
            late = late_summary(Course(self.course_root, self.db_url), meta["assignment"],
                                meta["student"])
            nb.cells.insert(0, new_markdown_cell(summary_markdown(row, late)))
        return nb, resources


def late_summary(course, assignment, student):
    """(seconds late, extension hours, penalty percent, policy text), or None."""
    from datetime import timezone

    from .collect import read_lms_record
    from .deadlines import LatePolicy
    from .export import late_info, submitted_time
    with course.gradebook() as gb:
        a = gb.find_assignment(assignment)
        sub = gb.find_submission(assignment, student)
        due = a.duedate.replace(tzinfo=timezone.utc) if a.duedate else None
        stamp = submitted_time(course, assignment, student) or (
            sub.timestamp.replace(tzinfo=timezone.utc) if sub.timestamp else None)
    if due is None:
        return None
    lms = read_lms_record(course, assignment).get(student)
    seconds, ext, penalty, _ = late_info(course, assignment, student, due, stamp, lms)
    if stamp is None and not (lms or {}).get("submitted_at"):
        return None
    policy = LatePolicy.from_dict(course.settings.get("late_policy", {})).describe()
    return seconds, ext, penalty, policy


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
    c.GradingSummary.course_root = str(course.root)
    mathjax = _vendor_mathjax(course, log)
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
        for page in sorted(out_dir.glob("*.html")):
            _offline_page(page, mathjax)
            written.append(page)
    log(f"wrote {len(written)} feedback page(s) under {course.path('feedback')}")
    return written


# MathJax 3 from the book's npm packages: one self-contained file (SVG output needs no
# fonts), copied once per course into feedback/_static and loaded by a relative path.
MATHJAX = REPO / "node_modules" / "mathjax" / "es5" / "tex-svg-full.js"
_MATHJAX2 = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_STYLE = """<style>
.rnn-summary table, div.text_cell_render table { border-collapse: collapse; margin: 1em 0;
  font-size: 14px; }
.rnn-summary th, .rnn-summary td, div.text_cell_render th, div.text_cell_render td {
  border: 1px solid #c8c8c8; padding: 0.35em 0.7em; text-align: left; vertical-align: top; }
div.text_cell_render tr:nth-child(even) { background: #f5f5f5; }
div.text_cell_render th { background: #e8eef7; }
</style>"""


def _vendor_mathjax(course, log):
    """Copy MathJax into the course's feedback folder; its path, or None if unavailable."""
    if not MATHJAX.is_file():
        log("warning: MathJax is not installed (run `make assets`); feedback formulas "
            "will show as LaTeX source")
        return None
    target = course.path("feedback", "_static", "mathjax", MATHJAX.name)
    if not target.is_file() or target.stat().st_size != MATHJAX.stat().st_size:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MATHJAX, target)
        license_file = MATHJAX.parent.parent / "LICENSE"
        if license_file.is_file():
            shutil.copyfile(license_file, target.parent / "LICENSE")
    return target


def _offline_page(page, mathjax):
    """Swap nbgrader's MathJax 2 from a CDN for the vendored MathJax 3; style tables."""
    text = page.read_text(encoding="utf-8")
    if mathjax is not None:
        rel = os.path.relpath(mathjax, page.parent).replace(os.sep, "/")
        block = ("<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', "
                 "'\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], "
                 "processEscapes: true, tags: 'ams'}, svg: {fontCache: 'global'}};</script>\n"
                 f'<script src="{html.escape(rel)}" defer></script>')
    else:
        block = ""
    text = _MATHJAX2.sub(lambda _: block + "\n" + _STYLE, text, count=1)
    page.write_text(text, encoding="utf-8")


def _first_error(log):
    for line in log.splitlines():
        if re.search(r"(Error|Exception):", line):
            return line.strip()[:300]
    return "see the log"
