"""Hidden tests of exercise 2 (time-delay layer), judged against rnn_ref.tdnn."""

import numpy as np

from rnn_ref import tdnn

from autograder.cases import challenge, fixed_then_random


# Lengths beyond the widest tap, non-square taps, several sequences: every typical bug
# fails these, for every student.
_FIXED = [(7, 2, 3, 4, 2), (6, 3, 2, 3, 3)]


def _shapes(rng, n=3):
    """T = 1, B = 1 first, then random shapes and widths."""
    yield 1, 1, 1, 1, 0
    for _ in range(n - 1):
        yield (int(rng.integers(2, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 5)), int(rng.integers(0, 4)))


def _case(rng, T, B, D, H, N):
    return {"x": rng.standard_normal((T, B, D)),
            "W": rng.standard_normal((N + 1, H, D)) / np.sqrt((N + 1) * D),
            "b": 0.3 * rng.standard_normal(H),
            "dy": rng.standard_normal((T, B, H))}


def _shift_case(rng, T, B, D, k=None):
    return {"x": rng.standard_normal((T, B, D)),
            "k": int(rng.integers(0, T + 2)) if k is None else k}


_cases = fixed_then_random(_case, _FIXED, _shapes)
_shift_cases = fixed_then_random(
    _shift_case, [(6, 2, 3, 2), (5, 1, 2, 0), (4, 2, 1, 6)],
    lambda rng: ((T, B, D) for T, B, D, _, _ in _shapes(rng, 4)))


def _shifted(case):
    x, k = case["x"], case["k"]
    out = np.zeros_like(x)
    out[k:] = x[:max(len(x) - k, 0)]
    return {"out": out}


def _grads(case):
    params = {"W": case["W"], "b": case["b"]}
    _, cache = tdnn.forward(case["x"], params)
    return tdnn.backward(case["dy"], cache)


_BACKWARD = """
y, cache = tdnn_forward(x, W, b)
grads = tdnn_backward(dy, cache)
answer = {"%s": grads["%s"]}
"""

CHALLENGES = [
    challenge("shift", _shift_cases, "answer = {'out': shift(x, k)}", _shifted),
    challenge("tdnn_forward", _cases,
              "y, cache = tdnn_forward(x, W, b)\nanswer = {'y': y}",
              lambda c: {"y": tdnn.forward(c["x"], {"W": c["W"], "b": c["b"]})[0]}),
    challenge("tdnn_backward_W", _cases, _BACKWARD % ("W", "W"),
              lambda c: {"W": _grads(c)["W"]}),
    challenge("tdnn_backward_b", _cases, _BACKWARD % ("b", "b"),
              lambda c: {"b": _grads(c)["b"]}),
    challenge("tdnn_backward_x", _cases, _BACKWARD % ("x", "x"),
              lambda c: {"x": _grads(c)["x"]}),
]


def _visible_forward():
    """y of the fixed case in the visible tests of tdnn_forward (same draws, same order)."""
    r = np.random.default_rng(3)
    x, W, b = r.standard_normal((4, 1, 2)), r.standard_normal((3, 2, 2)) / 2, 0.1 * r.standard_normal(2)
    return tdnn.forward(x, {"W": W, "b": b})[0]


# Numbers embedded in the student notebook at release (@expected(name) in ex02_tdnn.md).
EXPECTED = {"forward_y": _visible_forward}
