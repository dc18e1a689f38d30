"""``export``: grades for the LMS, plus the detail behind them.

``exports/grades.csv``
    Canvas-style gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``
    and one column per assignment, with a ``Points Possible`` row. A submission that
    could not be graded (or was never submitted) is left **empty**, never 0, so the LMS
    does not record a zero the student did not earn.
``exports/submissions.csv``
    One row per submission: status (``graded``, ``failed``, ``not graded``), the reason
    for a failure, score, late penalty, seconds late, runtime faults and integrity flags.
``exports/grade_cells.csv``
    One row per test cell: automatic and manual score, verdict and its reason.
"""

from __future__ import annotations

import csv

from .course import CourseError
from .ledger import Ledger

__all__ = ["export", "collect_rows"]


def collect_rows(course):
    """Everything the exports and the report need, from the gradebook and the ledger."""
    ledger = Ledger(course.db_url)
    try:
        results = {(r["assignment"], r["student"]): r for r in ledger.rows()}
    finally:
        ledger.dispose()
    subs, cells, students, maxima = [], [], set(), {}
    with course.gradebook() as gb:
        assignments = sorted(a.name for a in gb.assignments)
        for a in gb.assignments:
            maxima[a.name] = a.max_score
        students = {s.id for s in gb.students} | {s for _, s in results}
        for a in assignments:
            for s in sorted(students):
                r = results.get((a, s))
                if r is None:
                    continue
                row = {"assignment": a, "student": s, "status": r["status"],
                       "reason": r["reason"] or "", "score": None, "max_score": maxima[a],
                       "late_penalty": 0.0, "seconds_late": 0.0,
                       "faults": " | ".join(r["details"].get("faults", [])),
                       "flags": " | ".join(r["details"].get("flags", []))}
                if r["status"] == "graded":
                    sub = gb.find_submission(a, s)
                    penalty = sub.late_submission_penalty or 0.0
                    row.update(score=max(0.0, sub.score - penalty), late_penalty=penalty,
                               seconds_late=sub.total_seconds_late)
                    verdicts = r["details"].get("verdicts", {})
                    for nb in sub.notebooks:
                        for g in nb.grades:
                            v = verdicts.get(g.name)
                            cells.append({
                                "assignment": a, "student": s, "grade_id": g.name,
                                "score": g.score, "max_score": g.max_score,
                                "auto_score": g.auto_score, "manual_score": g.manual_score,
                                "verdict": "" if v is None else ("passed" if v["passed"] else "failed"),
                                "reason": "" if v is None else v["reason"]})
                subs.append(row)
    return assignments, sorted(students), maxima, subs, cells


def _write(path, header, rows):
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)          # readers never see a half-written file


def export(course, log=print):
    assignments, students, maxima, subs, cells = collect_rows(course)
    if not assignments:
        raise CourseError("the gradebook has no assignments; run `release` first")
    out = course.path("exports")
    out.mkdir(parents=True, exist_ok=True)
    by = {(r["assignment"], r["student"]): r for r in subs}

    def fmt(x):
        return "" if x is None else f"{x:g}"

    rows = [["Points Possible", "", "", "", ""] + [fmt(maxima[a]) for a in assignments]]
    for s in students:
        marks = []
        for a in assignments:
            r = by.get((a, s))
            marks.append(fmt(r["score"]) if r and r["status"] == "graded" else "")
        rows.append([s, s, s, s, ""] + marks)
    _write(out / "grades.csv", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
           + assignments, rows)

    sub_cols = ["assignment", "student", "status", "reason", "score", "max_score",
                "late_penalty", "seconds_late", "faults", "flags"]
    all_rows = list(subs)
    graded_pairs = set(by)
    for a in assignments:
        for s in students:
            if (a, s) not in graded_pairs and course.path("submitted", s, a).is_dir():
                all_rows.append({"assignment": a, "student": s, "status": "not graded",
                                 "reason": "submitted but not graded yet", "score": None,
                                 "max_score": maxima[a], "late_penalty": 0.0,
                                 "seconds_late": 0.0, "faults": "", "flags": ""})
    _write(out / "submissions.csv", sub_cols,
           [[fmt(r[c]) if isinstance(r[c], float) or r[c] is None else r[c] for c in sub_cols]
            for r in sorted(all_rows, key=lambda r: (r["assignment"], r["student"]))])
    cell_cols = ["assignment", "student", "grade_id", "score", "max_score", "auto_score",
                 "manual_score", "verdict", "reason"]
    _write(out / "grade_cells.csv", cell_cols,
           [[fmt(r[c]) if isinstance(r[c], float) or r[c] is None else r[c] for c in cell_cols]
            for r in cells])
    log(f"wrote {out / 'grades.csv'} ({len(students)} students, {len(assignments)} "
        f"assignments), submissions.csv and grade_cells.csv")
    return out
