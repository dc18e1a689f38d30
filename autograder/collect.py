"""``collect``: import submissions into ``<course>/submitted/<student>/<assignment>/``.

Two sources:

* an **LMS zip download** (or a flat folder of such files): each file name is parsed
  with a regular expression, by default Canvas's ``<name>_[LATE_]<user id>_
  <submission id>_<original file name>``;
* a **folder per student**: ``DIR/<student id>/<files>`` (an optional ``timestamp.txt``
  in nbgrader's format is kept).

Only the names of the *top-level* files are read as LMS names. An upload that is an
archive is unpacked into its uploader's submission by :mod:`autograder.unpack`
(bounded, streamed, links skipped); nothing inside it can name or reach another
student. Links in a source folder are never followed. One upload that cannot be
unpacked is reported and skipped; the others are imported.

Canvas details: ``LATE_`` is kept as the LMS's late marker; a file the student
uploaded twice arrives as ``name.ipynb`` and ``name-1.ipynb`` (or twice under one user
id), and the newest by the LMS's time is kept (``--times``, else the time stored in
the zip), the others reported. Submission times from ``--times`` (the LMS's export)
go to ``timestamp.txt`` (nbgrader's file) and, with the late marker, to
``<course>/lms/<assignment>.json``.

Every file name must match before anything is written: if one does not, ``collect``
lists the offending names, imports nothing and exits non-zero (``--skip-unmatched``
imports the rest).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .course import CourseError
from .unpack import Budget, UploadError, store

__all__ = ["collect", "CANVAS_PATTERN", "read_lms_record"]

CANVAS_PATTERN = (r"^(?P<name>[A-Za-z0-9-]+?)_(?P<late>(?i:late)_)?(?P<student_id>\d+)_"
                  r"(?P<submission_id>\d+)_(?P<file_id>.+)$")
_IGNORED = {".DS_Store", "Thumbs.db"}
_RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[^.]+)?$")
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


@dataclass
class Upload:
    student: str
    name: str                      # the file name as the student uploaded it
    open: object                   # () -> binary stream
    label: str                     # where it came from, for messages
    time: datetime | None = None   # the LMS's time of this file, if known
    late: bool = False
    submission_id: int = 0


@dataclass
class Plan:
    uploads: list = field(default_factory=list)
    unmatched: list = field(default_factory=list)
    links: list = field(default_factory=list)
    timestamps: dict = field(default_factory=dict)


def _pattern(pattern):
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        raise CourseError(f"--pattern is not a valid regular expression: {e}") from None
    if "student_id" not in compiled.groupindex or "file_id" not in compiled.groupindex:
        raise CourseError("--pattern must have the named groups (?P<student_id>...) and "
                          "(?P<file_id>...)")
    return compiled


def _lms_upload(name, opener, label, compiled, plan, when=None):
    m = compiled.match(name)
    if not m or not m.group("student_id") or not m.group("file_id"):
        plan.unmatched.append(name)
        return
    groups = m.groupdict()
    sub = groups.get("submission_id") or "0"
    plan.uploads.append(Upload(m.group("student_id"), m.group("file_id"), opener, label,
                               when, bool(groups.get("late")),
                               int(sub) if sub.isdigit() else 0))


def _zip_time(info):
    try:
        return datetime(*info.date_time, tzinfo=timezone.utc)
    except ValueError:
        return None


def _plan_zip(path, compiled):
    plan = Plan()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise CourseError(f"cannot read {path} as a zip archive ({e})") from None
    for info in zf.infolist():
        if info.is_dir():
            continue
        name = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if name in _IGNORED or info.filename.startswith("__MACOSX/"):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            plan.links.append(info.filename)
            continue
        _lms_upload(name, lambda info=info: zf.open(info), info.filename, compiled, plan,
                    _zip_time(info))
    return plan, zf


def _regular_files(folder):
    """(path, relative name) of regular files under ``folder``; links reported, not followed."""
    files, links = [], []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                links.append(os.path.relpath(os.path.join(dirpath, d), folder))
                dirnames.remove(d)
        for f in filenames:
            full = os.path.join(dirpath, f)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                links.append(os.path.relpath(full, folder))
            elif stat.S_ISREG(st.st_mode) and f not in _IGNORED:
                files.append((Path(full), os.path.relpath(full, folder)))
    return files, links


def _opener(path):
    # O_NOFOLLOW: a file swapped for a link after the walk is refused, not followed.
    return lambda: os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


def _plan_flat(folder, compiled):
    plan = Plan()
    files, plan.links = _regular_files(folder)
    for path, rel in sorted(files, key=lambda x: x[1]):
        _lms_upload(path.name, _opener(path), rel, compiled, plan,
                    datetime.fromtimestamp(path.lstat().st_mtime, timezone.utc))
    return plan


def _plan_tree(root):
    plan = Plan()
    for entry in sorted(root.iterdir()):
        if entry.is_symlink():
            plan.links.append(entry.name)
            continue
        if not entry.is_dir():
            if entry.name not in _IGNORED:
                plan.unmatched.append(entry.name)
            continue
        files, links = _regular_files(entry)
        plan.links += [f"{entry.name}/{x}" for x in links]
        for path, rel in sorted(files, key=lambda x: x[1]):
            if rel == "timestamp.txt":
                with _opener(path)() as f:
                    plan.timestamps[entry.name] = f.read(100).decode("utf-8", "replace").strip()
                continue
            up = Upload(entry.name, rel, _opener(path), f"{entry.name}/{rel}")
            plan.uploads.append(up)
    return plan


def _read_times(path):
    """student id -> submission time from an LMS CSV (user_id/ID + submitted_at)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise CourseError(f"--times {path}: {e.strerror}") from None
    if not rows:
        raise CourseError(f"--times {path} has no rows")
    keys = {k.strip().lower(): k for k in rows[0] if k}
    sid = next((keys[k] for k in ("user_id", "id", "student_id", "canvas user id")
                if k in keys), None)
    when = next((keys[k] for k in ("submitted_at", "submission time", "submitted")
                 if k in keys), None)
    if sid is None or when is None:
        raise CourseError(f"--times {path} needs a student id column (user_id, ID or "
                          f"student_id) and a submitted_at column; it has "
                          f"{', '.join(k for k in rows[0] if k)}")
    out = {}
    for i, row in enumerate(rows, start=2):
        value = (row.get(when) or "").strip()
        if not value:
            continue
        try:
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise CourseError(f"--times {path} line {i}: {value!r} is not an ISO 8601 time "
                              "such as 2026-12-02T07:31:00Z") from None
        if t.tzinfo is None:
            raise CourseError(f"--times {path} line {i}: {value!r} has no time zone; the "
                              "LMS's export gives UTC times ending in Z")
        out[(row.get(sid) or "").strip()] = t.astimezone(timezone.utc)
    return out


