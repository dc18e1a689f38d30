"""The code that runs hidden-test cases in a student's kernel and saves the answers.

This module is *sent into the kernel as text* (see
:class:`autograder.preprocessors.InjectChallenges`): the grader executes it in a private
namespace before any student cell runs, with a snapshot of the builtins taken at that
moment. Its functions therefore never look a name up in the student's globals, so a
notebook that uses ``dict``, ``sorted``, ``str``, ``open`` or ``np`` as variable names
grades exactly like one that does not. The only names taken from the student's
namespace are the ones a challenge's kernel code needs that are neither builtins nor
numpy: the functions under test.

It imports only the standard library and numpy (the kernel has nothing else), and
:func:`autograder.challenge.run_kernel_code` uses :func:`kernel_env` for the in-kernel
hidden tests of plain ``nbgrader autograde`` too.

Answer files: ``<out>/<grade_id>/answerNN.npz`` (arrays, plain ``np.savez``) or
``answerNN.err`` holding only the name of the exception the student's code raised.
"""

import builtins
import os

import numpy as np

# Bound when this module is executed, i.e. before any student code has run.
_BUILTINS = dict(vars(builtins))


def _names(code):
    """Every global name ``code`` (and the code objects nested in it) may look up."""
    found = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            found |= _names(const)
    return found


def kernel_env(code, namespace, case):
    """Globals to run a challenge's compiled kernel ``code`` in.

    Builtins come from the snapshot and ``np`` is numpy whatever the student bound to
    these names; the student's namespace supplies only the other names the code uses;
    the case's inputs (copied, so the student's code cannot change the reference's)
    come last.
    """
    env = {"__builtins__": _BUILTINS, "np": np, "numpy": np}
    for name in _names(code):
        if name not in env and name not in _BUILTINS and name in namespace:
            env[name] = namespace[name]
    for key, value in case.items():
        env[key] = value.copy() if isinstance(value, np.ndarray) else value
    return env


def _error_name(error):
    """What the grader learns of an error: the exception's class name, or
    ``Float32Answer`` for the course's float64 check (see :mod:`autograder.cases`), which
    the grader turns into its own hint."""
    if isinstance(error, TypeError) and "numbers: compute in float64" in str(error):
        return "Float32Answer"
    return type(error).__name__[:100]


def make_collector(namespace, inputs, outputs, kernels):
    """The function the injected collector cells call, one call per graded test cell.

    ``namespace`` is the kernel's user namespace; ``inputs``/``outputs`` are the
    folders with the challenge inputs and for the answers (as the kernel sees them);
    ``kernels`` maps a grade id to ``[kernel code, number of cases]``.
    """
    compiled = {gid: (compile(code, "<hidden test>", "exec"), count)
                for gid, (code, count) in kernels.items()}

    def collect(grade_id):
        code, count = compiled[grade_id]
        folder = os.path.join(inputs, grade_id)
        answers = os.path.join(outputs, grade_id)
        os.makedirs(answers, exist_ok=True)
        for k in range(count):
            try:
                with np.load(os.path.join(folder, "case%02d.npz" % k), allow_pickle=False) as data:
                    case = {key: (data[key].item() if data[key].ndim == 0 else data[key])
                            for key in data.files}
                env = kernel_env(code, namespace, case)
                exec(code, env)
                answer = {str(n): np.asarray(v, dtype=float) for n, v in dict(env["answer"]).items()}
                np.savez(os.path.join(answers, "answer%02d.npz" % k), **answer)
            except Exception as e:  # noqa: BLE001 -- the student's error fails this case
                with open(os.path.join(answers, "answer%02d.err" % k), "w") as f:
                    f.write(_error_name(e))

    return collect
