"""Hidden tests of exercise 9 (vanishing gradients and clipping), judged against rnn_ref."""

import numpy as np

from rnn_ref import activations, optim, rnn

from autograder.cases import fixed_draws
from autograder.challenge import Challenge


def _shapes(rng, n=3):
    """T = 1, B = 1, H = 1 first, then random shapes."""
    yield 1, 1, 1, 1
    for _ in range(n - 1):
        yield (int(rng.integers(2, 10)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 6)))


def _jacobian_cases(rng):
    return [{"h_t": np.tanh(rng.standard_normal((B, H))),
             "W_r": rng.standard_normal((H, H))}
            for _, B, _, H in _shapes(rng, 4)]


def _jacobian(case):
    slope = activations.derivative("tanh", case["h_t"])
    return {"J": slope[:, :, None] * case["W_r"][None]}


def _past_cases(rng):
    cases = []
    for T, B, D, H in _shapes(rng, 4):
        cases.append({"x": rng.standard_normal((T, B, D)),
                      "W_c": rng.standard_normal((H, D)) / np.sqrt(D),
                      "W_r": rng.standard_normal((H, H)) / np.sqrt(H),
                      "b": 0.3 * rng.standard_normal(H),
                      "h_init": 0.5 * rng.standard_normal((B, H)),
                      "dh_last": rng.standard_normal((B, H))})
    return cases


def _past(case):
    """dDIV/dh[t] for DIV = sum(h[T-1] * dh_last): restart rnn_ref at h[t], read dh_init."""
    params = {"W_c1": case["W_c"], "W_r1": case["W_r"], "b1": case["b"]}
    x, dh_last = case["x"], case["dh_last"]
    T = len(x)
    h, _ = rnn.forward_hidden(x, params, case["h_init"][None])
    g = np.empty_like(h)
    g[T - 1] = dh_last
    for t in range(T - 1):
        rest = x[t + 1:]
        _, cache = rnn.forward_hidden(rest, params, h[t][None])
        dh_top = np.zeros(rest.shape[:2] + (h.shape[2],))
        dh_top[-1] = dh_last
        g[t] = rnn.backward_hidden(dh_top, cache)["h_init"][0]
    return {"g": g}


_PAST = """
h = rnn_forward(x, W_c, W_r, b, h_init)
answer = {"g": backprop_to_past(dh_last, h, W_r)}
"""


def _radius_cases(rng):
    cases = []
    for _, _, _, H in _shapes(rng, 4):
        cases.append({"W": rng.standard_normal((H, H)), "rho": float(rng.uniform(0.2, 3.0))})
    return cases


def _radius(case):
    W = case["W"]
    return {"W": W * case["rho"] / np.abs(np.linalg.eigvals(W)).max()}


def _grad_cases(rng):
    """Three gradient arrays of random shapes (one may be a scalar) and thresholds."""
    cases = []
    for k in range(4):
        H, D = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        case = {"g_W": rng.standard_normal((H, D)) * rng.uniform(0.1, 5.0),
                "g_r": rng.standard_normal((H, H)) * rng.uniform(0.1, 5.0),
                "g_b": rng.standard_normal(() if k == 0 else (H,)) * rng.uniform(0.1, 5.0)}
        norm = optim.global_norm(case)
        # below and above the threshold, alternately
        case["c"] = float(rng.uniform(0.05, 1.0) * np.abs(case["g_W"]).max())
        case["max_norm"] = float(norm * (rng.uniform(0.1, 0.9) if k % 2 == 0
                                        else rng.uniform(1.1, 2.0)))
        cases.append(case)
    return cases


def _dict(case):
    return {"W_c": case["g_W"], "W_r": case["g_r"], "b": case["g_b"]}


_GRADS = 'grads = {"W_c": g_W, "W_r": g_r, "b": g_b}\n'

_CLIP_VALUE = _GRADS + """
out = clip_by_value(grads, c)
answer = {"W_c": out["W_c"], "W_r": out["W_r"], "b": out["b"], "input_W_c": grads["W_c"]}
"""

_CLIP_NORM = _GRADS + """
out, norm = clip_by_global_norm(grads, max_norm)
answer = {"W_c": out["W_c"], "W_r": out["W_r"], "b": out["b"], "norm": np.array(float(norm)),
          "input_W_c": grads["W_c"]}
"""


def _clip_value(case):
    out = optim.clip_by_value(_dict(case), case["c"])
    return {**out, "input_W_c": case["g_W"]}


def _clip_norm(case):
    out, norm = optim.clip_by_global_norm(_dict(case), case["max_norm"])
    return {**out, "norm": np.array(norm), "input_W_c": case["g_W"]}


CHALLENGES = fixed_draws([
    Challenge("step_jacobian", _jacobian_cases, "answer = {'J': step_jacobian(h_t, W_r)}",
              _jacobian),
    Challenge("backprop_to_past", _past_cases, _PAST, _past),
    Challenge("scale_to_radius", _radius_cases, "answer = {'W': scale_to_radius(W, rho)}",
              _radius),
    Challenge("global_norm", _grad_cases,
              _GRADS + "answer = {'norm': np.array(float(global_norm(grads)))}",
              lambda c: {"norm": np.array(optim.global_norm(_dict(c)))}),
    Challenge("clip_by_value", _grad_cases, _CLIP_VALUE, _clip_value),
    Challenge("clip_by_global_norm", _grad_cases, _CLIP_NORM, _clip_norm),
])
