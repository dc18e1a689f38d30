"""Hidden tests as challenges: inputs drawn per student, answers judged against rnn_ref.

A hidden test of an exercise is a :class:`Challenge`, identified by the nbgrader
``grade_id`` of the test cell it scores. It has three parts:

``cases(rng)``
    Several input sets of random shapes (dicts of arrays and plain numbers), drawn from
    a generator seeded by the student id, the assignment and the grade id, so that each
    student gets other inputs and a regrade gets the same ones.
``kernel``
    A few lines of Python that run *in the student's kernel* with the case's inputs
    as variables and the notebook's functions in scope. They call the student's code
    and assign ``answer``, a dict of arrays. Nothing else happens in the kernel.
``reference(case)``
    The expected ``answer``, computed with ``rnn_ref`` in the trusted grader process.

:func:`judge` compares the student's answers with the reference outside the kernel.
The source notebooks call :func:`autograder.hidden.check`, which runs the same three
parts inside the kernel so that plain ``nbgrader autograde`` works too; the sandboxed
grader (``python -m autograder grade``) runs only ``kernel`` inside the sandbox.

Challenges for an assignment live in ``solutions/<assignment>/hidden.py`` as a
module-level list ``CHALLENGES`` (that file never ships to students).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from rnn_ref.gradcheck import rel_error

from .collector import kernel_env

__all__ = ["Challenge", "load", "hidden_module", "seed_for", "draw_cases", "judge", "describe_case",
           "run_kernel_code", "Verdict"]

DEFAULT_TOL = 1e-6
_SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


@dataclass(frozen=True)
class Challenge:
    grade_id: str
    cases: Callable[[np.random.Generator], list]
    kernel: str
    reference: Callable[[dict], dict]
    tol: float = DEFAULT_TOL


@dataclass(frozen=True)
class Verdict:
    """The outcome of one challenge for one submission."""
    grade_id: str
    passed: bool
    reason: str          # one line, safe to show a student (no reference values)


def load(assignment):
    """The challenges of ``assignment`` as a dict grade_id -> Challenge."""
    if not isinstance(assignment, str) or not assignment.replace("_", "").isalnum():
        raise ValueError(f"not an assignment name: {assignment!r}")
    module = hidden_module(assignment)
    found = {}
    for ch in module.CHALLENGES:
        if ch.grade_id in found:
            raise ValueError(f"{assignment}: two challenges for grade id {ch.grade_id!r}")
        found[ch.grade_id] = ch
    return found


def hidden_module(assignment, root=None):
    """Import ``solutions/<assignment>/hidden.py`` once, under a private module name."""
    folder = _SOLUTIONS if root is None else Path(root)
    name = f"_hidden_tests_{assignment}" + ("" if root is None else f"_{abs(hash(str(folder)))}")
    if name in sys.modules:
        return sys.modules[name]
    path = folder / assignment / "hidden.py"
    if not path.is_file():
        raise ValueError(f"no hidden tests are defined for assignment {assignment!r} "
                         f"(expected solutions/{assignment}/hidden.py)")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def seed_for(student_id, assignment, grade_id):
    """A reproducible 64-bit seed from the student, the assignment and the test."""
    digest = hashlib.sha256(f"{student_id}\0{assignment}\0{grade_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def draw_cases(challenge, student_id, assignment):
    rng = np.random.default_rng(seed_for(student_id, assignment, challenge.grade_id))
    return challenge.cases(rng)


def describe_case(case):
    """Shapes and options of a case, e.g. ``x (5, 2, 3), N=2`` (no values)."""
    parts = []
    for k, v in case.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{k} {v.shape}")
        else:
            parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def _copy(case):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in case.items()}


def run_kernel_code(code, case, namespace):
    """Run a challenge's kernel code on ``case``; return its ``answer``.

    Used in-kernel by :mod:`autograder.hidden`. ``namespace`` (the notebook's globals)
    supplies only the functions under test: builtins and ``np`` are the real ones
    whatever the notebook bound to those names (see :func:`autograder.collector.
    kernel_env`), and the case is copied so that a student function that modifies its
    inputs cannot change what the reference sees.
    """
    compiled = compile(code, "<hidden test>", "exec")
    env = kernel_env(compiled, namespace, case)
    exec(compiled, env)
    if "answer" not in env:
        raise RuntimeError("the hidden test did not produce an answer")
    return env["answer"]


def _compare(name, expected, actual, tol):
    """None if ``actual`` matches ``expected``, else a one-line reason."""
    try:
        actual = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{name} is not an array of numbers"
    if actual.shape != expected.shape:
        return f"{name} has shape {actual.shape}, expected {expected.shape}"
    if not np.isfinite(actual).all():
        return f"{name} contains NaN or inf"
    err = rel_error(actual, expected)
    if err > tol:
        return f"{name} is wrong (relative error {err:.1e}, tolerance {tol:.0e})"
    return None


def judge(challenge, cases, answers):
    """Compare the student's answers with rnn_ref's, one per case.

    ``answers`` is a list (one per case) of dicts of arrays, or of one-line reasons
    (``"raised KeyError"``) that the caller built itself: never text read from the
    kernel's files. Returns a :class:`Verdict`; its reason never contains reference
    values.
    """
    if len(answers) != len(cases):
        return Verdict(challenge.grade_id, False,
                       f"produced {len(answers)} of {len(cases)} hidden answers")
    for k, (case, answer) in enumerate(zip(cases, answers), 1):
        where = f"hidden case {k} of {len(cases)} ({describe_case(case)})"
        if isinstance(answer, str):
            return Verdict(challenge.grade_id, False, f"{answer} on {where}")
        expected = challenge.reference(_copy(case))
        if not isinstance(answer, dict):
            return Verdict(challenge.grade_id, False, f"no answer on {where}")
        for name, value in expected.items():
            if name not in answer:
                return Verdict(challenge.grade_id, False, f"{name} is missing on {where}")
            problem = _compare(name, np.asarray(value, dtype=np.float64), answer[name],
                               challenge.tol)
            if problem:
                return Verdict(challenge.grade_id, False, f"{problem} on {where}")
    return Verdict(challenge.grade_id, True, f"passed {len(cases)} hidden cases")
