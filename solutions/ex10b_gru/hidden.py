"""Hidden tests of exercise 10b (GRU, PyTorch's variant), judged against rnn_ref.gru."""

import numpy as np

from rnn_ref import gru

from autograder.cases import fixed_draws
from autograder.challenge import Challenge


def _shapes(rng, n=3):
    """T = 1, B = 1 first, then random shapes."""
    yield 1, 1, 1, 1
    for _ in range(n - 1):
        yield (int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 5)))


def _params(rng, D, H):
    return {"W_x": rng.standard_normal((3 * H, D)) / np.sqrt(D),
            "W_h": rng.standard_normal((3 * H, H)) / np.sqrt(H),
            "b_x": 0.5 * rng.standard_normal(3 * H),
            "b_h": 0.5 * rng.standard_normal(3 * H)}


def _cell_cases(rng):
    cases = []
    for _, B, D, H in _shapes(rng):
        cases.append({"x": rng.standard_normal((B, D)),
                      "h_prev": rng.standard_normal((B, H)),
                      **_params(rng, D, H),
                      "dh": rng.standard_normal((B, H))})
    return cases


def _seq_cases(rng):
    cases = []
    for T, B, D, H in _shapes(rng):
        cases.append({"x": rng.standard_normal((T, B, D)),
                      **_params(rng, D, H),
                      "h_init": rng.standard_normal((B, H)),
                      "dh": rng.standard_normal((T, B, H))})
    return cases


def _p(case):
    return {k: case[k] for k in ("W_x", "W_h", "b_x", "b_h")}


def _cell_grads(case):
    _, cache = gru.cell_forward(case["x"], case["h_prev"], _p(case))
    return gru.cell_backward(case["dh"], cache)


def _seq_grads(case):
    _, cache = gru.forward(case["x"], _p(case), case["h_init"])
    return gru.backward(case["dh"], cache)


def _pick(grads_of, names):
    return lambda case: {n: grads_of(case)[n] for n in names}


_CELL_BACKWARD = """
h, cache = gru_cell_forward(x, h_prev, W_x, W_h, b_x, b_h)
grads = gru_cell_backward(dh, cache)
answer = {name: grads[name] for name in %r}
"""

_SEQ_BACKWARD = """
h, cache = gru_forward(x, W_x, W_h, b_x, b_h, h_init)
grads = gru_backward(dh, cache)
answer = {name: grads[name] for name in %r}
"""

_INPUT_SIDE = ("W_x", "b_x")
_HIDDEN_SIDE = ("W_h", "b_h")
_CELL_INPUTS = ("x", "h_prev")
_PARAMS = ("W_x", "W_h", "b_x", "b_h")
_SEQ_INPUTS = ("x", "h_init")

CHALLENGES = fixed_draws([
    Challenge("gru_cell_forward", _cell_cases,
              "h, cache = gru_cell_forward(x, h_prev, W_x, W_h, b_x, b_h)\nanswer = {'h': h}",
              lambda c: {"h": gru.cell_forward(c["x"], c["h_prev"], _p(c))[0]}),
    Challenge("gru_cell_backward_input_side", _cell_cases, _CELL_BACKWARD % (_INPUT_SIDE,),
              _pick(_cell_grads, _INPUT_SIDE)),
    Challenge("gru_cell_backward_hidden_side", _cell_cases, _CELL_BACKWARD % (_HIDDEN_SIDE,),
              _pick(_cell_grads, _HIDDEN_SIDE)),
    Challenge("gru_cell_backward_inputs", _cell_cases, _CELL_BACKWARD % (_CELL_INPUTS,),
              _pick(_cell_grads, _CELL_INPUTS)),
    Challenge("gru_forward", _seq_cases,
              "h, cache = gru_forward(x, W_x, W_h, b_x, b_h, h_init)\nanswer = {'h': h}",
              lambda c: {"h": gru.forward(c["x"], _p(c), c["h_init"])[0]}),
    Challenge("gru_backward_params", _seq_cases, _SEQ_BACKWARD % (_PARAMS,),
              _pick(_seq_grads, _PARAMS)),
    Challenge("gru_backward_inputs", _seq_cases, _SEQ_BACKWARD % (_SEQ_INPUTS,),
              _pick(_seq_grads, _SEQ_INPUTS)),
])


def _fixed_case(T=None):
    """The notebook's _fixed_case (same draws, same order)."""
    r = np.random.default_rng(12)
    case = {"x": r.standard_normal((2, 3) if T is None else (T, 2, 3)),
            "W_x": r.standard_normal((6, 3)) / 2, "W_h": r.standard_normal((6, 2)) / 2, "b_x": 0.5 * r.standard_normal(6), "b_h": 0.5 * r.standard_normal(6)}
    case["h_prev" if T is None else "h_init"] = r.standard_normal((2, 2))
    return case


def _fixed_cell():
    c = _fixed_case()
    return gru.cell_forward(c["x"], c["h_prev"], _p(c))[0]


def _fixed_seq():
    c = _fixed_case(T=4)
    return gru.forward(c["x"], _p(c), c["h_init"])[0]


# Numbers embedded in the student notebook at release (@expected(name) in the .md).
EXPECTED = {"cell_h": _fixed_cell, "seq_h": _fixed_seq}
