"""``export``: grades for the LMS, plus the detail behind them.

``exports/grades.csv``
    Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``, a
    ``Points Possible`` row, and one column per assignment headed ``<title> (<Canvas
    assignment id>)`` when the course knows the Canvas column (from the imported
    roster, or ``--canvas-column``), so the scores land in the existing assignments.
``exports/gradescope_<assignment>.csv``
    ``Name, Email, SID, Score`` for Gradescope-style imports.
``exports/submissions.csv``
    One row per student and assignment: status (``graded``, ``pending`` = written
    answers await hand grading, ``failed`` = could not be graded, ``not graded`` =
    submitted but not graded yet, ``not submitted``), reason, score before and after
    the late penalty, lateness, extension, faults and integrity flags.
``exports/grade_cells.csv``
    One row per test cell: automatic and manual score, status, verdict and reason.

A submission that could not be graded, or was never submitted, is left **empty** in the
LMS files, never 0, so the LMS does not record a zero nobody earned. Scores include the
course's late policy (``late-policy``) and extensions (``extend``).
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone

from .collect import read_lms_record
from .course import CourseError
from .deadlines import LatePolicy, lateness
from .ledger import Ledger
from .roster import read_roster

__all__ = ["export", "collect_rows", "CANVAS_HEADER", "GRADESCOPE_HEADER"]

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
GRADESCOPE_HEADER = ["Name", "Email", "SID", "Score"]
SUBMISSION_COLUMNS = ["assignment", "student", "name", "status", "reason", "score",
                      "raw_score", "max_score", "seconds_late", "extension_hours",
                      "late_penalty_percent", "lms_late", "pending", "faults", "flags"]
CELL_COLUMNS = ["assignment", "student", "grade_id", "score", "max_score", "auto_score",
                "manual_score", "status", "verdict", "reason"]


def _utc(naive):
    return None if naive is None else naive.replace(tzinfo=timezone.utc)


def submitted_time(course, assignment, student):
    """The time in the submission's ``timestamp.txt`` (nbgrader's format), or None.

    The grader stages only the notebook, so nbgrader never sees this file: the
    lateness is computed here, from the submission as collected.
    """
    from nbgrader.utils import parse_utc
    path = course.path("submitted", student, assignment, "timestamp.txt")
    try:
        with open(path, "rb") as f:
            text = f.read(200).decode("utf-8", "replace").strip()
        return parse_utc(text).replace(tzinfo=timezone.utc)
    except (OSError, ValueError, OverflowError):
        return None


def late_info(course, assignment, student, due, submitted_at, lms=None):
    """(seconds late, extension hours, penalty percent, LMS late marker) of one submission."""
    policy = LatePolicy.from_dict(course.settings.get("late_policy", {}))
    extension = float(course.settings.get("extensions", {}).get(assignment, {})
                      .get(student, 0.0))
    lms = lms or {}
    if submitted_at is None and lms.get("submitted_at"):
        submitted_at = datetime.fromisoformat(lms["submitted_at"])
    seconds = lateness(submitted_at, due, extension)
    return seconds, extension, policy.penalty_percent(seconds), bool(lms.get("late"))


def collect_rows(course):
    """Everything the exports and the report need, from the gradebook and the ledger."""
    ledger = Ledger(course.db_url)
    try:
        results = {(r["assignment"], r["student"]): r for r in ledger.rows()}
    finally:
        ledger.dispose()
    people = read_roster(course)
    subs, cells, maxima = [], [], {}
    with course.gradebook() as gb:
        assignments = sorted(a.name for a in gb.assignments)
        dues = {a.name: _utc(a.duedate) for a in gb.assignments}
        for a in gb.assignments:
            maxima[a.name] = a.max_score
        students = {s.id for s in gb.students} | {s for _, s in results} | set(people)
        submitted = course.path("submitted")
        if submitted.is_dir():
            students |= {p.name for p in submitted.iterdir()
                         if p.is_dir() and any((p / a).is_dir() for a in assignments)}
        for a in assignments:
            lms = read_lms_record(course, a)
            for s in sorted(students):
                r = results.get((a, s))
                row = {"assignment": a, "student": s,
                       "name": people.get(s, {}).get("name", ""), "reason": "",
                       "score": None, "raw_score": None, "max_score": maxima[a],
                       "seconds_late": None, "extension_hours": None,
                       "late_penalty_percent": None, "lms_late": "", "pending": "",
                       "faults": "", "flags": ""}
                if r is None:
                    if course.path("submitted", s, a).is_dir():
                        row.update(status="not graded", reason="submitted, not graded yet")
                    else:
                        row.update(status="not submitted")
                    subs.append(row)
                    continue
                row.update(status=r["status"], reason=r["reason"] or "",
                           faults=" | ".join(r["details"].get("faults", [])),
                           flags=" | ".join(r["details"].get("flags", [])))
                if r["status"] == "graded":
                    sub = gb.find_submission(a, s)
                    when = submitted_time(course, a, s) or _utc(sub.timestamp)
                    seconds, ext, penalty, marker = late_info(course, a, s, dues[a], when,
                                                              lms.get(s))
                    pending = []
                    verdicts = r["details"].get("verdicts", {})
                    for nb in sub.notebooks:
                        for g in nb.grades:
                            v = verdicts.get(g.name)
                            waiting = g.needs_manual_grade
                            if waiting:
                                pending.append(g.name)
                            cells.append({
                                "assignment": a, "student": s, "grade_id": g.name,
                                "score": None if waiting else g.score,
                                "max_score": g.max_score,
                                "auto_score": g.auto_score, "manual_score": g.manual_score,
                                "status": "pending" if waiting else "graded",
                                "verdict": "" if v is None else ("passed" if v["passed"]
                                                                 else "failed"),
                                "reason": "" if v is None else v["reason"]})
                    raw = sub.score
                    row.update(raw_score=raw, score=raw * (1 - penalty / 100.0),
                               seconds_late=seconds, extension_hours=ext,
                               late_penalty_percent=penalty, lms_late="yes" if marker else "",
                               pending=" ".join(pending))
                    if pending:
                        row["status"] = "pending"
                        row["reason"] = (f"{len(pending)} answer(s) await hand grading "
                                         "(formgrader)")
                subs.append(row)
    return assignments, sorted(students), maxima, subs, cells


def _write(path, header, rows):
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)          # readers never see a half-written file


def _fmt(x):
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{round(x, 4):g}"
    return x


def export(course, log=print, canvas_columns=None, pending="partial"):
    assignments, students, maxima, subs, cells = collect_rows(course)
    if not assignments:
        raise CourseError("the gradebook has no assignments; run `release` first")
    unknown = sorted(set(canvas_columns or {}) - set(assignments))
    if unknown:
        raise CourseError(f"--canvas-column {unknown[0]}: not an assignment of this course "
                          f"(released: {', '.join(assignments)})")
    if canvas_columns:
        course.section("canvas").setdefault("columns", {}).update(canvas_columns)
        course.save_settings()
    columns = course.settings.get("canvas", {}).get("columns", {})
    people = read_roster(course)
    out = course.path("exports")
    out.mkdir(parents=True, exist_ok=True)
    by = {(r["assignment"], r["student"]): r for r in subs}

    def lms_score(r):
        if r is None or r["status"] not in ("graded", "pending"):
            return ""
        if r["status"] == "pending" and pending == "empty":
            return ""
        return _fmt(r["score"])

    headers = [columns.get(a, a) for a in assignments]
    rows = [["Points Possible", "", "", "", ""] + [_fmt(maxima[a]) for a in assignments]]
    for s in students:
        p = people.get(s, {})
        rows.append([p.get("sortable_name") or s, s, p.get("sis_user_id", ""),
                     p.get("sis_login_id", ""), p.get("section", "")]
                    + [lms_score(by.get((a, s))) for a in assignments])
    _write(out / "grades.csv", CANVAS_HEADER + headers, rows)

    for a in assignments:
        _write(out / f"gradescope_{a}.csv", GRADESCOPE_HEADER,
               [[people.get(s, {}).get("name") or s, people.get(s, {}).get("email", ""),
                 people.get(s, {}).get("sis_user_id") or s, lms_score(by.get((a, s)))]
                for s in students])

    _write(out / "submissions.csv", SUBMISSION_COLUMNS,
           [[_fmt(r[c]) for c in SUBMISSION_COLUMNS]
            for r in sorted(subs, key=lambda r: (r["assignment"], r["student"]))])
    _write(out / "grade_cells.csv", CELL_COLUMNS,
           [[_fmt(r[c]) for c in CELL_COLUMNS] for r in cells])
    waiting = [r for r in subs if r["status"] == "pending"]
    if waiting:
        what = "left empty" if pending == "empty" else "exported with the automatic part only"
        log(f"{len(waiting)} submission(s) have written answers awaiting hand grading "
            f"({what}); grade them in formgrader and export again")
    unmapped = [a for a in assignments if a not in columns]
    if unmapped:
        log(f"no Canvas column known for {', '.join(unmapped)}: Canvas will create a new "
            "assignment for each; import the roster from Canvas's gradebook export or pass "
            "--canvas-column ASSIGNMENT='Title (id)'")
    log(f"wrote {out / 'grades.csv'} ({len(students)} students, {len(assignments)} "
        f"assignments), gradescope_*.csv, submissions.csv and grade_cells.csv")
    return out
