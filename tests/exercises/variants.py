"""Run an exercise's hidden challenges in-process on a variant of its solution.

A cheap stand-in for grading a notebook: the variant's functions are defined by running
its setup, helper and solution cells in one namespace, and each challenge's kernel code
and :func:`autograder.challenge.judge` run here, as ``autograder.hidden.check`` does in
a kernel. References are computed once per case and shared by every variant.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os

import numpy as np

from autograder.challenge import draw_cases, judge, load, run_kernel_code
from autograder.course import SOLUTIONS


def _cell_text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@contextlib.contextmanager
def _in_folder(folder):
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def changed_cells(source, variant):
    """Grade ids of the code cells whose text differs between two notebooks."""
    return {c["metadata"]["nbgrader"]["grade_id"] for c, v in zip(source["cells"], variant["cells"])
            if c["cell_type"] == "code" and _cell_text(c) != _cell_text(v)
            and "nbgrader" in c.get("metadata", {})}


def namespace(assignment, nb):
    """The globals of ``nb`` after its setup, helper and solution cells ran."""
    import sys
    if str(SOLUTIONS) not in sys.path:
        sys.path.insert(0, str(SOLUTIONS))       # rnncheck, as in a released folder
    ns = {"__name__": "__main__"}
    with _in_folder(SOLUTIONS / assignment):
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and (meta.get("solution") or
                                                (meta.get("locked") and not meta.get("grade"))):
                exec(compile(_cell_text(cell), f"<{meta.get('grade_id')}>", "exec"), ns)
    return ns


def _digest(case):
    h = hashlib.sha256()
    for k in sorted(case):
        v = case[k]
        h.update(k.encode())
        h.update(v.tobytes() if isinstance(v, np.ndarray) else repr(v).encode())
    return h.hexdigest()


class Grader:
    """The hidden challenges of one assignment, with memoized references."""

    def __init__(self, assignment):
        self.assignment = assignment
        self.challenges = {}
        for gid, ch in load(assignment).items():
            memo = {}

            def reference(case, _ref=ch.reference, _memo=memo):
                key = _digest(case)
                if key not in _memo:
                    _memo[key] = _ref(case)
                return _memo[key]
            self.challenges[gid] = dataclasses.replace(ch, reference=reference)
        self._cases = {}

    def cases(self, gid, student):
        key = (gid, student)
        if key not in self._cases:
            self._cases[key] = draw_cases(self.challenges[gid], student, self.assignment)
        return self._cases[key]

    def verdict(self, ns, gid, student):
        """(passed, reason) of challenge ``gid`` for ``student`` on the functions in ``ns``."""
        ch = self.challenges[gid]
        with _in_folder(SOLUTIONS / self.assignment):
            for case in self.cases(gid, student):
                try:
                    answer = run_kernel_code(ch.kernel, case, ns)
                except Exception as e:      # noqa: BLE001 -- as autograder.hidden.check
                    answer = f"{type(e).__name__}: {e}"
                v = judge(ch, [case], [answer])
                if not v.passed:
                    return False, v.reason
        return True, ""

    def cells_used(self, ns, gid, student):
        """Grade ids of the notebook cells whose code runs in challenge ``gid`` (traced on
        ``student``'s cases): a variant that changed none of them answers exactly as the
        solution does."""
        import sys
        used = set()

        def tracer(frame, event, arg):
            name = frame.f_code.co_filename
            if name.startswith("<") and name.endswith(">"):
                used.add(name[1:-1])
            return None
        sys.settrace(tracer)
        try:
            self.verdict(ns, gid, student)
        finally:
            sys.settrace(None)
        return used

    def lost(self, ns, student):
        """The grade ids whose hidden challenge fails for ``student``."""
        return {gid for gid in self.challenges if not self.verdict(ns, gid, student)[0]}


def visible_failures(assignment, nb):
    """grade_id -> "ExcType: message" of every autograded test cell whose visible tests
    fail, running the notebook's cells in order in one namespace (no hidden tests, no
    free experiment cells), as a student who runs every cell would see them."""
    import sys
    from autograder.course import HIDDEN_BLOCK
    if str(SOLUTIONS) not in sys.path:
        sys.path.insert(0, str(SOLUTIONS))
    ns = {"__name__": "__main__"}
    failures = {}
    with _in_folder(SOLUTIONS / assignment):
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not (meta.get("solution") or meta.get("locked")):
                continue
            code = HIDDEN_BLOCK.sub("", _cell_text(cell)).replace("### END HIDDEN TESTS", "")
            try:
                exec(compile(code, f"<{meta.get('grade_id')}>", "exec"), ns)
            except Exception as e:          # noqa: BLE001 -- what the student would see
                if not meta.get("grade"):
                    raise
                failures[meta["grade_id"]] = f"{type(e).__name__}: {e}"
    return failures