def _canonical(name):
    """Canvas renames a file uploaded again as ``name-1.ext``: the name without it."""
    m = _RESUBMISSION.match(name)
    return (m.group("stem") + (m.group("ext") or ""), int(m.group("n"))) if m else (name, 0)


def _choose(uploads, assignment):
    """Keep the newest upload of each file of one student; return (kept, dropped)."""
    groups = {}
    for up in uploads:
        base, n = _canonical(up.name)
        if base == up.name or (base == f"{assignment}.ipynb"
                               or any(_canonical(o.name)[0] == base and o is not up
                                      for o in uploads)):
            key = base
        else:
            key, n = up.name, 0
        groups.setdefault(key, []).append((up, n))
    kept, dropped = [], []
    for key, items in groups.items():
        far_past = datetime.min.replace(tzinfo=timezone.utc)
        items.sort(key=lambda x: (x[0].time or far_past, x[1], x[0].submission_id))
        newest, _ = items[-1]
        kept.append((key, newest))
        dropped += [(key, up, newest) for up, _ in items[:-1]]
    return kept, dropped


def _check_released(course, assignment):
    course.check_assignment(assignment)
    with course.gradebook() as gb:
        known = {a.name for a in gb.assignments}
    if assignment not in known or not course.path("release", assignment).is_dir():
        raise CourseError(f"assignment {assignment} was never released in this course; run "
                          f"`python -m autograder release --course {course.root} "
                          f"{assignment}` first (nothing was imported)")


def read_lms_record(course, assignment):
    """What ``collect`` learned from the LMS: student -> {late, submitted_at, ...}."""
    path = course.path("lms", f"{assignment}.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def collect(course, assignment, source, pattern=CANVAS_PATTERN, skip_unmatched=False,
            overwrite=False, log=print, times=None):
    """Import ``source`` (zip file or folder) for ``assignment``; return a report dict."""
    _check_released(course, assignment)
    source = Path(source)
    if not source.exists():
        raise CourseError(f"{source} does not exist; pass the LMS zip download or a folder")
    compiled = _pattern(pattern)
    lms_times = _read_times(times) if times else {}
    zf = None
    if source.is_file():
        if source.suffix.lower() != ".zip":
            raise CourseError(f"{source} is not a .zip archive or a folder")
        plan, zf = _plan_zip(source, compiled)
    else:
        real = [p for p in source.iterdir() if p.name not in _IGNORED and not p.is_symlink()]
        if real and all(p.is_dir() for p in real):
            plan = _plan_tree(source)
        else:
            plan = _plan_flat(source, compiled)
    try:
        return _import(course, assignment, source, pattern, plan, skip_unmatched, overwrite,
                       lms_times, log)
    finally:
        if zf is not None:
            zf.close()


