"""Hidden tests of exercise 2 (time-delay layer), judged against rnn_ref.tdnn."""

import numpy as np

from rnn_ref import tdnn

from autograder.challenge import Challenge


def _shapes(rng, n=3):
    """T = 1, B = 1 first, then random shapes and widths."""
    yield 1, 1, 1, 1, 0
    for _ in range(n - 1):
        yield (int(rng.integers(2, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 5)), int(rng.integers(0, 4)))


def _cases(rng):
    cases = []
    for T, B, D, H, N in _shapes(rng):
        cases.append({"x": rng.standard_normal((T, B, D)),
                      "W": rng.standard_normal((N + 1, H, D)) / np.sqrt((N + 1) * D),
                      "b": 0.3 * rng.standard_normal(H),
                      "dy": rng.standard_normal((T, B, H))})
    return cases


def _shift_cases(rng):
    cases = []
    for T, B, D, _, _ in _shapes(rng, 4):
        cases.append({"x": rng.standard_normal((T, B, D)), "k": int(rng.integers(0, T + 2))})
    return cases


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
    Challenge("shift", _shift_cases, "answer = {'out': shift(x, k)}", _shifted),
    Challenge("tdnn_forward", _cases,
              "y, cache = tdnn_forward(x, W, b)\nanswer = {'y': y}",
              lambda c: {"y": tdnn.forward(c["x"], {"W": c["W"], "b": c["b"]})[0]}),
    Challenge("tdnn_backward_W", _cases, _BACKWARD % ("W", "W"),
              lambda c: {"W": _grads(c)["W"]}),
    Challenge("tdnn_backward_b", _cases, _BACKWARD % ("b", "b"),
              lambda c: {"b": _grads(c)["b"]}),
    Challenge("tdnn_backward_x", _cases, _BACKWARD % ("x", "x"),
              lambda c: {"x": _grads(c)["x"]}),
]
