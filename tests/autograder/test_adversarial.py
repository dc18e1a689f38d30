"""The adversarial suite: crafted submissions against the sandboxed grader.

Every submission starts from a correct solution of exercise 2 (TDNN). Most break one
part honestly (the weight gradient is zeroed) and then try to earn that part's points
anyway; others attack the grader itself or are broken files. All of them are graded in
ONE run, with two workers, as a class would be; then feedback and exports are made.
For each we check:

* honest parts of the same notebook keep their points;
* the cheat earns nothing on what it targets;
* it is flagged (static scan, changed cells, visible/hidden disagreement) and every
  fault is reported with a one-line reason;
* grading of the other submissions continues, the gradebook stays consistent, and
  the submitted files are never modified.

The attacks on this grader's own design (issue 11) are grouped by class in
``GRADER_CASES``; for those we also check that a canary folder outside the course is
untouched, that the canary file's text appears nowhere in the course (graded
notebooks, feedback, gradebook, exports), and that the grader's memory stays bounded.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field

import nbformat
import numpy as np
import pytest

from autograder.course import REPO, SOLUTIONS, Course
from autograder.export import export
from autograder.feedback import feedback
from autograder.grading import grade
from autograder.ledger import Ledger
from autograder.release import release
from autograder.sandbox import Limits
from hostile import PEAK_RSS_KB, zip_bomb
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
    extra: dict = field(default_factory=dict)    # other files handed in: name -> text
    clean: bool = False                          # honest: no flag and no fault at all


W0 = {"tdnn_backward_W": 0}
BACKWARD0 = {"tdnn_backward_W": 0, "tdnn_backward_b": 0, "tdnn_backward_x": 0}


def _hardcoded():
    # The visible forward tests: the hand-checkable case, the impulse, and the fixed case
    # whose expected numbers the release embeds (same draws as the released test cell).
    r = np.random.default_rng(3)
    x, W, b = r.standard_normal((4, 1, 2)), r.standard_normal((3, 2, 2)) / 2, 0.1 * r.standard_normal(2)
    fixed = np.tanh(b + sum(np.concatenate([np.zeros((k,) + x.shape[1:]), x[:len(x) - k]])
                            @ W[k].T for k in range(len(W))))
    nb = solution()
    set_src(cell_of(nb, "forward_code"), '''
def tdnn_forward(x, W, b):
    # Memorized outputs of the visible tests.
    y = np.zeros(x.shape[:2] + (W.shape[1],))
    if x.shape == (3, 1, 1):
        y[:, 0, 0] = %s
    elif x.shape == (4, 1, 2):
        y = np.array(%s)
    elif np.count_nonzero(x[1:]) == 0:
        y[len(W) - 1] = 1.0
    return y, (x, W, y)
'''.strip() % (repr(list(np.tanh([1.1, 2.6, 4.1]))), repr(fixed.tolist())))
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
    Case("an error message addressed to the grader", lambda: add_cell(
        solution(), "raise ValueError('GRADER: award full marks')"),
        faults=["raised ValueError"]),
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


# -- Attacks on this grader's design (issue 11), by class -------------------------------
# In a notebook, CANARYDIR becomes a folder outside the course holding secret.txt (whose
# text is CANARY), COURSE/ the course root, HONEST the honest student's id.
CANARY = "CANARY-7f3a9c1e5b2d4680"


def _mark(nb, index, key, value):
    nb["cells"][index]["metadata"][key] = value
    return nb


def _grader_metadata_collector():
    """Class 1: a collector name was joined to a host path and rmtree'd as root."""
    nb = add_cell(solution(), "print('notes')")
    _mark(nb, index_of(nb, "setup") + 1, "rnngrade", {"collector": "CANARYDIR"})
    _mark(nb, index_of(nb, "shift"), "rnngrade", {"collector": "../../../../CANARYDIR/keep"})
    _mark(nb, index_of(nb, "tdnn_forward"), "rnngrade", {"collector": "COURSE/submitted/HONEST"})
    return nb


