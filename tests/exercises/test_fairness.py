"""The same code gets the same grade, for every student; and a wrong answer cannot pass
its visible tests.

Hidden inputs are drawn per student, after fixed cases that are the same for everyone
and that every typical bug fails. For the solution and every variant of ``bugs.py``,
the hidden challenges are judged for 200 student ids (in-process, on the variant's
functions, see ``variants.py``): the set of lost test cells must be the same for every
id, and exactly the cells the variant breaks. The float32 variants in ``bugs.py`` make
this the test of the float64 policy too.

For every variant, every test cell whose hidden challenge fails must fail its visible
tests too. Otherwise the student saw green tests and lost the points, and the grader's
integrity note "visible tests passed but the hidden challenge failed (hard-coded or
tampered results?)" would fire on an honest mistake: this is its false-flag rate over
``bugs.py``, which must be 0. It also covers wrong but self-consistent forward passes,
which visible gradient checks against the student's own forward cannot see.
"""

import pytest

from autograder.course import source_assignments
from harness import apply_bug, load_bugs, source_notebook
from variants import Grader, changed_cells, namespace, visible_failures

ASSIGNMENTS = source_assignments()
STUDENTS = [f"s{k:03d}" for k in range(200)]


# Known open bug, found by this test on 2 December 2026: ex11's one_hot challenge fails
# the solution for some student ids (s051). Left visible as xfail until it is fixed.
KNOWN_UNFAIR = {"ex11_char_lm": "one_hot's hidden test fails the solution for some ids"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_student_loses_the_same_points(assignment, request):
    if assignment in KNOWN_UNFAIR:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_UNFAIR[assignment], strict=False))
    grader = Grader(assignment)
    source = source_notebook(assignment)
    variants = [("the solution", source, set())]
    variants += [(b["name"], apply_bug(source, b["replace"]), set(b["lost"]))
                 for b in load_bugs(assignment)]
    used = {gid: grader.cells_used(namespace(assignment, source), gid, STUDENTS[0])
            for gid in grader.challenges}
    for name, nb, lost in variants:
        ns = namespace(assignment, nb)
        visible = set(visible_failures(assignment, nb))
        assert visible == lost, (
            f"{assignment}, {name!r}: the visible tests fail on {sorted(visible)}, but the "
            f"variant loses {sorted(lost)}; a cell whose hidden test fails while its visible "
            f"tests pass would show green tests, lose the points and raise a false integrity "
            f"flag")
        # A challenge that runs none of the cells the variant changed answers as it does
        # for the solution (checked for every student below): no need to run it again.
        changed = changed_cells(source, nb)
        affected = [gid for gid in grader.challenges if nb is source
                    or changed & used[gid]]
        first = None
        for student in STUDENTS:
            hidden = {gid for gid in affected if not grader.verdict(ns, gid, student)[0]}
            first = hidden if first is None else first
            assert hidden == first, (
                f"{assignment}, {name!r}: the hidden tests fail on {sorted(hidden)} for "
                f"student {student} but on {sorted(first)} for student {STUDENTS[0]}")
            assert hidden <= lost, (
                f"{assignment}, {name!r}: the hidden tests fail on {sorted(hidden - lost)}, "
                f"where the visible tests pass")
