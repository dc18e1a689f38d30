"""Every exercise, graded by real ``nbgrader autograde``:

* the solution notebook scores full points on every grade cell;
* the released student notebook, run unmodified, scores 0 on every autograded cell,
  and each visible test fails with the stub's NotImplementedError (not a crash of the
  test itself);
* every typical-bug variant loses exactly the points of the grade cells it affects,
  and the visible test message points at the bug;
* the released notebooks contain no solution and no hidden-test code.
"""

import pytest

from autograder.course import source_assignments
from autograder.release import publish, release_leaks, secret_lines
from harness import (GradingRun, apply_bug, cell_text, grade_cells, load_bugs, source_notebook,
                     student_id)

ASSIGNMENTS = source_assignments()

pytestmark = pytest.mark.slow


def test_there_are_exercises():
    assert ASSIGNMENTS, "solutions/ holds no assignment"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_assignment(assignment, tmp_path):
    source = source_notebook(assignment)
    points = grade_cells(source)
    run = GradingRun(tmp_path / "course", assignment)

    # -- the release holds no secrets ------------------------------------------------
    released = run.released()
    assert release_leaks(run.course, assignment) == []
    text = "\n".join(cell_text(c) for c in released["cells"])
    for line in secret_lines(source):
        assert line not in text, f"solution/hidden line leaked: {line!r}"
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "autograder"):
        assert marker not in text
    stubs = [c for c in released["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "code"]
    assert stubs and all("raise NotImplementedError()" in cell_text(c) for c in stubs)

    # -- publishing (the book's copy) replaces what a renamed assignment left behind --
    book = tmp_path / "book_assignments"
    book.mkdir()
    (book / "ex10_lstm.ipynb").write_text("{}")
    publish(run.course, [assignment], book, log=lambda *_: None)
    assert sorted(f.name for f in book.iterdir()) == sorted([f"{assignment}.ipynb",
                                                              f"{assignment}.zip"])

    # -- solution: full points; student version: zero ---------------------------------
    bugs = load_bugs(assignment)
    assert len(bugs) >= 2, f"{assignment} needs at least two typical-bug variants"
    run.submit("solution", source)
    run.submit("untouched", released)
    for bug in bugs:
        run.submit(student_id(bug["name"]), apply_bug(source, bug["replace"]))

    solved = run.grade("solution")
    for gid, pts in points.items():
        assert solved.scores[gid] == (pts, pts), \
            f"solution loses points on {gid}: {solved.scores[gid]}\n{solved.errors.get(gid)}"

    blank = run.grade("untouched")
    for gid in points:
        assert blank.scores[gid][0] == 0, f"untouched notebook scores on {gid}"
        assert blank.errors.get(gid, "").startswith("NotImplementedError"), \
            f"{gid}: the visible test should fail with the stub's NotImplementedError, " \
            f"got: {blank.errors.get(gid)!r}"

    # -- typical bugs lose exactly the affected cells, with a pointed message ---------
    for bug in bugs:
        graded = run.grade(student_id(bug["name"]))
        for gid, pts in points.items():
            expected = 0 if gid in bug["lost"] else pts
            assert graded.scores[gid][0] == expected, (
                f"bug {bug['name']!r}: {gid} scored {graded.scores[gid][0]}, expected "
                f"{expected}\n{graded.errors.get(gid)}")
        messages = bug["message"] if isinstance(bug["message"], dict) \
            else {gid: bug["message"] for gid in bug["lost"]}
        for gid, needle in messages.items():
            assert needle in graded.errors.get(gid, ""), (
                f"bug {bug['name']!r}: the visible test of {gid} should mention {needle!r}; "
                f"it said: {graded.errors.get(gid)!r}")
