"""The hidden-test call that source notebooks make, for plain ``nbgrader autograde``.

A hidden-test block in a source notebook is exactly::

    ### BEGIN HIDDEN TESTS
    from autograder.hidden import check
    check("ex02_tdnn", "tdnn_forward", globals())
    ### END HIDDEN TESTS

Run in the kernel (instructor's machine, ``rnn_ref`` importable), :func:`check` draws
the challenge's cases, runs the student's code on them, compares with ``rnn_ref`` and
raises ``AssertionError`` on a mismatch, as a classic nbgrader hidden test would.

The sandboxed grader never runs this: it recognizes the block, replaces it with a
collector that only records the student's answers, and judges them outside the kernel
(see :mod:`autograder.challenge`). Student code can therefore fool this in-kernel
check (by patching numpy, say) but not the sandboxed grader.
"""

import os

from .challenge import draw_cases, judge, load, run_kernel_code

__all__ = ["check"]


def _student_from_cwd():
    # nbgrader runs the kernel in autograded/<student>/<assignment>.
    cwd = os.path.normpath(os.getcwd())
    parent = os.path.basename(os.path.dirname(cwd))
    return parent or "anonymous"


def check(assignment, grade_id, namespace, student_id=None):
    """Judge the student's code in ``namespace`` on the hidden cases of ``grade_id``."""
    challenge = load(assignment)[grade_id]
    student = student_id if student_id is not None else _student_from_cwd()
    cases = draw_cases(challenge, student, assignment)
    answers = []
    for case in cases:
        try:
            answers.append(run_kernel_code(challenge.kernel, case, namespace))
        except NotImplementedError:
            raise
        except Exception as e:       # noqa: BLE001 -- any student error fails the case
            answers.append(f"raised {type(e).__name__}")
    verdict = judge(challenge, cases, answers)
    if not verdict.passed:
        raise AssertionError(f"hidden test {grade_id}: {verdict.reason}")