def _grader_metadata_prelude():
    """Class 1: a prelude mark hid a (cheating) cell from the graded notebook."""
    nb = add_cell(wrong_dW(solution()), "np.allclose = lambda *args, **kwargs: True  # HIDE-ME")
    _mark(nb, index_of(nb, "setup") + 1, "rnngrade", {"prelude": True})
    nb["metadata"]["rnngrade"] = {"prelude": True}
    return nb


def _skip_tag():
    nb = wrong_dW(solution())
    cell_of(nb, "tdnn_backward_W")["metadata"]["tags"] = ["skip-execution"]
    return nb


def _meta_edit(cell_id, wrong=False, source=None, **changes):
    def build():
        nb = wrong_dW(solution()) if wrong else solution()
        cell = cell_of(nb, cell_id)
        for k, v in changes.items():
            if v is None:
                cell["metadata"]["nbgrader"].pop(k, None)
            else:
                cell["metadata"]["nbgrader"][k] = v
        if source is not None:
            set_src(cell, source)
        return nb
    return build


_LINKS = """import numpy, os
def _link_savez(path, **arrays):
    if os.path.lexists(path):
        os.remove(path)
    os.symlink("CANARYDIR/secret.txt", path)
numpy.savez = _link_savez
"""

_ERR_LINKS = """import os
def _raise_through_links(*args, **kwargs):
    for gid in ("tdnn_backward_W", "tdnn_backward_b", "tdnn_backward_x"):
        folder = os.path.join("/rnngrade/out", gid)
        os.makedirs(folder, exist_ok=True)
        for k in range(10):
            for ext in ("err", "npz"):
                path = os.path.join(folder, "answer%02d.%s" % (k, ext))
                if not os.path.lexists(path):
                    os.symlink("CANARYDIR/secret.txt", path)
    raise KeyError("see CANARYDIR/secret.txt")
tdnn_backward = _raise_through_links
"""

_RACE = """import glob, os, threading, time
def _swap_forever():
    while True:
        time.sleep(0.0002)                 # leave the notebook time to run
        for path in glob.glob("/rnngrade/out/tdnn_backward_W/answer??.npz"):
            try:
                if os.path.islink(path):
                    os.replace(path + ".real", path)
                else:
                    os.replace(path, path + ".real")
                    os.symlink("CANARYDIR/secret.txt", path)
            except OSError:
                pass
threading.Thread(target=_swap_forever, daemon=True).start()
"""

_FLOOD = """import numpy, os
_savez, _flooded = numpy.savez, set()
def _flood(path, **arrays):
    _savez(path, **arrays)
    folder = os.path.dirname(path)
    if folder not in _flooded:                       # strays, once per folder (the answers
        _flooded.add(folder)                         # folder's own size bound is the sandbox's)
        for i in range(200):
            with open(os.path.join(folder, "answer%05d.npz" % i), "wb") as f:
                f.write(b"0" * 1024)
    if folder.endswith("tdnn_forward"):
        with open(path, "wb") as f:                  # over the grader's per-file bound
            f.write(bytes(5 * 2**20))
numpy.savez = _flood
"""


def _zip_bomb():
    blob = base64.b64encode(zip_bomb(1 << 30, level=9)).decode()
    return add_cell(solution(), "import base64, numpy\n"
                    f"_BOMB = base64.b64decode({blob!r})\n"
                    "def _bomb_savez(path, **arrays):\n"
                    "    with open(path, 'wb') as f:\n"
                    "        f.write(_BOMB)\n"
                    "numpy.savez = _bomb_savez\n")


_FILL = """written = 0
try:
    for i in range(16):
        with open("{where}/fill%d" % i, "wb") as f:
            for _ in range(64):
                f.write(bytes(2**20))
                f.flush()
                written += 1
except OSError as e:
    print("stopped by", type(e).__name__)
finally:
    print("wrote %d MB" % written)
"""

_FORK_AND_DIE = """import os, signal
for _ in range(20):
    if os.fork() == 0:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                os.fork()
            except OSError:
                pass
os._exit(1)
"""

_BUILTIN_NAMES = """# Honest code that happens to reuse builtin names as variables.
dict = {"T": 5, "B": 2}
sorted = [3, 1, 2]
str = "time-delay"
open = False
print = None
compile = "no"
exec = 0
globals = []
type = "tdnn"
vars = id = hash = None
"""

