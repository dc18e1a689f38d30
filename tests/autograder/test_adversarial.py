"""The adversarial suite: crafted submissions against the sandboxed grader.

Every submission starts from a correct solution of exercise 2 (TDNN). Most break one
part honestly (the weight gradient is zeroed) and then try to earn that part's points
anyway; others attack the grader itself or are broken files. All of them are graded in
ONE run, with two workers, as a class would be. For each we check:

* honest parts of the same notebook keep their points;
* the cheat earns nothing on what it targets;
* it is flagged (static scan, changed cells, visible/hidden disagreement) and every
  fault is reported with a one-line reason;
* grading of the other submissions continues, the gradebook stays consistent, and
  the submitted files are never modified.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from dataclasses import dataclass, field

import nbformat
import numpy as np
import pytest

from autograder.course import REPO, SOLUTIONS, Course
from autograder.grading import grade
from autograder.ledger import Ledger
from autograder.release import release
from autograder.sandbox import Limits
from conftest import samples_dir

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

A = "ex02_tdnn"
FULL = {"shift": 1, "tdnn_forward": 2, "tdnn_backward_W": 3, "tdnn_backward_b": 1,
        "tdnn_backward_x": 3}
TRUE_DW = 'dW = np.stack([np.einsum("tbh,tbd->hd", dz, shift(x, k)) for k in range(len(W))])'


def solution():
    """A complete, honest submission: the released notebook with every part solved."""
    return json.loads((samples_dir() / A / "ada" / f"{A}.ipynb").read_text())


def cell_of(nb, grade_id):
    for c in nb["cells"]:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return c
    raise KeyError(grade_id)


def index_of(nb, grade_id):
    return nb["cells"].index(cell_of(nb, grade_id))


def src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def set_src(cell, text):
    cell["source"] = text


def edit(nb, grade_id, old, new):
    c = cell_of(nb, grade_id)
    assert old in src(c), (grade_id, old)
    set_src(c, src(c).replace(old, new))
    return nb


def wrong_dW(nb):
    return edit(nb, "backward_code", TRUE_DW, "dW = np.zeros_like(W)")


def add_cell(nb, code, after="setup"):
    cell = nbformat.v4.new_code_cell(code)
    nb["cells"].insert(index_of(nb, after) + 1, json.loads(json.dumps(cell)))
    return nb


def with_wrong_dW_and(code, after="setup"):
    return lambda: add_cell(wrong_dW(solution()), code, after)


@dataclass
class Case:
    name: str
    build: object                      # () -> notebook dict, or bytes for the raw file
    scores: dict = field(default_factory=dict)   # overrides of FULL
    status: str = "graded"
    flags: list = field(default_factory=list)
    faults: list = field(default_factory=list)
    reason: str = ""
    filename: str = f"{A}.ipynb"


W0 = {"tdnn_backward_W": 0}
BACKWARD0 = {"tdnn_backward_W": 0, "tdnn_backward_b": 0, "tdnn_backward_x": 0}


def _hardcoded():
    nb = solution()
    set_src(cell_of(nb, "forward_code"), '''
def tdnn_forward(x, W, b):
    # Memorized outputs of the visible tests.
    y = np.zeros(x.shape[:2] + (W.shape[1],))
    if x.shape == (3, 1, 1):
        y[:, 0, 0] = %s
    elif np.count_nonzero(x[1:]) == 0:
        y[len(W) - 1] = 1.0
    return y, (x, W, y)
'''.strip() % repr(list(np.tanh([1.1, 2.6, 4.1]))))
    return nb


def _edited_test():
    nb = wrong_dW(solution())
    set_src(cell_of(nb, "tdnn_backward_W"), "pass")
    return nb


def _deleted_test():
    nb = wrong_dW(solution())
    nb["cells"].remove(cell_of(nb, "tdnn_backward_W"))
    return nb


def _renamed_test():
    nb = wrong_dW(solution())
    c = cell_of(nb, "tdnn_backward_W")
    c["metadata"]["nbgrader"].update(grade_id="free_points", points=100)
    set_src(c, "pass")
    return nb


def _more_points():
    nb = solution()
    cell_of(nb, "tdnn_backward_W")["metadata"]["nbgrader"]["points"] = 100
    return nb


def _new_cell_ids():
    nb = solution()
    for c in nb["cells"]:
        c["id"] = uuid.uuid4().hex[:8]
    return nb


def _duplicate_grade_id():
    nb = wrong_dW(solution())
    fake = copy.deepcopy(cell_of(nb, "tdnn_backward_W"))
    set_src(fake, "pass")
    fake["id"] = "fakecopy"
    nb["cells"].insert(index_of(nb, "tdnn_backward_W") + 1, fake)
    return nb


def _non_utf8():
    raw = json.dumps(solution(), ensure_ascii=False).encode()
    return raw.replace(b"Exercise 2: a time-delay layer", b"Exercise 2: a time-delay layer \xff\xfe")


def _nbformat3():
    nb = nbformat.reads(json.dumps(solution()), as_version=4)
    return nbformat.writes(nbformat.convert(nb, 3)).encode()


def _huge():
    nb = solution()
    blob = "A" * (50 * 1024 * 1024)
    cell_of(nb, "setup")["outputs"] = [{"output_type": "display_data", "metadata": {},
                                        "data": {"text/plain": blob}}]
    return nb


def _stalls_on_hidden_inputs():
    return edit(solution(), "backward_code", "    x, W, y = cache\n",
                "    x, W, y = cache\n    if x.shape != (5, 2, 3):\n"
                "        import time\n        time.sleep(3600)\n")


CASES = [
    Case("honest", solution),
    Case("patches numpy.allclose", with_wrong_dW_and(
        "np.allclose = lambda *args, **kwargs: True"), W0, flags=["replaces numpy.allclose"]),
    Case("patches numpy.testing.assert_allclose", with_wrong_dW_and(
        "np.testing.assert_allclose = lambda *args, **kwargs: None"), W0,
        flags=["replaces numpy.testing.assert_allclose"]),
    Case("replaces builtins.AssertionError", with_wrong_dW_and(
        "import builtins\nbuiltins.AssertionError = type('Quiet', (Warning,), {})"), W0,
        flags=["replaces builtins.AssertionError"]),
    Case("redefines a test helper", with_wrong_dW_and(
        "def check_gradient(*args, **kwargs):\n    return None"), W0,
        flags=["redefines the test helper check_gradient",
               "tdnn_backward_W: the visible tests passed in the kernel but the hidden"]),
    Case("replaces a module in sys.modules", with_wrong_dW_and(
        "import sys, types\nfake = types.ModuleType('numpy.testing')\n"
        "fake.assert_allclose = lambda *a, **k: None\nsys.modules['numpy.testing'] = fake"),
        W0, flags=["writes to sys.modules"]),
    Case("imports rnn_ref", lambda: edit(solution(), "backward_code", "    x, W, y = cache\n",
                                          "    from rnn_ref import tdnn as reference\n"
                                          "    x, W, y = cache\n"),
         BACKWARD0, flags=["imports rnn_ref"]),
    Case("reads the solutions from disk", with_wrong_dW_and(
        f"try:\n    leaked = open({str(SOLUTIONS / A / (A + '.md'))!r}).read()\n"
        "except OSError:\n    leaked = ''\nprint(len(leaked))"), W0,
        flags=["outside the working directory"]),
    Case("reads the hidden tests from disk", with_wrong_dW_and(
        f"for path in [{str(SOLUTIONS / A / 'hidden.py')!r}, "
        "'../../gradebook.db']:\n    try:\n        print(open(path).read()[:100])\n"
        "    except OSError as e:\n        print(type(e).__name__)"), W0,
        flags=["outside the working directory"]),
    Case("hard-codes the visible outputs", _hardcoded,
         {"tdnn_forward": 0, "tdnn_backward_W": 0, "tdnn_backward_b": 0, "tdnn_backward_x": 0},
         flags=["tdnn_forward: the visible tests passed in the kernel but the hidden"]),
    Case("infinite loop", lambda: add_cell(solution(), "while True:\n    pass", "written_width"),
         faults=["ran longer than"]),
    Case("infinite loop that ignores interrupts", lambda: add_cell(
        solution(), "while True:\n    try:\n        while True:\n            pass\n"
        "    except BaseException:\n        pass"), faults=["ran longer than"]),
    Case("allocates 50 GB", lambda: add_cell(solution(), "big = np.ones(50 * 2**30 // 8)"),
         faults=["raised MemoryError"]),
    Case("fork bomb", lambda: add_cell(solution(), "import os\nwhile True:\n    os.fork()"),
         flags=["calls os.fork"], faults=["cell 3"]),
    Case("os._exit", lambda: add_cell(solution(), "import os\nos._exit(3)"),
         flags=["calls os._exit"], faults=["ended the kernel"]),
    Case("sys.exit", lambda: add_cell(solution(), "import sys\nsys.exit(0)"),
         flags=["calls sys.exit"], faults=["raised SystemExit"]),
    Case("segfault through ctypes", lambda: add_cell(solution(),
                                                     "import ctypes\nctypes.string_at(0)"),
         flags=["ctypes"], faults=["ended the kernel"]),
    Case("deletes files", lambda: add_cell(
        solution(), "import os, shutil\nos.remove('rnncheck.py')\n"
        f"shutil.rmtree({str(REPO)!r}, ignore_errors=True)\nshutil.rmtree('..', ignore_errors=True)"),
        flags=["deletes"]),
    Case("overwrites the test helper file", with_wrong_dW_and(
        "open('rnncheck.py', 'a').write('\\ndef check_gradient(*a, **k):\\n    return None\\n')\n"
        "import importlib, rnncheck\nimportlib.reload(rnncheck)\nfrom rnncheck import *"),
        W0, flags=["imports importlib"]),
    Case("writes to the gradebook", lambda: add_cell(
        solution(), "import sqlite3, glob\nfor path in glob.glob('/**/gradebook.db', recursive=True) "
        "+ ['COURSE/gradebook.db']:\n    try:\n        db = sqlite3.connect(path)\n"
        "        db.execute('update grade set auto_score = 1000')\n        db.commit()\n"
        "    except Exception as e:\n        print(path, type(e).__name__)"),
        flags=["mentions the grader's files"]),
    Case("opens a network connection", lambda: add_cell(
        solution(), "import socket\nfor host in [('127.0.0.1', 5432), ('pypi.org', 443)]:\n"
        "    try:\n        socket.create_connection(host, timeout=3)\n        print('CONNECTED', host)\n"
        "    except OSError as e:\n        print(type(e).__name__)"),
        flags=["opens network connections"]),
    Case("prints 100 MB", lambda: add_cell(solution(), "print('x' * 100_000_000)"),
         faults=["printed more than"]),
    Case("edits a locked test cell", _edited_test, W0,
         flags=["locked cell 'tdnn_backward_W' was edited"]),
    Case("deletes a locked test cell", _deleted_test, W0,
         flags=["'tdnn_backward_W' was deleted or its nbgrader metadata was changed"]),
    Case("changes nbgrader metadata", _renamed_test, W0,
         flags=["unknown grade id 'free_points'", "'tdnn_backward_W' was deleted"]),
    Case("claims more points", _more_points, flags=["claims 100 points instead of 3"]),
    Case("changes cell ids", _new_cell_ids),
    Case("duplicates a grade id", _duplicate_grade_id, W0,
         flags=["grade id 'tdnn_backward_W' appears 2 times"]),
    Case("malformed JSON", lambda: b'{"cells": [', status="failed", reason="not valid JSON"),
    Case("empty file", lambda: b"", status="failed", reason="empty file"),
    Case("non-UTF-8 bytes", _non_utf8, flags=["not valid UTF-8"]),
    Case("nbformat 3", _nbformat3, flags=["notebook format 3; converted to format 4"]),
    Case("wrong file name", solution, flags=["instead of 'ex02_tdnn.ipynb'"],
         filename="ex02_tdnn (1).ipynb"),
    Case("a notebook of 50 MB", _huge, flags=["MB (mostly outputs)"]),
    Case("walks frames and the heap", lambda: add_cell(
        solution(), "import gc, sys\nobjects = gc.get_objects()\nframe = sys._getframe()"),
        flags=["walks the heap", "walks interpreter frames"]),
    Case("stalls on the hidden inputs", _stalls_on_hidden_inputs, BACKWARD0,
         faults=["ran longer than"]),
]


def student(case):
    return "s" + hashlib.sha1(case.name.encode()).hexdigest()[:8]


def _digest(folder):
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial") / "course"
    course = Course(root, create=True)
    release(course, [A], log=lambda *_: None)
    digests = {}
    for case in CASES:
        folder = course.path("submitted", student(case), A)
        folder.mkdir(parents=True)
        built = case.build()
        if isinstance(built, dict):
            text = json.dumps(built).replace("COURSE/", f"{root}/")
            built = text.encode()
        (folder / case.filename).write_bytes(built)
        (folder / "rnncheck.py").write_text((SOLUTIONS / "rnncheck.py").read_text())
        digests[case.name] = _digest(folder)
    results = grade(course, workers=2, limits=Limits(cell_timeout=5, notebook_timeout=120),
                    progress=False)
    ledger = Ledger(course.db_url)
    rows = {r["student"]: r for r in ledger.rows()}
    ledger.dispose()
    return course, results, rows, digests


def test_suite_is_large_enough():
    assert len(CASES) >= 25 and len({c.name for c in CASES}) == len(CASES)


def test_every_submission_was_graded_in_one_run(graded):
    course, results, rows, _ = graded
    assert {r["student"] for r in results} == {student(c) for c in CASES}
    errors = [r for r in results if r["status"] == "error"]
    assert not errors, errors


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(graded, case):
    course, results, rows, digests = graded
    row = rows[student(case)]
    assert row["status"] == case.status, (row["status"], row["reason"])
    if case.status == "failed":
        assert case.reason in row["reason"]
        assert "\n" not in row["reason"]
    else:
        expected = {**FULL, **case.scores}
        cells = row["details"]["cells"]
        got = {g: cells[g]["auto"] for g in FULL}
        assert got == expected, row["details"].get("verdicts")
        assert row["score"] == sum(expected.values())
        notes = row["details"]["flags"] + row["details"]["faults"]
        assert all("\n" not in n for n in notes), notes
        for needle in case.flags:
            assert any(needle in f for f in row["details"]["flags"]), \
                f"flag {needle!r} missing; flags: {row['details']['flags']}"
        for needle in case.faults:
            assert any(needle in f for f in row["details"]["faults"]), \
                f"fault {needle!r} missing; faults: {row['details']['faults']}"
        if case.name == "honest":
            assert row["details"]["flags"] == [] and row["details"]["faults"] == []
    folder = course.path("submitted", student(case), A)
    assert _digest(folder) == digests[case.name], "the submitted files were modified"


def test_gradebook_is_consistent(graded):
    course, _, rows, _ = graded
    with course.gradebook() as gb:
        for case in CASES:
            r = rows[student(case)]
            if r["status"] != "graded":
                continue
            sub = gb.find_submission(A, student(case))
            assert sub.score == r["score"]
            names = {g.name for nb in sub.notebooks for g in nb.grades}
            assert names == set(FULL) | {"written_width"}
            assert sub.max_score == 11
