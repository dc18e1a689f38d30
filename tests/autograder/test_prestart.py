"""Prestarted kernels: each submission still gets a sandbox no other student touched,
and grading with prestart decides exactly what grading without it decides.

One course (the demo submissions and two more) is graded twice in this process with
one worker, with and without prestart. ``leak1_a`` leaves marks everywhere it can (a
global, builtins, numpy, the environment, files in its working copy, /tmp, /dev/shm
and its home); ``leak2_b``, graded next, on the kernel started while ``leak1_a`` ran,
prints which marks it finds.
"""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from autograder import prestart
from autograder.course import Course
from autograder.grading import grade
from autograder.ledger import Ledger
from conftest import make_course, samples_dir

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

A = "ex02_tdnn"

LEAVE_MARKS = """\
LEAK_MARK = "from-a"
import builtins, os, numpy
builtins.LEAK_MARK = numpy.LEAK_MARK = os.environ["LEAK_MARK"] = "from-a"
for d in (".", "/tmp", "/dev/shm", os.path.expanduser("~")):
    try:
        with open(os.path.join(d, "leak_mark"), "w") as f:
            f.write("from-a")
    except OSError:
        pass
print("marks left")
"""

LOOK_FOR_MARKS = """\
import builtins, os, sys
checks = [("global", "LEAK_MARK" in globals()), ("builtins", hasattr(builtins, "LEAK_MARK")),
          ("numpy", hasattr(sys.modules.get("numpy"), "LEAK_MARK")),
          ("environ", "LEAK_MARK" in os.environ)]
checks += [(d, os.path.exists(os.path.join(d, "leak_mark")))
           for d in (".", "/tmp", "/dev/shm", os.path.expanduser("~"))]
print("marks found:", [name for name, hit in checks if hit] or "none")
"""


def _with_cell(student, source, at):
    nb = nbformat.read(str(samples_dir() / A / "ada" / f"{A}.ipynb"), as_version=4)
    nb.cells.insert(at if at >= 0 else len(nb.cells), nbformat.v4.new_code_cell(source))
    return student, nb


def _decisions(root):
    ledger = Ledger(Course(root).db_url)
    try:
        return {r["student"]: (r["status"], r["score"], r["reason"],
                               json.dumps(r["details"], sort_keys=True))
                for r in ledger.rows()}
    finally:
        ledger.dispose()


def _printed(root, student, text):
    nb = nbformat.read(str(root / "autograded" / student / A / f"{A}.ipynb"), as_version=4)
    return [o.get("text", "") for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if text in o.get("text", "")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("prestart")
    root = make_course(base / "with")
    for student, nb in (_with_cell("leak1_a", LEAVE_MARKS, -1),
                        _with_cell("leak2_b", LOOK_FOR_MARKS, 0)):
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{A}.ipynb"))
    without = base / "without"
    shutil.copytree(root, without)

    taken = []
    real_take = prestart.take

    def spy(key):
        spare = real_take(key)
        taken.append(spare is not None)
        return spare

    prestart.take = spy
    try:
        grade(Course(root), [A], workers=1, progress=False)
        with_prestart, used = _decisions(root), list(taken)
        taken.clear()
        grade(Course(without), [A], workers=1, progress=False, prestart=False)
        without_prestart, unused = _decisions(without), list(taken)
    finally:
        prestart.take = real_take
    return root, with_prestart, used, without_prestart, unused


def test_every_submission_after_the_first_ran_on_a_prestarted_kernel(graded):
    _, decisions, used, _, unused = graded
    kernels = sum(1 for status, *_ in decisions.values() if status == "graded")
    assert kernels == 8 and used == [False] + [True] * (kernels - 1)
    assert unused == [False] * kernels


def test_the_next_student_sees_nothing_of_the_previous_one(graded):
    root = graded[0]
    assert _printed(root, "leak1_a", "marks left")
    assert _printed(root, "leak2_b", "marks found:") == ["marks found: none\n"]


def test_scores_with_prestart_equal_scores_without(graded):
    _, with_prestart, _, without_prestart, _ = graded
    assert with_prestart == without_prestart
    assert with_prestart["leak2_b"][:2] == ("graded", 10.0)
    assert with_prestart["ada"][:2] == ("graded", 10.0)
