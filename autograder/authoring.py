"""An exercise's one source, ``solutions/<name>/<name>.md``, and what ``release`` builds from it.

The source is a MyST Markdown notebook (jupytext's ``md:myst`` format). Each cell
carries its nbgrader role in one line, with only the keys that are not false::

    ```{code-cell} ipython3
    :nbgrader: {grade_id: shift, grade: true, locked: true, points: 1}

    check_close("shift(x, 0)", shift(x, 0), x)
    ```

    +++ {"nbgrader": {"grade_id": "intro", "locked": true}}

    # Exercise 2 ...

:func:`source_notebook` turns it into the nbgrader source notebook: the full nbgrader
metadata (false keys and ``schema_version`` filled in), cell ids equal to the grade ids
(so a release is byte-for-byte reproducible), and in every autograded test cell a first
line importing ``rnncheck`` (whose NameError hint then works after a kernel restart) and
at the end the hidden-test call of :mod:`autograder.hidden`, built from the assignment and
the grade id so that it cannot name the wrong test.

Solution code sits between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` inside a
function body, so that the student stub is ``raise NotImplementedError()``.
"""

from __future__ import annotations

import re
from pathlib import Path

from .course import SOLUTIONS, CourseError

__all__ = ["SHARED", "OWN_FILES", "hidden_block", "source_path", "source_notebook",
           "companion_files", "write_source", "load_bugs", "apply_bug"]

# Files of an exercise folder that stay with the instructor; every other file ships.
OWN_FILES = {"hidden.py", "bugs.py"}
# The checking module every assignment receives next to its notebook.
SHARED = SOLUTIONS / "rnncheck.py"

# First line of every autograded test cell: importing rnncheck makes a NameError raised
# after a kernel restart say "run the cells above" (the setup cell may not have run).
RESTART_LINE = "import rnncheck  # explains a NameError after a kernel restart"

_KEYS = {"grade_id", "grade", "solution", "locked", "task", "points"}
_FLAGS = ("grade", "locked", "solution", "task")


def hidden_block(assignment, grade_id):
    return ("### BEGIN HIDDEN TESTS\n"
            "from autograder.hidden import check\n"
            f"check({assignment!r}, {grade_id!r}, globals())\n"
            "### END HIDDEN TESTS")


def source_path(assignment, root=SOLUTIONS):
    return Path(root) / assignment / f"{assignment}.md"


def _nbgrader_meta(where, meta):
    if not isinstance(meta, dict):
        raise CourseError(f"{where}: nbgrader metadata must be a mapping, got {meta!r}")
    unknown = set(meta) - _KEYS
    if unknown:
        raise CourseError(f"{where}: unknown nbgrader key(s) {sorted(unknown)}; "
                          f"expected some of {sorted(_KEYS)}")
    gid = meta.get("grade_id")
    if not isinstance(gid, str) or not gid.replace("_", "").replace("-", "").isalnum():
        raise CourseError(f"{where}: grade_id must be a name of letters, digits, _ or -, "
                          f"got {gid!r}")
    full = {"grade": False, "grade_id": gid, "locked": False, "schema_version": 3,
            "solution": False, "task": False}
    for flag in _FLAGS:
        value = meta.get(flag, False)
        if not isinstance(value, bool):
            raise CourseError(f"{where}: nbgrader {flag} must be true or false, got {value!r}")
        full[flag] = value
    if full["grade"] or full["task"]:
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            raise CourseError(f"{where}: a graded cell needs points > 0, got {points!r}")
        full["points"] = points
    elif "points" in meta:
        raise CourseError(f"{where}: points on a cell that is not graded")
    return full


_EXPECTED = re.compile(r"@expected\((\w+)\)")


def _literal(value, where):
    """A numpy literal that reads back exactly ``value`` (a float64 array or a number)."""
    import numpy as np
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise CourseError(f"{where}: expected values must be numbers, got {array.dtype}")
    if array.ndim == 0:
        return repr(float(array))
    return f"np.array({array.astype(np.float64).tolist()!r})"


def _fill_expected(assignment, source, where, root):
    """Replace every ``@expected(name)`` in ``source`` by the numbers of
    ``EXPECTED[name]()`` in the exercise's hidden.py (computed with rnn_ref now, at
    release, so that the student's notebook holds only numbers)."""
    names = _EXPECTED.findall(source)
    if not names:
        return source
    from .challenge import hidden_module
    module = hidden_module(assignment, root)
    table = getattr(module, "EXPECTED", {})
    for name in names:
        if name not in table:
            raise CourseError(f"{where}: @expected({name}) is not in EXPECTED of "
                              f"solutions/{assignment}/hidden.py")
    return _EXPECTED.sub(lambda m: _literal(table[m.group(1)](), where), source)


