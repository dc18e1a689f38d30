"""Hidden tests of exercise 3 (NARX in open and closed loop), judged against rnn_ref.narx."""

import numpy as np

from rnn_ref import narx

from autograder.cases import challenge, fixed_then_random


def _shapes(rng):
    """(T, B, D, H, O, N, K): T = 1 and B = 1 first, then a case with several output taps
    (so that the order of y_init matters), then a random one."""
    yield 1, 1, 1, 2, 1, 0, 1
    yield (int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
           int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(0, 3)),
           int(rng.integers(2, 4)))
    yield (int(rng.integers(2, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
           int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 4)),
           int(rng.integers(1, 4)))


# Several input and output taps, lengths beyond both, several sequences: every typical
# bug fails these, for every student.
_FIXED = [(7, 2, 3, 4, 2, 2, 3), (6, 3, 2, 3, 1, 1, 2)]


def _case(rng, T, B, D, H, O, N, K, teacher):
    fan_in = (N + 1) * D + K * O
    case = {"x": rng.standard_normal((T, B, D)),
            "W_x": rng.standard_normal((N + 1, H, D)) / np.sqrt(fan_in),
            "W_y": rng.standard_normal((K, H, O)) / np.sqrt(fan_in),
            "b": 0.3 * rng.standard_normal(H),
            "W_o": rng.standard_normal((O, H)) / np.sqrt(H),
            "b_o": 0.3 * rng.standard_normal(O),
            "y_init": rng.standard_normal((K, B, O)),
            "dy": rng.standard_normal((T, B, O))}
    if teacher:
        case["y_teacher"] = rng.standard_normal((T, B, O))
    return case


_open_cases = fixed_then_random(lambda rng, *shape: _case(rng, *shape, teacher=True),
                                _FIXED, _shapes)
_closed_cases = fixed_then_random(lambda rng, *shape: _case(rng, *shape, teacher=False),
                                  _FIXED, _shapes)


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
    challenge("narx_forward_closed", _closed_cases, _CLOSED + "answer = {'y': y}",
              lambda c: {"y": _run(c)[0]}),
    challenge("narx_forward_open", _open_cases, _OPEN + "answer = {'y': y}",
              lambda c: {"y": _run(c)[0]}),
    challenge("backward_open_weights", _open_cases, _OPEN + _BACKWARD % (WEIGHTS,),
              _grads(WEIGHTS)),
    challenge("backward_open_inputs", _open_cases, _OPEN + _BACKWARD % (INPUTS,),
              _grads(INPUTS)),
    challenge("backward_closed_weights", _closed_cases, _CLOSED + _BACKWARD % (WEIGHTS,),
              _grads(WEIGHTS)),
    challenge("backward_closed_inputs", _closed_cases, _CLOSED + _BACKWARD % (INPUTS,),
              _grads(INPUTS)),
]


def _fixed_case(teacher=False):
    """The notebook's _fixed_case (same draws, same order)."""
    r = np.random.default_rng(12)
    case = {"x": r.standard_normal((5, 2, 2)), "W_x": r.standard_normal((2, 3, 2)) / 3,
            "W_y": r.standard_normal((2, 3, 2)) / 3, "b": 0.1 * r.standard_normal(3),
            "W_o": r.standard_normal((2, 3)) / 2, "b_o": 0.1 * r.standard_normal(2),
            "y_init": r.standard_normal((2, 2, 2))}
    if teacher:
        case["y_teacher"] = r.standard_normal((5, 2, 2))
    return case


# Numbers embedded in the student notebook at release (@expected(name) in the .md).
EXPECTED = {"closed_y": lambda: _run(_fixed_case())[0],
            "open_y": lambda: _run(_fixed_case(teacher=True))[0]}
