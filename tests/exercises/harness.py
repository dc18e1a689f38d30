"""Drive real ``nbgrader autograde`` on exercise notebooks and read back the scores.

A :class:`GradingRun` is a throwaway course: it releases one assignment with our
``release`` step, writes any number of notebooks as submissions of made-up students,
autogrades them with nbgrader's API, and returns per-grade-cell scores and the
autograded notebooks (to read the visible tests' messages).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.authoring import apply_bug, load_bugs, source_notebook as _source
from autograder.course import Course
from autograder.release import release

__all__ = ["GradingRun", "Graded", "apply_bug", "load_bugs", "source_notebook", "cell_text",
           "grade_cells", "student_id"]


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source_notebook(assignment):
    """The nbgrader source notebook built from the exercise's .md, as a JSON dict."""
    return json.loads(json.dumps(_source(assignment)))


def cell_text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def grade_cells(nb):
    """grade_id -> points of every autograded test cell."""
    out = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell["cell_type"] == "code":
            out[meta["grade_id"]] = meta["points"]
    return out


@dataclass
class Graded:
    scores: dict            # grade_id -> (score, max_score)
    notebook: dict          # the autograded notebook
    errors: dict = field(default_factory=dict)   # grade_id -> error text of that cell

    def total(self):
        return sum(s for s, _ in self.scores.values())


def _errors(nb):
    out = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell["cell_type"] != "code":
            continue
        texts = []
        for o in cell.get("outputs", []):
            if o["output_type"] == "error":
                texts.append(f"{o['ename']}: {o['evalue']}")
            elif o["output_type"] == "stream" and o["name"] == "stderr":
                texts.append(o["text"] if isinstance(o["text"], str) else "".join(o["text"]))
        if texts:
            out[meta["grade_id"]] = "\n".join(texts)
    return out


class GradingRun:
    def __init__(self, root, assignment):
        self.assignment = assignment
        self.course = Course(root, create=True)
        release(self.course, [assignment], log=lambda *_: None)

    def released(self):
        return load(self.course.path("release", self.assignment, f"{self.assignment}.ipynb"))

    def submit(self, student, nb):
        folder = self.course.path("submitted", student, self.assignment)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.assignment}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        rel = self.course.path("release", self.assignment)
        for f in rel.iterdir():
            if f.suffix != ".ipynb" and f.is_file():
                (folder / f.name).write_bytes(f.read_bytes())

    def grade(self, student):
        result = self.course.api().autograde(self.assignment, student, force=True, create=True)
        assert result["success"], result.get("error") or result.get("log")
        nb = load(self.course.path("autograded", student, self.assignment,
                                   f"{self.assignment}.ipynb"))
        scores = {}
        with self.course.gradebook() as gb:
            sub = gb.find_submission_notebook(self.assignment, self.assignment, student)
            for g in sub.grades:
                if g.cell_type == "code" or g.auto_score is not None:
                    scores[g.name] = (g.score, g.max_score)
        return Graded(scores, nb, _errors(nb))


_ID = re.compile(r"[^a-z0-9]+")


def student_id(label):
    return _ID.sub("-", label.lower()).strip("-")
