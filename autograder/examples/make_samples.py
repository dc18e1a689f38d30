"""Regenerate the sample submissions in autograder/samples/ (used by `make grade-demo`).

    .venv/bin/python autograder/examples/make_samples.py

For each sample assignment, writes one folder per made-up student, as `collect`
expects (``<student>/<assignment>.ipynb``, optionally ``timestamp.txt``):

========  ==========================================================
ada       correct: every part solved
babbage   partial: shift and forward solved, backward left as the stub
curie     typical bug: the derivative of tanh is missing
darwin    typical bug: a second bug from the exercise's bug list
euler     empty: the released notebook, untouched
fermi     late: correct, but handed in after the due date
gauss     broken: the file is not valid JSON
========  ==========================================================

The notebooks start from the released version (so they look like real submissions:
stubs replaced by code, no solution markers).
"""

import importlib
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "exercises"))

from autograder.course import Course, SOLUTIONS  # noqa: E402
from autograder.release import release  # noqa: E402

SAMPLES = REPO / "autograder" / "samples"
LATE = "2026-11-03 10:15:00.000000 UTC"      # after the demo's due date (2026-11-01)
ON_TIME = "2026-10-30 18:00:00.000000 UTC"
MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)


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
            code = MARKERS.sub("", _text(src[gid]))
            for old, new in (bug or []):
                code = code.replace(old, new)
            cell["source"] = code
    return nb


def write(assignment, student, nb=None, raw=None, timestamp=ON_TIME):
    folder = SAMPLES / assignment / student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment}.ipynb").write_bytes(raw if raw is not None else
                                                (json.dumps(nb, indent=1) + "\n").encode())
    (folder / "timestamp.txt").write_text(timestamp + "\n")


def main(assignments=("ex02_tdnn", "ex05_elman")):
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp) / "course", create=True)
        release(course, list(assignments), log=lambda *_: None)
        for a in assignments:
            shutil.rmtree(SAMPLES / a, ignore_errors=True)
            released = json.loads(course.path("release", a, f"{a}.ipynb").read_text())
            source = json.loads((SOLUTIONS / a / f"{a}.ipynb").read_text())
            bugs = importlib.import_module(f"bugs.{a}").BUGS
            solution_ids = [c["metadata"]["nbgrader"]["grade_id"] for c in source["cells"]
                            if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                            and c["cell_type"] == "code"]
            write(a, "ada", filled(released, source))
            write(a, "babbage", filled(released, source, solved=set(solution_ids[:2])))
            write(a, "curie", filled(released, source, bug=bugs[0]["replace"]))
            write(a, "darwin", filled(released, source, bug=bugs[1]["replace"]))
            write(a, "euler", released)
            write(a, "fermi", filled(released, source), timestamp=LATE)
            write(a, "gauss", raw=b'{"cells": [{"cell_type": "code", "source": "x = 1"')
            print(f"wrote samples of {a} to {SAMPLES / a}")


if __name__ == "__main__":
    main()
