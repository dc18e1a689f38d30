"""The same code gets the same grade, for every student.

Hidden inputs are drawn per student, after fixed cases that are the same for everyone
and that every typical bug fails. For the solution and every variant of ``bugs.py``,
the hidden challenges are judged for 200 student ids (in-process, on the variant's
functions, see ``variants.py``): the set of lost test cells must be the same for every
id, and exactly the cells the variant breaks. The float32 variants in ``bugs.py`` make
this the test of the float64 policy too.
"""

import pytest

from autograder.course import source_assignments
from harness import apply_bug, load_bugs, source_notebook
from variants import Grader, namespace

ASSIGNMENTS = source_assignments()
STUDENTS = [f"s{k:03d}" for k in range(200)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_student_loses_the_same_points(assignment):
    grader = Grader(assignment)
    source = source_notebook(assignment)
    variants = [("the solution", source, set())]
    variants += [(b["name"], apply_bug(source, b["replace"]), set(b["lost"]))
                 for b in load_bugs(assignment)]
    for name, nb, lost in variants:
        ns = namespace(assignment, nb)
        for student in STUDENTS:
            for gid in grader.challenges:
                passed, reason = grader.verdict(ns, gid, student)
                assert passed == (gid not in lost), (
                    f"{assignment}, {name!r}, student {student}: hidden test {gid} "
                    f"{'failed' if not passed else 'passed'} ({reason or 'all cases'}); "
                    f"expected it to {'fail' if gid in lost else 'pass'} for every student")
