"""Hidden tests of exercise 5 (Elman's approximation versus the exact gradient), judged
against rnn_ref.elman."""

import numpy as np

from rnn_ref import elman

from autograder.cases import challenge, fixed_then_random


def _shapes(rng, shortest=1):
    """(T, B, D, H, O): T = shortest and B = 1 first, then random shapes (one with B = 1)."""
    yield shortest, 1, 1, 2, 1
    yield int(rng.integers(max(shortest, 2), 8)), 1, int(rng.integers(1, 4)), \
        int(rng.integers(1, 5)), int(rng.integers(1, 4))
    yield int(rng.integers(3, 9)), int(rng.integers(2, 4)), int(rng.integers(1, 4)), \
        int(rng.integers(2, 6)), int(rng.integers(1, 4))


def _case(rng, T, B, D, H, O):
    return {"x": rng.standard_normal((T, B, D)),
            "W_c": rng.standard_normal((H, D)) / np.sqrt(D),
            "W_r": rng.uniform(0.5, 1.2) * rng.standard_normal((H, H)) / np.sqrt(H),
            "b": 0.3 * rng.standard_normal(H),
            "W_o": rng.standard_normal((O, H)) / np.sqrt(H),
            "b_o": 0.3 * rng.standard_normal(O),
            "h_init": rng.standard_normal((B, H)),
            "dy": rng.standard_normal((T, B, O))}


# Several steps, several sequences, non-square weights, a recurrent scale that makes the
# context matter: every typical bug fails these, for every student.
_FIXED = [(7, 2, 3, 4, 2), (6, 3, 2, 5, 3)]

_cases = fixed_then_random(_case, _FIXED, _shapes)
# T >= 2: for T = 1 every gap is exactly 0, and a relative comparison of a student's
# 1e-17 with an exact 0 would fail for no fault of the student.
_gap_cases = fixed_then_random(_case, _FIXED, lambda rng: _shapes(rng, shortest=2))


def _run(case):
    params = {k: case[k] for k in ("W_c", "W_r", "b", "W_o", "b_o")}
    return elman.forward(case["x"], params, h_init=case["h_init"])


def _grads(mode, keys):
    def reference(case):
        _, cache = _run(case)
        grads = elman.backward(case["dy"], cache, mode=mode)
        return {k: grads[k] for k in keys}
    return reference


def _output_layer(case):
    _, cache = _run(case)
    answer = {}
    for mode in ("exact", "blocked"):
        grads = elman.backward(case["dy"], cache, mode=mode)
        answer[f"W_o ({mode})"] = grads["W_o"]
        answer[f"b_o ({mode})"] = grads["b_o"]
    return answer


def _gap(case):
    _, cache = _run(case)
    exact = elman.backward(case["dy"], cache, mode="exact")
    approx = elman.backward(case["dy"], cache, mode="blocked")
    return {k: np.linalg.norm(approx[k] - exact[k]) / np.linalg.norm(exact[k])
            for k in ("W_c", "W_r", "b")}


RECURRENT = ("W_c", "W_r", "b")
INPUTS = ("x", "h_init")

_FORWARD = "y, cache = elman_forward(x, W_c, W_r, b, W_o, b_o, h_init)\n"
_BACKWARD = _FORWARD + ("grads = elman_backward(dy, cache, mode=%r)\n"
                        "answer = {k: grads[k] for k in %r}\n")
_OUTPUT = _FORWARD + """answer = {}
for mode in ("exact", "blocked"):
    grads = elman_backward(dy, cache, mode=mode)
    answer["W_o (" + mode + ")"] = grads["W_o"]
    answer["b_o (" + mode + ")"] = grads["b_o"]
"""
# The forward runs first so that its float64 check applies to the gap too.
_GAP = _FORWARD + """gap = approximation_gap(x, W_c, W_r, b, W_o, b_o, h_init, dy)
answer = {k: gap[k] for k in ("W_c", "W_r", "b")}
"""

CHALLENGES = [
    challenge("elman_forward", _cases, _FORWARD + "answer = {'y': y}",
              lambda c: {"y": _run(c)[0]}),
    challenge("output_layer", _cases, _OUTPUT, _output_layer),
    challenge("approx_weights", _cases, _BACKWARD % ("blocked", RECURRENT),
              _grads("blocked", RECURRENT)),
    challenge("approx_inputs", _cases, _BACKWARD % ("blocked", INPUTS),
              _grads("blocked", INPUTS)),
    challenge("exact_weights", _cases, _BACKWARD % ("exact", RECURRENT),
              _grads("exact", RECURRENT)),
    challenge("exact_inputs", _cases, _BACKWARD % ("exact", INPUTS),
              _grads("exact", INPUTS)),
    challenge("approximation_gap", _gap_cases, _GAP, _gap),
]


def _fixed_case():
    """The notebook's _fixed_case (same draws, same order)."""
    r = np.random.default_rng(12)
    return {"x": r.standard_normal((5, 2, 2)), "W_c": r.standard_normal((3, 2)) / 2,
            "W_r": r.standard_normal((3, 3)) / 2, "b": 0.1 * r.standard_normal(3),
            "W_o": r.standard_normal((2, 3)), "b_o": 0.1 * r.standard_normal(2),
            "h_init": r.standard_normal((2, 3)) / 2}


# Numbers embedded in the student notebook at release (@expected(name) in the .md).
EXPECTED = {"forward_y": lambda: _run(_fixed_case())[0]}