def source_notebook(assignment, root=SOLUTIONS):
    """The nbgrader source notebook of ``assignment`` (an nbformat NotebookNode)."""
    import jupytext
    import nbformat

    path = source_path(assignment, root)
    if not path.is_file():
        raise CourseError(f"{assignment}: no exercise source {path}")
    try:
        nb = jupytext.read(str(path), fmt="md:myst")
    except Exception as e:  # noqa: BLE001 -- jupytext/yaml raise many types
        raise CourseError(f"{path}: not a MyST notebook ({e})") from None
    seen = set()
    for k, cell in enumerate(nb.cells, 1):
        where = f"{path.name}, cell {k}"
        if "nbgrader" not in cell.metadata:
            cell.pop("id", None)
            continue
        meta = _nbgrader_meta(where, cell.metadata["nbgrader"])
        gid = meta["grade_id"]
        if gid in seen:
            raise CourseError(f"{where}: duplicate grade_id {gid!r}")
        seen.add(gid)
        cell.metadata["nbgrader"] = meta
        cell["id"] = gid
        cell.source = _fill_expected(assignment, cell.source, where, root)
        if cell.cell_type == "code" and meta["grade"]:
            if "BEGIN HIDDEN TESTS" in cell.source:
                raise CourseError(f"{where}: write no hidden-test block; release adds it")
            cell.source = (RESTART_LINE + "\n" + cell.source.rstrip() + "\n\n"
                           + hidden_block(assignment, gid))
        if cell.cell_type == "code" and meta["solution"] and "### BEGIN SOLUTION" not in cell.source:
            raise CourseError(f"{where}: solution cell {gid!r} has no ### BEGIN SOLUTION region")
    nb.metadata.pop("jupytext", None)
    nb.metadata["language_info"] = {"name": "python"}
    # Cells without a grade id get fixed ids too, for the same reproducibility.
    for k, cell in enumerate(nb.cells):
        if "id" not in cell:
            cell["id"] = f"cell-{k}"
    nbformat.validate(nb)
    return nb


def companion_files(assignment, root=SOLUTIONS):
    """Files released next to the notebook: the shared checker and the folder's data."""
    folder = Path(root) / assignment
    own = OWN_FILES | {f"{assignment}.md"}
    files = [SHARED]
    files += sorted(f for f in folder.iterdir()
                    if f.is_file() and f.name not in own and f.name != SHARED.name)
    return files


def write_source(assignment, target, root=SOLUTIONS):
    """Write the nbgrader source folder of ``assignment`` into ``target``."""
    import nbformat

    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        if old.is_file():
            old.unlink()
    nb = source_notebook(assignment, root)
    nbformat.write(nb, str(target / f"{assignment}.ipynb"))
    for f in companion_files(assignment, root):
        (target / f.name).write_bytes(f.read_bytes())
    return target / f"{assignment}.ipynb"


def load_bugs(assignment, root=SOLUTIONS):
    """The typical-bug variants of ``solutions/<assignment>/bugs.py`` (its ``BUGS`` list).

    Each bug is a dict: ``name`` (what a student got wrong), ``replace`` (``[(old, new),
    ...]`` text replacements in the solution cells, each ``old`` occurring exactly once),
    ``lost`` (the grade ids that must score 0; every other autograded cell keeps its
    points) and ``message`` (text the visible test output of every lost cell must
    contain, or a dict grade_id -> text).
    """
    import importlib.util

    path = Path(root) / assignment / "bugs.py"
    if not path.is_file():
        raise CourseError(f"{assignment}: no typical bugs in {path}")
    spec = importlib.util.spec_from_file_location(f"_bugs_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BUGS


def apply_bug(nb, replacements):
    """Copy of ``nb`` with text replacements inside solution cells (each must match once)."""
    import copy

    nb = copy.deepcopy(nb)
    for old, new in replacements:
        hits = 0
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                if old in text:
                    hits += text.count(old)
                    cell["source"] = text.replace(old, new)
        if hits != 1:
            raise ValueError(f"bug replacement {old!r} matched {hits} times, expected once")
    return nb
