"""Hidden tests of exercise 3 (NARX in open and closed loop), judged against rnn_ref.narx."""

import numpy as np

from rnn_ref import narx

from autograder.challenge import Challenge


def _shapes(rng):
    """(T, B, D, H, O, L, K): T = 1 and B = 1 first, then a case with several output taps
    (so that the order of y_init matters), then a random one."""
    yield 1, 1, 1, 2, 1, 0, 1
    yield (int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
           int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(0, 3)),
           int(rng.integers(2, 4)))
    yield (int(rng.integers(2, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
           int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 4)),
           int(rng.integers(1, 4)))


def _cases(rng, teacher):
    cases = []
    for T, B, D, H, O, L, K in _shapes(rng):
        fan_in = (L + 1) * D + K * O
        case = {"x": rng.standard_normal((T, B, D)),
                "W_x": rng.standard_normal((L + 1, H, D)) / np.sqrt(fan_in),
                "W_y": rng.standard_normal((K, H, O)) / np.sqrt(fan_in),
                "b": 0.3 * rng.standard_normal(H),
                "W_o": rng.standard_normal((O, H)) / np.sqrt(H),
                "b_o": 0.3 * rng.standard_normal(O),
                "y_init": rng.standard_normal((K, B, O)),
                "dy": rng.standard_normal((T, B, O))}
        if teacher:
            case["y_teacher"] = rng.standard_normal((T, B, O))
        cases.append(case)
    return cases


def _open_cases(rng):
    return _cases(rng, teacher=True)


def _closed_cases(rng):
    return _cases(rng, teacher=False)


def _run(case):
    params = {k: case[k] for k in ("W_x", "W_y", "b", "W_o", "b_o")}
    if "y_teacher" in case:
        return narx.forward(case["x"], params, y_init=case["y_init"], mode="open",
                            y_teacher=case["y_teacher"])
    return narx.forward(case["x"], params, y_init=case["y_init"], mode="closed")


def _grads(keys):
    def reference(case):
        _, cache = _run(case)
        grads = narx.backward(case["dy"], cache)
        return {k: grads[k] for k in keys}
    return reference


WEIGHTS = ("W_x", "W_y", "b", "W_o", "b_o")
INPUTS = ("x", "y_init")

_CLOSED = "y, cache = narx_forward(x, W_x, W_y, b, W_o, b_o, y_init)\n"
_OPEN = "y, cache = narx_forward(x, W_x, W_y, b, W_o, b_o, y_init, y_teacher=y_teacher)\n"
_BACKWARD = "grads = narx_backward(dy, cache)\nanswer = {k: grads[k] for k in %r}\n"

CHALLENGES = [
    Challenge("narx_forward_closed", _closed_cases, _CLOSED + "answer = {'y': y}",
              lambda c: {"y": _run(c)[0]}),
    Challenge("narx_forward_open", _open_cases, _OPEN + "answer = {'y': y}",
              lambda c: {"y": _run(c)[0]}),
    Challenge("backward_open_weights", _open_cases, _OPEN + _BACKWARD % (WEIGHTS,),
              _grads(WEIGHTS)),
    Challenge("backward_open_inputs", _open_cases, _OPEN + _BACKWARD % (INPUTS,),
              _grads(INPUTS)),
    Challenge("backward_closed_weights", _closed_cases, _CLOSED + _BACKWARD % (WEIGHTS,),
              _grads(WEIGHTS)),
    Challenge("backward_closed_inputs", _closed_cases, _CLOSED + _BACKWARD % (INPUTS,),
              _grads(INPUTS)),
]
