"""Intake and the kernel's working copy: nothing in a submission steers the grader.

Fast (no kernel): grader-private metadata is removed and flagged, files handed in next
to the notebook are named (never shown) and never reach the kernel, and the import
allowlist flags what the exercises do not use but no honest variant.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.execute import _working_copy
from autograder.integrity import scan_cells
from autograder.intake import read_submission

A = "ex02_tdnn"


def _notebook(cells=("x = 1",), meta=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    if meta:
        nb.metadata.update(meta)
    return nb


@pytest.fixture
def release(tmp_path):
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / f"{A}.ipynb").write_text(nbformat.writes(_notebook()))
    (folder / "rnncheck.py").write_text("def check_close(*a):\n    pass\n")
    return folder


def _submit(tmp_path, nb, files=()):
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / f"{A}.ipynb").write_text(nbformat.writes(nb))
    for name, text in dict(files).items():
        (folder / name).write_text(text)
    return folder


def test_grader_metadata_is_removed_and_flagged(tmp_path, release):
    nb = _notebook(["a = 1", "b = 2"], meta={"rnngrade": {"prelude": True}})
    nb.cells[1].metadata["rnngrade"] = {"collector": "/etc"}
    nb.cells[0].metadata["tags"] = ["hide-input"]
    got, flags = read_submission(_submit(tmp_path, nb), A, release)
    assert "rnngrade" not in got.metadata
    assert all("rnngrade" not in c.metadata for c in got.cells)
    assert got.cells[0].metadata["tags"] == ["hide-input"]
    assert flags == [f"{A}.ipynb: the notebook carries the grader's own metadata "
                     "('rnngrade'); removed",
                     f"{A}.ipynb: cell 2 carries the grader's own metadata ('rnngrade'); removed"]


def test_extra_files_are_named_and_course_copies_are_not(tmp_path, release):
    folder = _submit(tmp_path, _notebook(), {
        "rnncheck.py": (release / "rnncheck.py").read_text(),
        "timestamp.txt": "2026-11-01 12:00:00 UTC",
        "numpy.py": "SECRET-CONTENT = 1",
        "notes.txt": "SECRET-CONTENT"})
    (folder / "ipykernel_launcher.py").symlink_to("/etc/hostname")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / "data").mkdir()
    _, flags = read_submission(folder, A, release)
    assert flags == [
        "extra folder 'data' kept for the instructor; not given to the kernel",
        "extra file 'ipykernel_launcher.py' is a link; not given to the kernel",
        "extra file 'notes.txt' kept for the instructor; not given to the kernel",
        "extra file 'numpy.py' kept for the instructor; not given to the kernel "
        "(a Python module: it would shadow an import)"]
    (folder / "rnncheck.py").write_text("def check_close(*a):\n    return None\n")
    _, flags = read_submission(folder, A, release)
    assert "'rnncheck.py' differs from the course's copy; the course's copy was used" in flags
    assert not any("SECRET-CONTENT" in f for f in flags)


def test_the_working_copy_holds_only_the_course_files(tmp_path, release):
    work = _working_copy(release)
    try:
        assert sorted(p.name for p in work.iterdir()) == ["rnncheck.py"]
        assert (work / "rnncheck.py").read_text() == (release / "rnncheck.py").read_text()
    finally:
        for p in work.iterdir():
            p.unlink()
        work.rmdir()


HONEST_IMPORTS = [
    "import math", "from collections import deque, defaultdict", "import itertools as it",
    "from functools import reduce", "import numpy.linalg as la", "import matplotlib.pyplot as plt",
    "from typing import Dict", "import warnings", "from rnncheck import check_close",
    "from IPython.display import display", "import os\nos.environ.setdefault('A', '1')",
    "from dataclasses import dataclass", "import time",
]


@pytest.mark.parametrize("source", HONEST_IMPORTS)
def test_honest_imports_are_not_flagged(source):
    assert scan_cells([("cell 1", source)], ["import numpy as np"], {"rnncheck"}) == []


@pytest.mark.parametrize("source, module", [
    ("import torch", "torch"), ("from scipy import linalg", "scipy"),
    ("import jax.numpy as jnp", "jax"), ("from sklearn.linear_model import Ridge", "sklearn"),
])
def test_imports_outside_the_allowed_set_are_flagged(source, module):
    flags = scan_cells([("cell 2", source)], ["import numpy as np"], {"rnncheck"})
    assert flags == [f"cell 2, line 1: imports {module}, which the exercises do not use "
                     "(allowed: numpy, matplotlib, the course's files and the standard library)"]


def test_the_course_decides_what_is_allowed():
    """A module the released notebook itself imports is never flagged."""
    given = ["import numpy as np\nimport scipy.special"]
    assert scan_cells([("cell 3", "from scipy.special import expit")], given) == []
    assert json.dumps(scan_cells([("cell 3", "import rnn_ref")], given)).count("trusted") == 1


def test_no_exercise_solution_or_typical_bug_is_flagged():
    """Every exercise's own solution, and every typical bug of ``bugs.py``, is honest
    work: the scan (imports included) must find nothing in the cells a student writes."""
    from autograder.authoring import apply_bug, load_bugs, source_notebook
    from autograder.course import source_assignments

    def code(cell):
        return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]

    for assignment in source_assignments():
        source = source_notebook(assignment)
        for nb in [source] + [apply_bug(source, b["replace"]) for b in load_bugs(assignment)]:
            cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
            mine = [(f"cell {i}", code(c)) for i, c in enumerate(cells, 1)
                    if c["metadata"].get("nbgrader", {}).get("solution")]
            given = [code(c) for c in cells if not c["metadata"].get("nbgrader", {}).get("solution")]
            assert mine, assignment
            assert scan_cells(mine, given, {"rnncheck"}) == [], assignment
