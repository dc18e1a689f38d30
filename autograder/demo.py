"""Demo submissions for ``make grade-demo`` and the pipeline tests (never committed).

    python -m autograder.demo OUTDIR [ASSIGNMENT ...]     (default: ex02_tdnn ex05_elman)

For each assignment, writes one folder per made-up student, as ``collect`` expects
(``OUTDIR/<assignment>/<student>/<assignment>.ipynb`` and ``timestamp.txt``):

========  ==========================================================
ada       correct: every part solved
babbage   partial: the first two parts solved, the rest left as the stub
curie     typical bug: the first variant of the exercise's ``bugs.py``
darwin    typical bug: the second variant
euler     empty: the released notebook, untouched
fermi     late: correct, but handed in after the demo's due date
gauss     broken: the file is not valid JSON
========  ==========================================================

The notebooks start from a fresh release, so they look like real submissions (stubs
replaced by code, no solution markers) and match the current locked cells.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

from .authoring import load_bugs, source_notebook
from .course import Course
from .release import release

__all__ = ["write_samples", "filled", "DEFAULT", "LATE", "ON_TIME"]

DEFAULT = ("ex02_tdnn", "ex05_elman")
LATE = "2026-11-03 10:15:00.000000 UTC"      # after the demo's due date (2026-11-01)
ON_TIME = "2026-10-30 18:00:00.000000 UTC"
_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)


def _text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def filled(released, source, solved=None, bug=None):
    """The released notebook with the solution cells in ``solved`` filled in."""
    src = {c["metadata"]["nbgrader"]["grade_id"]: c for c in source["cells"]
           if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    nb = json.loads(json.dumps(released))
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if meta.get("solution") and gid in src and (solved is None or gid in solved):
            code = _MARKERS.sub("", _text(src[gid]))
            for old, new in (bug or []):
                code = code.replace(old, new)
            cell["source"] = code
    return nb


def _write(folder, assignment, nb=None, raw=None, timestamp=ON_TIME):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment}.ipynb").write_bytes(
        raw if raw is not None else (json.dumps(nb, indent=1) + "\n").encode())
    (folder / "timestamp.txt").write_text(timestamp + "\n")


def write_samples(outdir, assignments=DEFAULT, log=print):
    """Write the demo submissions of ``assignments`` into ``outdir``; return ``outdir``."""
    outdir = Path(outdir)
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp) / "course", create=True)
        release(course, list(assignments), log=lambda *_: None)
        for a in assignments:
            target = outdir / a
            shutil.rmtree(target, ignore_errors=True)
            released = json.loads(course.path("release", a, f"{a}.ipynb").read_text())
            source = json.loads(json.dumps(source_notebook(a)))
            bugs = load_bugs(a)
            solution_ids = [c["metadata"]["nbgrader"]["grade_id"] for c in source["cells"]
                            if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                            and c["cell_type"] == "code"]
            _write(target / "ada", a, filled(released, source))
            _write(target / "babbage", a, filled(released, source, solved=set(solution_ids[:2])))
            _write(target / "curie", a, filled(released, source, bug=bugs[0]["replace"]))
            _write(target / "darwin", a, filled(released, source, bug=bugs[1]["replace"]))
            _write(target / "euler", a, released)
            _write(target / "fermi", a, filled(released, source), timestamp=LATE)
            _write(target / "gauss", a, raw=b'{"cells": [{"cell_type": "code", "source": "x = 1"')
            log(f"wrote demo submissions of {a} to {target}")
    return outdir


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        print("usage: python -m autograder.demo OUTDIR [ASSIGNMENT ...]", file=sys.stderr)
        return 2
    write_samples(argv[0], tuple(argv[1:]) or DEFAULT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
