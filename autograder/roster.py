"""``roster``: names, emails and SIS ids from the LMS, into the gradebook.

nbgrader's student records get first and last name, email and the LMS user id (so
formgrader shows names); the SIS ids and the section, which nbgrader has no place for,
go to the ``rnngrade_roster`` table next to the gradebook, for the exports.

Accepted files: Canvas's gradebook export (``Student`` as "Last, First", ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then one ``<assignment> (<id>)`` column
per assignment, whose headers are remembered so that ``export`` writes scores into
the existing Canvas assignments), and rosters with ``Name`` or ``First Name``/``Last
Name``, ``Email`` and ``SID`` columns. The student id is the LMS user id (``ID``), the
one ``collect`` reads from Canvas file names; without an ``ID`` column, ``SID``.
"""

from __future__ import annotations

import csv
import re

from sqlalchemy import Column, MetaData, String, Table, delete, select

from .course import CourseError
from .ledger import engine_for

__all__ = ["import_roster", "read_roster"]

_meta = MetaData()
roster = Table(
    "rnngrade_roster", _meta,
    Column("student", String(128), primary_key=True),
    Column("name", String(256)),            # "First Last"
    Column("sortable_name", String(256)),   # "Last, First" (Canvas's Student column)
    Column("email", String(256)),
    Column("sis_user_id", String(128)),
    Column("sis_login_id", String(256)),
    Column("section", String(256)),
)

_CANVAS_COLUMN = re.compile(r"^(?P<title>.+) \((?P<id>\d+)\)$")


def _pick(keys, *names):
    for n in names:
        if n in keys:
            return keys[n]
    return None


def _norm(text):
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def import_roster(course, path, log=print):
    """Read ``path`` and store every student; return the number imported."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise CourseError(f"roster {path} does not exist") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise CourseError(f"cannot read the roster {path}: {e}") from None
    if not rows:
        raise CourseError(f"roster {path} has no rows under its header")
    headers = [h for h in rows[0] if h]
    keys = {h.strip().lower(): h for h in headers}
    id_col = _pick(keys, "id", "user id", "canvas user id", "user_id", "sid", "student id")
    student_col = _pick(keys, "student", "sortable name", "sortable_name")
    name_col = _pick(keys, "name", "full name")
    first_col, last_col = _pick(keys, "first name", "first"), _pick(keys, "last name", "last")
    if id_col is None or not (student_col or name_col or (first_col and last_col)):
        raise CourseError(f"roster {path}: expected an ID (or SID) column and a Student, Name "
                          f"or First Name/Last Name column; found {', '.join(headers)}")
    email_col = _pick(keys, "email", "email address", "e-mail")
    sis_col, login_col = _pick(keys, "sis user id", "sid"), _pick(keys, "sis login id", "login id")
    section_col = _pick(keys, "section")
    people = []
    for i, row in enumerate(rows, start=2):
        sid = (row.get(id_col) or "").strip()
        label = (row.get(student_col or name_col or first_col) or "").strip()
        if not sid or "points possible" in label.lower() or label == "Student, Test":
            continue                      # Canvas's points row and its test student
        if first_col and last_col:
            first, last = row[first_col].strip(), row[last_col].strip()
        elif student_col:
            last, _, first = row[student_col].partition(",")
            first, last = first.strip(), last.strip()
        else:
            first, _, last = row[name_col].strip().rpartition(" ")
            if not first:
                first, last = last, ""
        login = (row.get(login_col) or "").strip() if login_col else ""
        email = (row.get(email_col) or "").strip() if email_col else ""
        if not email and "@" in login:
            email = login
        people.append({"student": sid, "first": first, "last": last, "email": email or None,
                       "sis_user_id": (row.get(sis_col) or "").strip() if sis_col else "",
                       "sis_login_id": login,
                       "section": (row.get(section_col) or "").strip() if section_col else ""})
    if not people:
        raise CourseError(f"roster {path} lists no students")
    ids = [p["student"] for p in people]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[0]
        raise CourseError(f"roster {path} lists student {dup} twice")

    with course.gradebook() as gb:
        for p in people:
            gb.update_or_create_student(p["student"], first_name=p["first"],
                                        last_name=p["last"], email=p["email"],
                                        lms_user_id=p["student"])
    engine = engine_for(course.db_url)
    try:
        _meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(delete(roster).where(roster.c.student.in_(ids)))
            conn.execute(roster.insert(), [{
                "student": p["student"], "name": f"{p['first']} {p['last']}".strip(),
                "sortable_name": f"{p['last']}, {p['first']}" if p["last"] else p["first"],
                "email": p["email"] or "", "sis_user_id": p["sis_user_id"],
                "sis_login_id": p["sis_login_id"], "section": p["section"]} for p in people])
    finally:
        engine.dispose()

    # Canvas assignment columns: map each of ours to the one header that names it.
    found = {h: m.group("title") for h in headers if (m := _CANVAS_COLUMN.match(h.strip()))}
    columns = course.section("canvas").setdefault("columns", {})
    mapped = []
    for a in course.assignments():
        hits = [h for h, title in found.items() if _norm(a) in _norm(title)]
        if len(hits) == 1 and a not in columns:
            columns[a] = hits[0].strip()
            mapped.append(f"{a} -> {hits[0].strip()}")
    if mapped:
        course.save_settings()
    log(f"imported {len(people)} student(s) from {path}"
        + (f"; Canvas columns: {', '.join(mapped)}" if mapped else ""))
    return len(people)


def read_roster(course):
    """student id -> roster row (empty dict when no roster was imported)."""
    from sqlalchemy import inspect
    engine = engine_for(course.db_url)
    try:
        if not inspect(engine).has_table(roster.name):
            return {}
        with engine.connect() as conn:
            return {r.student: dict(r._mapping) for r in conn.execute(select(roster))}
    finally:
        engine.dispose()