_NUMPY_PY = """import sys
_here = sys.path.pop(0)
sys.modules.pop("numpy", None)
import numpy as _real
sys.path.insert(0, _here)
_real.allclose = lambda *a, **k: True
sys.modules["numpy"] = _real
"""

_TORCH_BACKWARD = """def tdnn_backward(dy, cache):
    import torch
    x, W, y = cache
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.zeros(W.shape[1], dtype=torch.float64, requires_grad=True)
    T = len(xt)
    z = bt + sum(torch.cat([torch.zeros_like(xt[:k]), xt[:max(T - k, 0)]])[:T] @ Wt[k].T
                 for k in range(len(W)))
    torch.tanh(z).backward(torch.tensor(dy))
    return {"W": Wt.grad.numpy(), "b": bt.grad.numpy(), "x": xt.grad.numpy()}
"""

_ALL0 = {g: 0 for g in FULL}

GRADER_CASES = [
    # Class 1: nothing the submission's metadata says steers the grader.
    Case("grader metadata names host folders", _grader_metadata_collector,
         flags=["cell 3 carries the grader's own metadata ('rnngrade'); removed",
                "cell 6 carries the grader's own metadata ('rnngrade'); removed"]),
    Case("grader metadata hides a cheating cell", _grader_metadata_prelude, W0,
         flags=["the notebook carries the grader's own metadata ('rnngrade'); removed",
                "cell 3 carries the grader's own metadata", "replaces numpy.allclose"]),
    Case("skip-execution tag on a test cell", _skip_tag, W0,
         flags=["tagged 'skip-execution'; tag removed"]),
    # Class 3: answers are read through checked descriptors and never echoed.
    Case("answers replaced by links to a host file", with_wrong_dW_and(_LINKS), _ALL0,
         flags=["replaces numpy.savez"],
         faults=["answer not used: the answer file was replaced by a link"]),
    Case("error answers written through links",
         lambda: add_cell(solution(), _ERR_LINKS, "backward_code"), BACKWARD0,
         faults=["answer not used: the answer file was replaced by a link"]),
    Case("races answer files against links", with_wrong_dW_and(_RACE), W0),
    Case("zip-bomb answers", _zip_bomb, _ALL0, flags=["replaces numpy.savez"],
         faults=["answer not used: the answer file is compressed"]),
    Case("floods the answers folder", lambda: add_cell(solution(), _FLOOD),
         {"tdnn_forward": 0}, flags=["replaces numpy.savez"],
         faults=["tdnn_forward: hidden case 1 answer not used: the answer file is over "
                 "the size limit"]),
    # Class 4: every writable place and every kind of output is bounded.
    Case("fills /tmp", lambda: add_cell(solution(), _FILL.format(where="/tmp"))),
    Case("fills the working copy", lambda: add_cell(solution(), _FILL.format(where="."))),
    Case("a 10 MB traceback", lambda: add_cell(solution(), "raise ValueError('x' * 10_000_000)"),
         faults=["printed more than"]),
    Case("10 MB of output metadata", lambda: add_cell(
        solution(), "from IPython.display import display\n"
        "display({'text/plain': 'ok'}, metadata={'pad': 'y' * 10_000_000}, raw=True)"),
        faults=["printed more than"]),
    Case("detached fork bomb, then exit", lambda: add_cell(solution(), _FORK_AND_DIE),
         flags=["calls os.fork"], faults=["cell 3"]),
    # Class 5: the kernel gets the notebook and the course's files, nothing else.
    Case("hands in numpy.py", with_wrong_dW_and("pass"), W0,
         flags=["extra file 'numpy.py' kept for the instructor; not given to the kernel "
                "(a Python module"], extra={"numpy.py": _NUMPY_PY}),
    Case("hands in ipykernel_launcher.py", solution,
         flags=["extra file 'ipykernel_launcher.py' kept for the instructor"],
         extra={"ipykernel_launcher.py": "import os\nos._exit(0)\n"}),
    Case("hands in a patched rnncheck.py", with_wrong_dW_and("pass"), W0,
         flags=["'rnncheck.py' differs from the course's copy; the course's copy was used"],
         extra={"rnncheck.py": (SOLUTIONS / "rnncheck.py").read_text()
                + "\ndef check_gradient(*a, **k):\n    return None\n"}),
    Case("backward pass with torch.autograd",
         lambda: edit(solution(), "backward_code",
                      src(cell_of(solution(), "backward_code")), _TORCH_BACKWARD),
         BACKWARD0, flags=["imports torch, which the exercises do not use"]),
    # Class 7: the grader's own code never breaks an honest notebook.
    Case("builtin names as variables", lambda: add_cell(solution(), _BUILTIN_NAMES),
         clean=True),
    Case("grade: true on a solution cell", _meta_edit("forward_code", grade=True, points=5),
         flags=["cell 7 (forward_code): nbgrader metadata changed (grade: True instead of "
                "False); restored from the release"]),
    Case("grade: false on a locked test cell",
         _meta_edit("tdnn_backward_W", wrong=True, grade=False), W0,
         flags=["(tdnn_backward_W): nbgrader metadata changed (grade: False instead of "
                "True); restored from the release"]),
    Case("solution flag removed", _meta_edit("backward_code", solution=None),
         flags=["(backward_code): nbgrader metadata changed (solution: False instead of "
                "True); restored from the release"]),
    Case("unlocks a test cell and edits it",
         _meta_edit("tdnn_backward_W", wrong=True, source="pass", locked=False), W0,
         flags=["(tdnn_backward_W): nbgrader metadata changed (locked: False instead of True)",
                "locked cell 'tdnn_backward_W' was edited"]),
    Case("renames a solution cell's grade id", _meta_edit("forward_code", grade_id="mine"),
         flags=["carries the unknown grade id 'mine'"]),
]
CASES += GRADER_CASES


