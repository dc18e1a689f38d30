"""Hidden tests of exercise 7 (backpropagation through time), judged against rnn_ref.rnn."""

import numpy as np

from rnn_ref import rnn

from autograder.cases import fixed_draws
from autograder.challenge import Challenge


def _dims(rng, n=3):
    """(T, B, D, H): T = 1 and B = 1 first, then random shapes."""
    yield 1, 1, int(rng.integers(1, 4)), int(rng.integers(1, 5))
    for _ in range(n - 1):
        yield (int(rng.integers(2, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 6)))


def _layer_cases(truncated=False):
    def cases(rng):
        out = []
        shapes = list(_dims(rng, 4 if truncated else 3))
        if truncated:
            shapes[1] = (int(rng.integers(5, 10)),) + shapes[1][1:]   # several windows
        for T, B, D, H in shapes:
            case = {"inp": rng.standard_normal((T, B, D)),
                    "h0": rng.uniform(-1, 1, (B, H)),
                    "W_c": rng.standard_normal((H, D)) / np.sqrt(D),
                    "W_r": 1.2 * rng.standard_normal((H, H)) / np.sqrt(H),
                    "b": 0.3 * rng.standard_normal(H),
                    "dh": rng.standard_normal((T, B, H))}
            if truncated:
                case["k"] = int(rng.integers(1, max(T // 2, 1) + 1)) if T > 1 else 1
            out.append(case)
        return out
    return cases


def _layer_ref(names):
    def reference(c):
        p = {"W_c1": c["W_c"], "W_r1": c["W_r"], "b1": c["b"]}
        _, cache = rnn.forward_hidden(c["inp"], p, c["h0"][None])
        g = rnn.backward_hidden(c["dh"], cache, truncate=c.get("k"))
        full = {"W_c": g["W_c1"], "W_r": g["W_r1"], "b": g["b1"], "inp": g["x"],
                "h0": g["h_init"][0]}
        return {n: full[n] for n in names}
    return reference


_LAYER = """
h = layer_forward(inp, h0, W_c, W_r, b)
g = layer_backward(dh, h, h0, inp, W_c, W_r%s)
answer = {name: g[name] for name in %r}
"""


def _layer_challenge(grade_id, names, truncated=False):
    return Challenge(grade_id, _layer_cases(truncated),
                     _LAYER % (", k=k" if truncated else "", names), _layer_ref(names))


def _net_cases(rng):
    out = []
    for n, (T, B, D, H) in enumerate(_dims(rng, 4)):
        L = int(rng.integers(1, 4)) if n != 1 else int(rng.integers(2, 4))
        O = int(rng.integers(1, 4))
        p = {}
        for l in range(1, L + 1):
            fan_in = D if l == 1 else H
            p[f"W_c{l}"] = rng.standard_normal((H, fan_in)) / np.sqrt(fan_in)
            p[f"W_r{l}"] = rng.standard_normal((H, H)) / np.sqrt(H)
            p[f"b{l}"] = 0.3 * rng.standard_normal(H)
        p["W_o"] = rng.standard_normal((O, H)) / np.sqrt(H)
        p["b_o"] = 0.3 * rng.standard_normal(O)
        case = {"x": rng.standard_normal((T, B, D)), "h_init": rng.uniform(-1, 1, (L, H)),
                "dy": rng.standard_normal((T, B, O)), "keys": " ".join(p)}
        case.update(p)
        out.append(case)
    return out


def _net_ref(output):
    def reference(c):
        params = {k: c[k] for k in c["keys"].split()}
        _, cache = rnn.forward(c["x"], params, c["h_init"])
        g = rnn.backward(c["dy"], cache)
        if output:
            return {"W_o": g["W_o"], "b_o": g["b_o"]}
        return {k: v for k, v in g.items() if k not in ("W_o", "b_o")}
    return reference


_NET = """
params = {name: globals()[name] for name in keys.split()}
y, cache = rnn_forward(x, params, h_init)
answer = dict(rnn_backward(dy, cache))
"""


CHALLENGES = fixed_draws([
    _layer_challenge("bptt_W_r", ["W_r"]),
    _layer_challenge("bptt_W_c_b", ["W_c", "b"]),
    _layer_challenge("bptt_h0", ["h0"]),
    _layer_challenge("bptt_input", ["inp"]),
    Challenge("rnn_backward_output", _net_cases, _NET, _net_ref(output=True)),
    Challenge("rnn_backward_deep", _net_cases, _NET, _net_ref(output=False)),
    _layer_challenge("bptt_truncated", ["W_c", "W_r", "b", "inp", "h0"], truncated=True),
])
