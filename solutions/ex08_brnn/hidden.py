"""Hidden tests of exercise 8 (bidirectional block), judged against rnn_ref.brnn."""

import numpy as np

from rnn_ref import brnn

from autograder.cases import fixed_draws
from autograder.challenge import Challenge

_KEYS = ("W_fc1", "W_fr1", "b_f1", "W_bc1", "W_br1", "b_b1")


def _dims(rng, n=3):
    """(T, B, D, H): T = 1 and B = 1 first, then random shapes."""
    yield 1, 1, int(rng.integers(1, 4)), int(rng.integers(1, 5))
    for _ in range(n - 1):
        yield (int(rng.integers(2, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 6)))


def _flip_cases(rng):
    return [{"a": rng.standard_normal((T, B, D))} for T, B, D, _ in _dims(rng, 4)]


def _block_cases(rng):
    out = []
    for T, B, D, H in _dims(rng, 4):
        case = {"x": rng.standard_normal((T, B, D)),
                "h0_f": rng.uniform(-1, 1, (B, H)), "h0_b": rng.uniform(-1, 1, (B, H)),
                "dh": rng.standard_normal((T, B, 2 * H))}
        for d in "fb":
            case[f"W_{d}c1"] = rng.standard_normal((H, D)) / np.sqrt(D)
            case[f"W_{d}r1"] = 1.2 * rng.standard_normal((H, H)) / np.sqrt(H)
            case[f"b_{d}1"] = 0.3 * rng.standard_normal(H)
        out.append(case)
    return out


def _block_ref(names):
    def reference(c):
        params = {k: c[k] for k in _KEYS}
        h, cache = brnn.forward(c["x"], params, c["h0_f"][None], c["h0_b"][None])
        g = brnn.backward(c["dh"], cache)
        full = dict(g, h=h, h0_f=g["h_init_f"][0], h0_b=g["h_init_b"][0])
        return {n: full[n] for n in names}
    return reference


_BLOCK = """
params = {"W_fc1": W_fc1, "W_fr1": W_fr1, "b_f1": b_f1, "W_bc1": W_bc1, "W_br1": W_br1, "b_b1": b_b1}
h, cache = brnn_forward(x, params, h0_f, h0_b)
"""
_BACKWARD = _BLOCK + """grads = brnn_backward(dh, cache)
answer = {name: grads[name] for name in %r}
"""


def _backward(grade_id, names):
    return Challenge(grade_id, _block_cases, _BACKWARD % (names,), _block_ref(names))


CHALLENGES = fixed_draws([
    # "a after" catches a flip done in place, which a second flip would undo.
    Challenge("flip_time", _flip_cases, "answer = {'out': flip_time(a), 'a after': a}",
              lambda c: {"out": c["a"][::-1], "a after": c["a"]}),
    Challenge("brnn_forward", _block_cases, _BLOCK + "answer = {'h': h}", _block_ref(["h"])),
    _backward("brnn_backward_forward_net", ["W_fc1", "W_fr1", "b_f1", "h0_f"]),
    _backward("brnn_backward_backward_net", ["W_bc1", "W_br1", "b_b1", "h0_b"]),
    _backward("brnn_backward_x", ["x"]),
])


def _visible_block(T, B, D, H, seed):
    """h of the notebook's _block_case (same draws, same order)."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((T, B, D))
    h0_f, h0_b = 0.5 * r.standard_normal((B, H)), 0.5 * r.standard_normal((B, H))
    params = {}
    for d in "fb":
        params[f"W_{d}c1"] = r.standard_normal((H, D)) / np.sqrt(D)
        params[f"W_{d}r1"] = r.standard_normal((H, H)) / np.sqrt(H)
        params[f"b_{d}1"] = 0.1 * r.standard_normal(H)
    return brnn.forward(x, params, h0_f[None], h0_b[None])[0]


# Numbers embedded in the student notebook at release (@expected(name) in the .md).
EXPECTED = {"block_h": lambda: _visible_block(T=4, B=2, D=3, H=2, seed=4)}
