"""Every exercise under the sandboxed grader, ``python -m autograder grade``: the solution
(the released notebook with its stubs replaced by the solution code, as a student would
hand it in) scores full points, the untouched release scores 0. One course holds all
the assignments, graded in one run.
"""

import json
import subprocess
import sys

import pytest

from autograder.authoring import source_notebook
from autograder.course import REPO, Course, source_assignments
from autograder.demo import filled
from autograder.ledger import Ledger
from harness import grade_cells

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

ASSIGNMENTS = source_assignments()


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, f"autograder {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandboxed")
    root = base / "course"
    cli("release", "--course", root, *ASSIGNMENTS)
    course = Course(root)
    for a in ASSIGNMENTS:
        released = json.loads(course.path("release", a, f"{a}.ipynb").read_text())
        source = json.loads(json.dumps(source_notebook(a)))
        for student, nb in (("solution", filled(released, source)), ("untouched", released)):
            folder = base / "handed_in" / a / student
            folder.mkdir(parents=True)
            (folder / f"{a}.ipynb").write_text(json.dumps(nb))
        cli("collect", "--course", root, a, base / "handed_in" / a)
    cli("grade", "--course", root, "--workers", "2")
    ledger = Ledger(course.db_url)
    rows = {(r["assignment"], r["student"]): r for r in ledger.rows()}
    ledger.dispose()
    return rows


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_marks_and_untouched_zero(graded, assignment):
    full = sum(grade_cells(json.loads(json.dumps(source_notebook(assignment)))).values())
    solved, blank = graded[(assignment, "solution")], graded[(assignment, "untouched")]
    assert solved["status"] == "graded" and solved["score"] == full, \
        (solved["status"], solved["score"], solved["reason"], solved["details"].get("verdicts"))
    assert blank["status"] == "graded" and blank["score"] == 0, \
        (blank["status"], blank["score"], blank["reason"])
