"""Hidden tests of exercise 10a (LSTM), judged against rnn_ref.lstm."""

import numpy as np

from rnn_ref import lstm

from autograder.cases import fixed_draws
from autograder.challenge import Challenge


def _shapes(rng, n=3):
    """T = 1, B = 1 first, then random shapes."""
    yield 1, 1, 1, 1
    for _ in range(n - 1):
        yield (int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 5)))


def _params(rng, D, H):
    return {"W_x": rng.standard_normal((4 * H, D)) / np.sqrt(D),
            "W_h": rng.standard_normal((4 * H, H)) / np.sqrt(H),
            "b": 0.5 * rng.standard_normal(4 * H)}


def _cell_cases(rng):
    cases = []
    for _, B, D, H in _shapes(rng):
        cases.append({"x": rng.standard_normal((B, D)),
                      "h_prev": rng.standard_normal((B, H)),
                      "s_prev": rng.standard_normal((B, H)),
                      **_params(rng, D, H),
                      "dh": rng.standard_normal((B, H)),
                      "ds": rng.standard_normal((B, H))})
    return cases


def _seq_cases(rng):
    cases = []
    for T, B, D, H in _shapes(rng):
        cases.append({"x": rng.standard_normal((T, B, D)),
                      **_params(rng, D, H),
                      "h_init": rng.standard_normal((B, H)),
                      "s_init": rng.standard_normal((B, H)),
                      "dh": rng.standard_normal((T, B, H))})
    return cases


def _p(case):
    return {k: case[k] for k in ("W_x", "W_h", "b")}


def _cell_forward(case):
    h, s, _ = lstm.cell_forward(case["x"], case["h_prev"], case["s_prev"], _p(case))
    return {"h": h, "s": s}


def _cell_grads(case):
    _, _, cache = lstm.cell_forward(case["x"], case["h_prev"], case["s_prev"], _p(case))
    return lstm.cell_backward(case["dh"], case["ds"], cache)


def _seq_grads(case):
    _, cache = lstm.forward(case["x"], _p(case), case["h_init"], case["s_init"])
    return lstm.backward(case["dh"], cache)


def _pick(grads_of, names):
    return lambda case: {n: grads_of(case)[n] for n in names}


_CELL_FORWARD = """
h, s, cache = lstm_cell_forward(x, h_prev, s_prev, W_x, W_h, b)
answer = {"h": h, "s": s}
"""

_CELL_BACKWARD = """
h, s, cache = lstm_cell_forward(x, h_prev, s_prev, W_x, W_h, b)
grads = lstm_cell_backward(dh, ds, cache)
answer = {name: grads[name] for name in %r}
"""

_SEQ_BACKWARD = """
h, cache = lstm_forward(x, W_x, W_h, b, h_init, s_init)
grads = lstm_backward(dh, cache)
answer = {name: grads[name] for name in %r}
"""

_PARAMS = ("W_x", "W_h", "b")
_CELL_INPUTS = ("x", "h_prev")
_SEQ_INPUTS = ("x", "h_init", "s_init")

CHALLENGES = fixed_draws([
    Challenge("lstm_cell_forward", _cell_cases, _CELL_FORWARD, _cell_forward),
    Challenge("lstm_cell_backward_params", _cell_cases, _CELL_BACKWARD % (_PARAMS,),
              _pick(_cell_grads, _PARAMS)),
    Challenge("lstm_cell_backward_inputs", _cell_cases, _CELL_BACKWARD % (_CELL_INPUTS,),
              _pick(_cell_grads, _CELL_INPUTS)),
    Challenge("lstm_cell_backward_s_prev", _cell_cases, _CELL_BACKWARD % (("s_prev",),),
              _pick(_cell_grads, ("s_prev",))),
    Challenge("lstm_forward", _seq_cases,
              "h, cache = lstm_forward(x, W_x, W_h, b, h_init, s_init)\nanswer = {'h': h}",
              lambda c: {"h": lstm.forward(c["x"], _p(c), c["h_init"], c["s_init"])[0]}),
    Challenge("lstm_backward_params", _seq_cases, _SEQ_BACKWARD % (_PARAMS,),
              _pick(_seq_grads, _PARAMS)),
    Challenge("lstm_backward_inputs", _seq_cases, _SEQ_BACKWARD % (_SEQ_INPUTS,),
              _pick(_seq_grads, _SEQ_INPUTS)),
])


def _fixed_case(T=None):
    """The notebook's _fixed_case (same draws, same order)."""
    r = np.random.default_rng(12)
    case = {"x": r.standard_normal((2, 3) if T is None else (T, 2, 3)),
            "W_x": r.standard_normal((8, 3)) / 2, "W_h": r.standard_normal((8, 2)) / 2, "b": 0.5 * r.standard_normal(8)}
    first, second = ("h_prev", "s_prev") if T is None else ("h_init", "s_init")
    case[first], case[second] = r.standard_normal((2, 2)), r.standard_normal((2, 2))
    return case


def _fixed_cell():
    c = _fixed_case()
    return lstm.cell_forward(c["x"], c["h_prev"], c["s_prev"], _p(c))


def _fixed_seq():
    c = _fixed_case(T=4)
    return lstm.forward(c["x"], _p(c), c["h_init"], c["s_init"])[0]


# Numbers embedded in the student notebook at release (@expected(name) in the .md).
EXPECTED = {"cell_h": lambda: _fixed_cell()[0], "cell_s": lambda: _fixed_cell()[1],
            "seq_h": _fixed_seq}
