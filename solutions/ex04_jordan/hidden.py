"""Hidden tests of exercise 4 (the Jordan network), judged against rnn_ref.jordan."""

import numpy as np

from rnn_ref import jordan

from autograder.cases import challenge, fixed_then_random


def _shapes(rng):
    """(T, B, D, H, O, mu): T = 1 and B = 1 first, then random shapes with mu > 0 (so that
    a gradient that ignores the decay fails), one of them with B = 1."""
    yield 1, 1, 1, 2, 1, float(rng.uniform(0.2, 1.0))
    yield (int(rng.integers(2, 8)), 1, int(rng.integers(1, 4)), int(rng.integers(1, 5)),
           int(rng.integers(1, 4)), float(rng.uniform(0.3, 1.0)))
    yield (int(rng.integers(3, 9)), int(rng.integers(2, 4)), int(rng.integers(1, 4)),
           int(rng.integers(1, 5)), int(rng.integers(1, 4)), float(rng.uniform(0.3, 1.0)))


# Lengths of several steps, a decay well away from 0 and 1, several sequences, non-square
# weights: every typical bug fails these, for every student.
_FIXED = [(7, 2, 3, 4, 2, 0.7), (6, 3, 2, 3, 3, 0.4)]


def _case(rng, T, B, D, H, O, mu):
    return {"x": rng.standard_normal((T, B, D)),
            "W_c": rng.standard_normal((H, D)) / np.sqrt(D + O),
            "W_m": rng.standard_normal((H, O)) / np.sqrt(O),
            "b": 0.3 * rng.standard_normal(H),
            "W_o": 1.5 * rng.standard_normal((O, H)) / np.sqrt(H),
            "b_o": 0.3 * rng.standard_normal(O),
            "s_init": rng.uniform(0.0, 1.0, size=(B, O)),
            "mu": mu,
            "dy": rng.standard_normal((T, B, O))}


def _memory_case(rng, T, B, _D, _H, O, mu):
    return {"y": rng.uniform(0.0, 1.0, size=(T, B, O)), "mu": mu,
            "s_init": rng.uniform(0.0, 1.0, size=(B, O))}


_cases = fixed_then_random(_case, _FIXED, _shapes)
_memory_cases = fixed_then_random(_memory_case, _FIXED, _shapes)


def _memory(case):
    y, mu, s = case["y"], case["mu"], case["s_init"]
    out = []
    for t in range(len(y)):
        out.append(s)
        s = mu * s + y[t]
    return {"s": np.stack(out)}


def _run(case):
    params = {k: case[k] for k in ("W_c", "W_m", "b", "W_o", "b_o")}
    return jordan.forward(case["x"], params, mu=case["mu"], s_init=case["s_init"])


def _grads(mode, keys):
    def reference(case):
        _, cache = _run(case)
        grads = jordan.backward(case["dy"], cache, mode=mode)
        return {k: grads[k] for k in keys}
    return reference


WEIGHTS = ("W_c", "W_m", "b", "W_o", "b_o")
INPUTS = ("x", "s_init")

_FORWARD = "y, cache = jordan_forward(x, W_c, W_m, b, W_o, b_o, s_init, mu)\n"
_BACKWARD = _FORWARD + ("grads = jordan_backward(dy, cache, mode=%r)\n"
                        "answer = {k: grads[k] for k in %r}\n")

CHALLENGES = [
    challenge("jordan_memory", _memory_cases, "answer = {'s': jordan_memory(y, mu, s_init)}",
              _memory),
    challenge("jordan_forward", _cases, _FORWARD + "answer = {'y': y}",
              lambda c: {"y": _run(c)[0]}),
    challenge("blocked_weights", _cases, _BACKWARD % ("blocked", WEIGHTS),
              _grads("blocked", WEIGHTS)),
    challenge("blocked_inputs", _cases, _BACKWARD % ("blocked", INPUTS),
              _grads("blocked", INPUTS)),
    challenge("exact_weights", _cases, _BACKWARD % ("exact", WEIGHTS),
              _grads("exact", WEIGHTS)),
    challenge("exact_inputs", _cases, _BACKWARD % ("exact", INPUTS),
              _grads("exact", INPUTS)),
]


def _fixed_case():
    """The notebook's _fixed_case (same draws, same order)."""
    r = np.random.default_rng(12)
    return {"x": r.standard_normal((5, 2, 2)), "W_c": r.standard_normal((3, 2)) / 2,
            "W_m": r.standard_normal((3, 2)) / 2, "b": 0.1 * r.standard_normal(3),
            "W_o": r.standard_normal((2, 3)), "b_o": 0.1 * r.standard_normal(2),
            "s_init": r.uniform(0.0, 1.0, (2, 2)), "mu": 0.6}


def _fixed_memory():
    case = _fixed_case()
    y = np.linspace(0.0, 1.0, 20).reshape(5, 2, 2)
    return _memory({"y": y, "mu": case["mu"], "s_init": case["s_init"]})["s"]


# Numbers embedded in the student notebook at release (@expected(name) in the .md).
EXPECTED = {"memory_s": _fixed_memory, "forward_y": lambda: _run(_fixed_case())[0]}
