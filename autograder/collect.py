"""``collect``: import submissions into ``<course>/submitted/<student>/<assignment>/``.

Two sources:

* an **LMS zip download** (or a folder of such files): file names are parsed with a
  regular expression, by default Canvas's ``<name>_[LATE_]<user id>_<submission id>_
  <original file name>``. Archives are extracted with nbgrader's zip_collect
  extractor plugin and names parsed with its file-name collector plugin;
* a **folder per student**: ``DIR/<student id>/<files>`` (an optional
  ``timestamp.txt`` in nbgrader's format is kept).

Every file must be accounted for before anything is written: if a name does not match
the pattern, ``collect`` lists the offending names and the pattern, imports nothing and
exits non-zero (``--skip-unmatched`` imports the rest). Files are copied, never moved,
and keep their original names; the grader accepts a notebook with another name and
flags it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import CourseError

__all__ = ["collect", "CANVAS_PATTERN"]

CANVAS_PATTERN = (r"^(?P<name>[A-Za-z0-9-]+?)_(?P<late>(?i:late)_)?(?P<student_id>\d+)_"
                  r"(?P<submission_id>\d+)_(?P<file_id>.+)$")
_IGNORED = {".DS_Store", "Thumbs.db"}


@dataclass
class Plan:
    files: dict = field(default_factory=dict)      # student -> [(source path, dest name)]
    late: set = field(default_factory=set)
    unmatched: list = field(default_factory=list)
    timestamps: dict = field(default_factory=dict)


def _extract(archive, into):
    """Unpack with nbgrader's zip_collect extractor (it reads a folder of archives)."""
    from nbgrader.plugins.zipcollect import ExtractorPlugin
    folder = into / "archive"
    folder.mkdir()
    shutil.copy2(archive, folder / archive.name)
    try:
        ExtractorPlugin().extract(str(folder), str(into / "extracted"))
    except Exception as e:  # noqa: BLE001 -- a broken archive is the user's input
        raise CourseError(f"cannot extract {archive}: {e}") from None


def _collector(pattern, extensions):
    from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        raise CourseError(f"--pattern is not a valid regular expression: {e}") from None
    if "student_id" not in compiled.groupindex or "file_id" not in compiled.groupindex:
        raise CourseError("--pattern must have the named groups (?P<student_id>...) and "
                          "(?P<file_id>...)")
    plugin = FileNameCollectorPlugin(named_regexp=pattern, valid_ext=sorted(extensions))
    return plugin, compiled


def _plan_flat(files, pattern):
    """Files named by an LMS: parse each name."""
    plugin, compiled = _collector(pattern, {f.suffix for f in files})
    plan = Plan()
    for f in sorted(files):
        info = None
        if compiled.match(f.name):
            info = plugin.collect(f.name) or None
        if not info or not info.get("student_id"):
            plan.unmatched.append(f.name)
            continue
        student = info["student_id"]
        plan.files.setdefault(student, []).append((f, info["file_id"]))
        if compiled.match(f.name).groupdict().get("late"):
            plan.late.add(student)
    return plan


def _plan_tree(root):
    """A folder per student."""
    plan = Plan()
    for sdir in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(p for p in sdir.rglob("*") if p.is_file() and p.name not in _IGNORED):
            if f.name == "timestamp.txt":
                plan.timestamps[sdir.name] = f.read_text().strip()
                continue
            plan.files.setdefault(sdir.name, []).append((f, str(f.relative_to(sdir))))
    return plan


_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def collect(course, assignment, source, pattern=CANVAS_PATTERN, skip_unmatched=False,
            overwrite=False, log=print):
    """Import ``source`` (zip file or folder) for ``assignment``; return the students."""
    course.check_assignment(assignment)
    source = Path(source)
    if not source.exists():
        raise CourseError(f"{source} does not exist; pass the LMS zip download or a folder")
    with tempfile.TemporaryDirectory(prefix="rnngrade-collect-") as tmp:
        tmp = Path(tmp)
        if source.is_file():
            if source.suffix.lower() != ".zip":
                raise CourseError(f"{source} is not a .zip archive or a folder")
            _extract(source, tmp)
            root = tmp / "extracted"
        else:
            root = source
        top = [p for p in root.iterdir() if p.name not in _IGNORED]
        if top and all(p.is_dir() for p in top) and source.is_dir():
            plan = _plan_tree(root)
        else:
            files = [p for p in root.rglob("*") if p.is_file() and p.name not in _IGNORED]
            plan = _plan_flat(files, pattern)
        if plan.unmatched and not skip_unmatched:
            shown = ", ".join(plan.unmatched[:5]) + (" ..." if len(plan.unmatched) > 5 else "")
            raise CourseError(
                f"{len(plan.unmatched)} file name(s) do not match the expected pattern "
                f"{pattern!r}: {shown}; rename them, pass --pattern, or --skip-unmatched "
                "to import the others (nothing was imported)")
        bad = [s for s in plan.files if not _STUDENT_ID.match(s)]
        if bad:
            raise CourseError(f"unusable student id {bad[0]!r} (letters, digits and ._@+- "
                              "only); nothing was imported")
        if not plan.files:
            raise CourseError(f"no submissions found in {source}")
        existing = [s for s in plan.files
                    if course.path("submitted", s, assignment).exists()]
        if existing and not overwrite:
            raise CourseError(f"{len(existing)} student(s) already have a submission of "
                              f"{assignment} (e.g. {existing[0]}); pass --overwrite to replace "
                              "them (nothing was imported)")
        for student, files in plan.files.items():
            dest = course.path("submitted", student, assignment)
            staging = dest.with_name(dest.name + ".importing")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            for src, name in files:
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
            if student in plan.timestamps:
                (staging / "timestamp.txt").write_text(plan.timestamps[student])
            # Replace atomically: a crash leaves the old or the new submission, not a mix.
            if dest.exists():
                old = dest.with_name(dest.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                dest.rename(old)
                staging.rename(dest)
                shutil.rmtree(old)
            else:
                staging.rename(dest)
        if plan.unmatched:
            log(f"skipped {len(plan.unmatched)} unmatched file(s): "
                + ", ".join(plan.unmatched[:10]))
        late = f" ({len(plan.late)} marked late by the LMS)" if plan.late else ""
        log(f"collected {assignment} from {len(plan.files)} student(s){late} into "
            f"{course.path('submitted')}")
        return sorted(plan.files)