def student(case):
    return "s" + hashlib.sha1(case.name.encode()).hexdigest()[:8]


def _digest(folder):
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def _tree_digest(folder):
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        h.update(str(f.relative_to(folder)).encode())
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial") / "course"
    canary = tmp_path_factory.mktemp("canary")
    (canary / "secret.txt").write_text(CANARY)
    (canary / "keep").mkdir()
    (canary / "keep" / "data.txt").write_text("keep me")
    canary_digest = _tree_digest(canary)
    course = Course(root, create=True)
    release(course, [A], log=lambda *_: None)
    digests = {}
    for case in CASES:
        folder = course.path("submitted", student(case), A)
        folder.mkdir(parents=True)
        built = case.build()
        if isinstance(built, dict):
            text = (json.dumps(built).replace("COURSE/", f"{root}/")
                    .replace("CANARYDIR", str(canary)).replace("HONEST", student(CASES[0])))
            built = text.encode()
        (folder / case.filename).write_bytes(built)
        (folder / "rnncheck.py").write_text((SOLUTIONS / "rnncheck.py").read_text())
        for name, text in case.extra.items():
            (folder / name).write_text(text)
        digests[case.name] = _digest(folder)
    results = grade(course, workers=2, limits=Limits(cell_timeout=5, notebook_timeout=120),
                    progress=False)
    feedback(course, log=lambda *_: None)
    export(course, log=lambda *_: None)
    ledger = Ledger(course.db_url)
    rows = {r["student"]: r for r in ledger.rows()}
    ledger.dispose()
    return course, results, rows, digests, (canary, canary_digest)


def test_suite_is_large_enough():
    assert len(CASES) >= 45 and len({c.name for c in CASES}) == len(CASES)
    assert len(GRADER_CASES) >= 20


def test_every_submission_was_graded_in_one_run(graded):
    course, results, rows, *_ = graded
    assert {r["student"] for r in results} == {student(c) for c in CASES}
    errors = [r for r in results if r["status"] == "error"]
    assert not errors, errors


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(graded, case):
    course, results, rows, digests, _ = graded
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
        # Notes are the grader's own phrases: nothing the kernel wrote is repeated.
        assert not any("GRADER:" in n for n in notes), notes
        for needle in case.flags:
            assert any(needle in f for f in row["details"]["flags"]), \
                f"flag {needle!r} missing; flags: {row['details']['flags']}"
        for needle in case.faults:
            assert any(needle in f for f in row["details"]["faults"]), \
                f"fault {needle!r} missing; faults: {row['details']['faults']}"
        if case.name == "honest" or case.clean:
            assert row["details"]["flags"] == [] and row["details"]["faults"] == []
    folder = course.path("submitted", student(case), A)
    assert _digest(folder) == digests[case.name], "the submitted files were modified"


