"""``release``: generate the student versions of assignments with nbgrader.

Each assignment's one source, ``solutions/<name>/<name>.md``, is first turned into the
nbgrader source folder ``<course>/source/<name>/`` (notebook, ``rnncheck.py`` and the
folder's data files; see :mod:`autograder.authoring`). nbgrader's ``generate_assignment``
then strips the solution regions (leaving the
``NotImplementedError`` stub) and the hidden tests, records every cell in the
gradebook, and copies the assignment's other files (``rnncheck.py``). We then refuse
the release if any solution or hidden-test line survived, and zip each assignment for
download.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import timezone

from .authoring import write_source
from .course import HIDDEN_BLOCK, SOLUTION_BLOCK, CourseError, read_notebook_json
from .challenge import load as load_challenges

__all__ = ["release", "release_leaks"]

# Lines too generic to count as leaked solution code.
_TRIVIAL = {"", "pass", "return", "else:", "try:", "}", ")", "]", "return out, cache",
            "return grads"}


def significant_lines(block):
    return {ln.strip() for ln in block.splitlines()
            if ln.strip() not in _TRIVIAL and not ln.strip().startswith("#")
            and len(ln.strip()) >= 12}


def secret_lines(source_nb):
    """Solution and hidden-test lines of a source notebook (JSON dict)."""
    lines = set()
    for cell in source_nb["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for pattern in (SOLUTION_BLOCK, HIDDEN_BLOCK):
            for block in pattern.findall(text):
                lines |= significant_lines(block)
    return lines


def release_leaks(course, assignment):
    """Solution or hidden-test lines found anywhere in the released notebooks."""
    source = read_notebook_json(course.path("source", assignment, f"{assignment}.ipynb"))
    secrets = secret_lines(source)
    leaks = []
    for nb in course.path("release", assignment).glob("*.ipynb"):
        text = nb.read_text(encoding="utf-8")
        leaks += [(nb.name, ln) for ln in secrets if ln in text]
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "autograder.hidden"):
            if marker in text:
                leaks.append((nb.name, marker))
    return leaks


def _check_grade_cells(course, assignment):
    """Every autograded test cell of the source must have a hidden challenge."""
    source = read_notebook_json(course.path("source", assignment, f"{assignment}.ipynb"))
    challenges = load_challenges(assignment)
    for cell in source["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell["cell_type"] == "code":
            gid = meta.get("grade_id")
            if gid not in challenges:
                raise CourseError(f"{assignment}: test cell {gid!r} has no hidden challenge "
                                  f"in solutions/{assignment}/hidden.py")


def _set_due(course, assignment, due):
    """Record ``due`` (an aware datetime, see :func:`autograder.deadlines.parse_due`)."""
    # nbgrader stores naive UTC times.
    when = due.astimezone(timezone.utc).replace(tzinfo=None)
    with course.gradebook() as gb:
        gb.update_or_create_assignment(assignment, duedate=when)


def publish(course, assignments, target, log=print):
    """Copy the student notebooks and zips into ``target`` (e.g. the book's sources).

    A file is rewritten only when its content changed, so a site generator that looks at
    modification times does not rebuild unchanged pages.
    """
    from pathlib import Path
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    changed = 0
    for assignment in assignments:
        files = [course.path("release", f"{assignment}.zip")]
        files += sorted(course.path("release", assignment).glob("*.ipynb"))
        for f in files:
            dest = target / f.name
            data = f.read_bytes()
            if not dest.exists() or dest.read_bytes() != data:
                dest.write_bytes(data)
                changed += 1
    # Notebooks and zips of assignments that no longer exist (renamed or removed) would be
    # pages outside the book's table of contents: remove them.
    known = set(course.assignments())
    stale = [f for f in target.iterdir() if f.is_file() and f.suffix in (".ipynb", ".zip")
             and f.stem not in known]
    for f in stale:
        f.unlink()
    log(f"published {len(assignments)} assignment(s) to {target} ({changed} file(s) changed"
        + (f", {len(stale)} stale removed)" if stale else ")"))


def release(course, assignments, due=None, log=print):
    """Generate, verify and zip the student versions of ``assignments``.

    ``due`` is an aware datetime or a string that :func:`autograder.deadlines.parse_due`
    accepts (parsed before anything is written).
    """
    if isinstance(due, str):
        from .deadlines import parse_due
        due = parse_due(due)
    course.write_nbgrader_config()
    for assignment in assignments:
        course.check_assignment(assignment)
        write_source(assignment, course.path("source", assignment))
        _check_grade_cells(course, assignment)
        if due:
            _set_due(course, assignment, due)
        result = course.api().generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            detail = (result.get("error") or result.get("log") or "").strip().splitlines()
            raise CourseError(f"{assignment}: nbgrader generate_assignment failed: "
                              f"{detail[-1] if detail else 'no details'}")
        leaks = release_leaks(course, assignment)
        if leaks:
            shutil.rmtree(course.path("release", assignment))
            name, line = leaks[0]
            raise CourseError(f"{assignment}: solution or hidden-test code leaked into "
                              f"{name} ({line!r}); release removed")
        folder = course.path("release", assignment)
        archive = course.path("release", f"{assignment}.zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    z.write(f, f"{assignment}/{f.relative_to(folder)}")
        log(f"released {assignment} -> {folder} ({archive.name})")