def _import(course, assignment, source, pattern, plan, skip_unmatched, overwrite,
            lms_times, log):
    if plan.unmatched and not skip_unmatched:
        shown = ", ".join(plan.unmatched[:5]) + (" ..." if len(plan.unmatched) > 5 else "")
        raise CourseError(
            f"{len(plan.unmatched)} file name(s) do not match the expected pattern "
            f"{pattern!r}: {shown}; rename them, pass --pattern, or --skip-unmatched "
            "to import the others (nothing was imported)")
    by_student = {}
    for up in plan.uploads:
        by_student.setdefault(up.student, []).append(up)
    bad = [s for s in by_student if not _STUDENT_ID.match(s)]
    if bad:
        raise CourseError(f"unusable student id {bad[0]!r} (letters, digits and ._@+- "
                          "only); nothing was imported")
    if not by_student:
        raise CourseError(f"no submissions found in {source}")
    existing = [s for s in by_student if course.path("submitted", s, assignment).exists()]
    if existing and not overwrite:
        raise CourseError(f"{len(existing)} student(s) already have a submission of "
                          f"{assignment} (e.g. {existing[0]}); pass --overwrite to replace "
                          "them (nothing was imported)")
    record = read_lms_record(course, assignment)
    report = {"students": [], "dropped": [], "skipped_uploads": [], "notes": [],
              "links": list(plan.links), "late": []}
    with tempfile.TemporaryDirectory(prefix="rnngrade-collect-") as tmp:
        tmp = Path(tmp)
        for student in sorted(by_student):
            kept, dropped = _choose(by_student[student], assignment)
            for key, up, newest in dropped:
                report["dropped"].append(f"{student}: {up.label} (kept the newer "
                                         f"{newest.label})")
            staging = course.path("submitted", student, f"{assignment}.importing")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            budget = Budget()
            for n, (key, up) in enumerate(sorted(kept, key=lambda k: k[0])):
                part = tmp / student / str(n)
                spool = tmp / student / f"spool{n}"
                spool.mkdir(parents=True)
                try:
                    with up.open() as src:
                        store(src, key, part, budget, spool)
                except (UploadError, OSError) as e:
                    reason = str(e) if isinstance(e, UploadError) else e.strerror
                    report["skipped_uploads"].append(f"{student}: {up.label}: {reason}")
                    shutil.rmtree(part, ignore_errors=True)
                    continue
                for f in sorted(part.rglob("*")):
                    if f.is_file():
                        dest = staging / f.relative_to(part)
                        if dest.exists():
                            report["notes"].append(f"{student}: {f.relative_to(part)} "
                                                   "uploaded twice; kept the first")
                            continue
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        f.rename(dest)
            report["notes"] += [f"{student}: {n}" for n in budget.notes]
            if not any(staging.iterdir()):
                shutil.rmtree(staging)
                try:
                    staging.parent.rmdir()          # a student with nothing else submitted
                except OSError:
                    pass
                continue
            # Zip and file times only order a student's uploads: they are the time a file
            # was packed, not when it was handed in. Lateness uses the LMS's own times.
            when = lms_times.get(student)
            late = any(up.late for _, up in kept)
            if student in plan.timestamps:
                (staging / "timestamp.txt").write_text(plan.timestamps[student])
            elif when is not None:
                (staging / "timestamp.txt").write_text(when.strftime(TIMESTAMP_FORMAT))
            record[student] = {"late": late,
                               "submitted_at": when.isoformat() if when else None,
                               "files": sorted(up.label for _, up in kept)}
            if late:
                report["late"].append(student)
            dest = course.path("submitted", student, assignment)
            # Replace atomically: a crash leaves the old or the new submission, not a mix.
            if dest.exists():
                old = dest.with_name(dest.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                dest.rename(old)
                staging.rename(dest)
                shutil.rmtree(old)
            else:
                staging.rename(dest)
            report["students"].append(student)
    if report["students"] and record:
        lms = course.path("lms")
        lms.mkdir(exist_ok=True)
        tmp_record = lms / f"{assignment}.json.tmp"
        tmp_record.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
        tmp_record.replace(lms / f"{assignment}.json")
    if plan.unmatched:
        log(f"skipped {len(plan.unmatched)} unmatched file(s): "
            + ", ".join(plan.unmatched[:10]))
    for line in report["links"]:
        log(f"skipped link {line} (links are never followed)")
    for line in report["dropped"]:
        log(f"dropped older upload {line}")
    for line in report["skipped_uploads"]:
        log(f"skipped upload {line}")
    for line in report["notes"]:
        log(f"note: {line}")
    late = f" ({len(report['late'])} marked late by the LMS)" if report["late"] else ""
    log(f"collected {assignment} from {len(report['students'])} student(s){late} into "
        f"{course.path('submitted')}")
    return report
