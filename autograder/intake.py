"""Read a submission as it was handed in and turn it into a gradable notebook.

Nothing here trusts the file: it may be empty, huge, not JSON, not UTF-8, an old
notebook format, or have another name. :func:`read_submission` returns the notebook
(nbformat 4) and the *flags* describing anything unusual it had to accept, or raises
:class:`IntakeError` with a one-line reason when the submission cannot be graded at
all. The submitted file itself is only read.

Metadata that only the grader may write (the ``rnngrade`` key, in a cell or in the
notebook) is removed here and flagged: the grader never takes instructions from a
submission. Files handed in next to the notebook are listed by :func:`extra_files`;
they never reach the kernel (see :func:`autograder.execute._working_copy`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
from nbformat.v4.nbbase import random_cell_id
from nbformat.validator import normalize

__all__ = ["IntakeError", "read_submission", "MAX_BYTES", "LARGE_BYTES", "submission_digest",
           "extra_files", "GRADER_KEYS"]

# Metadata keys that belong to the grader; a submission carrying them is flagged.
GRADER_KEYS = ("rnngrade",)
# Files nbgrader itself writes into a submission folder.
_NBGRADER_FILES = {"timestamp.txt"}

MAX_BYTES = 100 * 1024 * 1024      # above this we do not even parse the file
LARGE_BYTES = 10 * 1024 * 1024     # above this the notebook is flagged (outputs are cleared)


class IntakeError(Exception):
    """The submission cannot be graded; the message is the one-line reason."""


def _pick_file(folder, assignment, flags):
    expected = folder / f"{assignment}.ipynb"
    if expected.is_file():
        return expected
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(found) == 1:
        flags.append(f"notebook named {found[0].name!r} instead of {expected.name!r}; graded anyway")
        return found[0]
    if not found:
        raise IntakeError(f"no notebook submitted (expected {expected.name})")
    raise IntakeError(f"{len(found)} notebooks submitted and none is named {expected.name}: "
                      + ", ".join(p.name for p in found))


def submission_digest(folder):
    """SHA-256 over the submitted files (names and contents), to detect resubmission."""
    h = hashlib.sha256()
    folder = Path(folder)
    if folder.is_dir():
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(folder)).encode())
            h.update(b"\0")
            with f.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def read_submission(folder, assignment, release_dir=None):
    """Return ``(notebook, flags)`` for the submission in ``folder``; the flags include
    the other files handed in (compared with the course's copies in ``release_dir``)."""
    folder = Path(folder)
    flags = []
    if not folder.is_dir():
        raise IntakeError(f"no submission folder {folder}")
    path = _pick_file(folder, assignment, flags)
    size = path.stat().st_size
    if size == 0:
        raise IntakeError(f"{path.name} is an empty file")
    if size > MAX_BYTES:
        raise IntakeError(f"{path.name} is {size / 2**20:.0f} MB, over the "
                          f"{MAX_BYTES / 2**20:.0f} MB limit")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        text = raw.decode("utf-8", errors="replace")
        flags.append(f"{path.name} is not valid UTF-8 (first bad byte at offset {e.start}); "
                     "undecodable bytes were replaced")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise IntakeError(f"{path.name} is not valid JSON ({e.msg} at line {e.lineno}, "
                          f"column {e.colno})") from None
    if not isinstance(data, dict):
        raise IntakeError(f"{path.name} is JSON but not a notebook (top level is a "
                          f"{type(data).__name__})")
    major = data.get("nbformat")
    if major not in (3, 4):
        raise IntakeError(f"{path.name} is not a Jupyter notebook of format 3 or 4 "
                          f"(nbformat = {major!r})")
    if major == 3:
        flags.append(f"{path.name} uses notebook format 3; converted to format 4")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as e:  # noqa: BLE001 -- any reader failure is a bad submission
        raise IntakeError(f"{path.name} cannot be read as a notebook: "
                          f"{str(e).splitlines()[0][:200]}") from None
    changes, repaired = normalize(nb, strip_invalid_metadata=True)
    if changes:
        flags.append(f"{path.name} had {changes} invalid metadata entries; removed")
    nb = nbformat.from_dict(repaired)
    _drop_grader_metadata(nb, path.name, flags)
    ids = set()
    for cell in nb.cells:
        if cell.get("id") in ids or not cell.get("id"):
            old = cell.get("id")
            cell["id"] = random_cell_id()
            flags.append(f"{path.name}: cell id {old!r} was duplicated or empty; renumbered")
        ids.add(cell["id"])
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as e:
        raise IntakeError(f"{path.name} is not a valid notebook: {e.message[:200]}") from None
    if size > LARGE_BYTES:
        flags.append(f"{path.name} is {size / 2**20:.0f} MB (mostly outputs); outputs were "
                     "cleared before grading")
    flags.extend(extra_files(folder, path.name, release_dir))
    return nb, flags


def _drop_grader_metadata(nb, name, flags):
    for key in GRADER_KEYS:
        if key in nb.metadata:
            del nb.metadata[key]
            flags.append(f"{name}: the notebook carries the grader's own metadata ({key!r}); "
                         "removed")
    for index, cell in enumerate(nb.cells, 1):
        for key in GRADER_KEYS:
            if key in cell.metadata:
                del cell.metadata[key]
                flags.append(f"{name}: cell {index} carries the grader's own metadata "
                             f"({key!r}); removed")


def _same_file(a, b):
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def extra_files(folder, notebook, release_dir=None):
    """Flags naming what was handed in besides ``notebook``: never given to the kernel,
    kept in ``submitted/`` for the instructor. Copies of the course's own released
    files and nbgrader's ``timestamp.txt`` are not flagged. Names only, never content;
    links are not followed."""
    folder = Path(folder)
    # Paths of the course's files come from the release's own listing: a submitted
    # name is only ever compared with them, never joined to a folder.
    course_files = {}
    if release_dir and Path(release_dir).is_dir():
        course_files = {p.name: p for p in Path(release_dir).iterdir() if p.is_file()}
    flags = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name == notebook or name in _NBGRADER_FILES:
            continue
        shown = repr(name[:80])
        if entry.is_symlink():
            flags.append(f"extra file {shown} is a link; not given to the kernel")
        elif entry.is_dir():
            if name == ".ipynb_checkpoints":
                continue            # Jupyter's autosaves
            flags.append(f"extra folder {shown} kept for the instructor; not given to the kernel")
        elif name in course_files:
            if not _same_file(entry, course_files[name]):
                flags.append(f"{shown} differs from the course's copy; the course's copy was used")
        else:
            why = " (a Python module: it would shadow an import)" if name.endswith(".py") else ""
            flags.append(f"extra file {shown} kept for the instructor; not given to the "
                         f"kernel{why}")
    return flags