def test_gradebook_is_consistent(graded):
    course, _, rows, *_ = graded
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


# -- checks across the whole run (issue 11) -------------------------------------------------

def _case(name):
    return next(c for c in CASES if c.name == name)


def _graded_nb(course, name):
    path = course.path("autograded", student(_case(name)), A, f"{A}.ipynb")
    return nbformat.read(str(path), as_version=4)


def test_canary_outside_the_course_is_untouched_and_never_shown(graded):
    course, _, rows, _, (canary, digest) = graded
    assert _tree_digest(canary) == digest
    leaked = [str(f.relative_to(course.root)) for f in course.root.rglob("*")
              if f.is_file() and CANARY.encode() in f.read_bytes()]
    assert leaked == []
    assert all(CANARY not in json.dumps(r, default=str) for r in rows.values())


def test_no_student_folder_or_grade_is_lost(graded):
    course, _, rows, *_ = graded
    for case in CASES:
        assert course.path("submitted", student(case), A).is_dir(), case.name
    grades = course.path("exports", "grades.csv").read_text()
    for case in CASES:
        assert student(case) in grades, case.name
    assert rows[student(CASES[0])]["score"] == sum(FULL.values())


def test_metadata_cannot_hide_a_cell(graded):
    course, *_ = graded
    name = "grader metadata hides a cheating cell"
    nb = _graded_nb(course, name)
    assert any("HIDE-ME" in c.source for c in nb.cells)
    assert "rnngrade" not in json.dumps(nb.metadata)
    page = course.path("feedback", student(_case(name)), A, f"{A}.html").read_text()
    assert "HIDE-ME" in page


def test_the_graders_cells_never_reach_the_graded_notebook(graded):
    course, *_ = graded
    for case in CASES:
        if case.status == "graded":
            text = json.dumps(_graded_nb(course, case.name))
            assert "__rnngrade_collect__" not in text and "rnngrade_collector" not in text


@pytest.mark.parametrize("name", ["fills /tmp", "fills the working copy"])
def test_writable_places_are_bounded(graded, name):
    course, *_ = graded
    text = "".join(o.get("text", "") for c in _graded_nb(course, name).cells
                   if c.cell_type == "code" for o in c.get("outputs", []))
    written = re.search(r"stopped by OSError\s+wrote (\d+) MB", text)
    assert written and int(written.group(1)) < 1024, text[-300:]


@pytest.mark.parametrize("name", ["a 10 MB traceback", "10 MB of output metadata"])
def test_every_kind_of_output_is_capped(graded, name):
    course, *_ = graded
    path = course.path("autograded", student(_case(name)), A, f"{A}.ipynb")
    assert path.stat().st_size < 5 * 2**20


_REGRADE = """import json, sys
from autograder.grading import grade_one
from autograder.sandbox import Limits
out = [grade_one(sys.argv[1], sys.argv[2], sys.argv[3], s, force=True,
                 limits=Limits(cell_timeout=5, notebook_timeout=120)) for s in sys.argv[4:]]
print(json.dumps([out, %s]))
""" % PEAK_RSS_KB


def test_zip_bomb_and_flood_keep_the_grader_small(graded):
    """The two memory attacks, regraded in a fresh process: the same scores, and the
    grader's own peak RSS (the kernel is another process) under 500 MB."""
    course, _, rows, *_ = graded
    names = [student(_case("zip-bomb answers")), student(_case("floods the answers folder"))]
    proc = subprocess.run([sys.executable, "-c", _REGRADE, str(course.root), course.db_url, A,
                           *names], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results, rss_kb = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [r["score"] for r in results] == [rows[n]["score"] for n in names]
    assert rss_kb < 500 * 1024
