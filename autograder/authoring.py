"""Build nbgrader source notebooks with the right cell metadata.

Exercise notebooks in ``solutions/`` are ordinary nbgrader sources and can be edited
in Jupyter with nbgrader's toolbar. This module is a shortcut for writing them from a
script, and it fixes two conventions of this course:

* every autograded test cell ends with the hidden-test call of
  :mod:`autograder.hidden`, built here from the assignment and grade id;
* solution code sits between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` inside a
  function body, so the student stub is ``raise NotImplementedError()``.

Example::

    nb = SourceNotebook("ex02_tdnn")
    nb.markdown("# Exercise 2")
    nb.readonly("setup", "import numpy as np")
    nb.solution("forward", "def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION")
    nb.tests("f_test", 2, "assert f(1) == 1")
    nb.write()
"""

from __future__ import annotations

import nbformat

from .course import SOLUTIONS

__all__ = ["SourceNotebook", "hidden_block"]


def hidden_block(assignment, grade_id):
    return ("### BEGIN HIDDEN TESTS\n"
            "from autograder.hidden import check\n"
            f"check({assignment!r}, {grade_id!r}, globals())\n"
            "### END HIDDEN TESTS")


def _meta(grade_id, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


class SourceNotebook:
    def __init__(self, assignment):
        self.assignment = assignment
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata.update({
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        })
        self._ids = set()

    def _add(self, cell, grade_id=None):
        if grade_id is not None:
            if grade_id in self._ids:
                raise ValueError(f"duplicate grade id {grade_id!r}")
            self._ids.add(grade_id)
        self.nb.cells.append(cell)
        return cell

    def markdown(self, text):
        """Plain text for the student (not locked)."""
        return self._add(nbformat.v4.new_markdown_cell(text.strip()))

    def instructions(self, grade_id, text):
        """Locked markdown: restored from the source if a student edits it."""
        return self._add(nbformat.v4.new_markdown_cell(
            text.strip(), metadata=_meta(grade_id, locked=True)), grade_id)

    def readonly(self, grade_id, code):
        """Locked code (setup, given helpers)."""
        return self._add(nbformat.v4.new_code_cell(
            code.strip(), metadata=_meta(grade_id, locked=True)), grade_id)

    def code(self, code):
        """An ordinary code cell the student may change (experiments, plots)."""
        return self._add(nbformat.v4.new_code_cell(code.strip()))

    def solution(self, grade_id, code):
        """Autograded answer: code with a ``### BEGIN/END SOLUTION`` region."""
        if "### BEGIN SOLUTION" not in code:
            raise ValueError(f"{grade_id}: a solution cell needs a ### BEGIN SOLUTION region")
        return self._add(nbformat.v4.new_code_cell(
            code.strip(), metadata=_meta(grade_id, solution=True)), grade_id)

    def tests(self, grade_id, points, visible):
        """Autograded tests: visible checks, then the hidden challenge call."""
        source = visible.strip() + "\n\n" + hidden_block(self.assignment, grade_id)
        return self._add(nbformat.v4.new_code_cell(
            source, metadata=_meta(grade_id, grade=True, locked=True, points=points)),
            grade_id)

    def written_answer(self, grade_id, points, prompt_answer):
        """Manually graded markdown answer (graded in formgrader)."""
        return self._add(nbformat.v4.new_markdown_cell(
            prompt_answer.strip(), metadata=_meta(grade_id, grade=True, solution=True,
                                                  points=points)), grade_id)

    def write(self, path=None):
        path = path or SOLUTIONS / self.assignment / f"{self.assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(self.nb)
        nbformat.write(self.nb, str(path))
        link = path.parent / "rnncheck.py"
        if not link.exists():
            link.symlink_to("../rnncheck.py")
        return path
