"""Hidden tests of exercise 6 (forward pass of a deep RNN), judged against rnn_ref."""

import numpy as np

from rnn_ref import losses, rnn

from autograder.cases import fixed_draws
from autograder.challenge import Challenge


def _dims(rng, n=3, L_min=1, L_max=3):
    """(T, B, D, H, O, L): T = 1 and B = 1 first, then random shapes."""
    yield 1, 1, int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), \
        int(rng.integers(L_min, L_max + 1))
    for _ in range(n - 1):
        yield (int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
               int(rng.integers(1, 6)), int(rng.integers(1, 4)),
               int(rng.integers(L_min, L_max + 1)))


def _params(rng, D, H, O, L, skips=False):
    """Random parameters; with skips (and L > 1), some W_x{l} and some W_o{l}."""
    p = {}
    for l in range(1, L + 1):
        p[f"W_c{l}"] = rng.standard_normal((H, D if l == 1 else H)) / np.sqrt(D if l == 1 else H)
        p[f"W_r{l}"] = 0.9 * rng.standard_normal((H, H)) / np.sqrt(H)
        p[f"b{l}"] = 0.3 * rng.standard_normal(H)
    p["W_o"] = rng.standard_normal((O, H))
    p["b_o"] = 0.3 * rng.standard_normal(O)
    if skips and L > 1:
        # a random non-empty set of input skips and one of output skips
        for prefix, layers, shape, fan_in in (("W_x", range(2, L + 1), (H, D), D),
                                              ("W_o", range(1, L), (O, H), H)):
            layers = list(layers)
            keep = rng.random(len(layers)) < 0.6
            keep[int(rng.integers(0, len(layers)))] = True
            for l, k in zip(layers, keep):
                if k:
                    p[f"{prefix}{l}"] = rng.standard_normal(shape) / np.sqrt(fan_in)
    return p


def _net_cases(skips=False, init=False):
    def cases(rng):
        out = []
        for T, B, D, H, O, L in _dims(rng, 3, 2 if skips else 1, 3):
            p = _params(rng, D, H, O, L, skips)
            case = {"x": rng.standard_normal((T, B, D)), "keys": " ".join(p)}
            if init:
                case["h_init"] = rng.standard_normal((L, H))
            case.update(p)
            out.append(case)
        return out
    return cases


def _net_params(case):
    return {k: case[k] for k in case["keys"].split()}


def _forward_ref(case):
    y, cache = rnn.forward(case["x"], _net_params(case), case.get("h_init"))
    answer = {f"h{l}": h[1:] for l, h in enumerate(cache["hs"], 1)}
    answer["y"] = y
    return answer


_FORWARD = """
params = {k: globals()[k] for k in keys.split()}
y, hs = rnn_forward(x, params%s)
answer = {"h%%d" %% (l + 1): h for l, h in enumerate(hs)}
answer["y"] = y
"""


def _step_cases(rng):
    out = []
    for _, B, D, H, _, _ in _dims(rng, 4):
        out.append({"x_t": rng.standard_normal((B, D)), "h_prev": rng.uniform(-1, 1, (B, H)),
                    "W_c": rng.standard_normal((H, D)), "W_r": rng.standard_normal((H, H)),
                    "b": rng.standard_normal(H)})
    return out


def _step_ref(c):
    p = {"W_c1": c["W_c"], "W_r1": c["W_r"], "b1": c["b"]}
    h, _ = rnn.forward_hidden(c["x_t"][None], p, c["h_prev"][None])
    return {"h_t": h[0]}


def _states_cases(rng):
    """States of L layers, output weights with a random non-empty choice of output skips
    (when L > 1), and dy."""
    out = []
    for k, (T, B, _, H, O, L) in enumerate(_dims(rng, 4)):
        if k >= 2:
            L = max(L, 2)
        case = {"L": L, "dy": rng.standard_normal((T, B, O))}
        for l in range(1, L + 1):
            case[f"h{l}"] = rng.uniform(-1, 1, (T, B, H))
        p = {"W_o": rng.standard_normal((O, H)) / np.sqrt(H), "b_o": rng.standard_normal(O)}
        if L > 1:
            keep = rng.random(L - 1) < 0.6
            keep[int(rng.integers(0, L - 1))] = True
            for l in range(1, L):
                if keep[l - 1]:
                    p[f"W_o{l}"] = rng.standard_normal((O, H)) / np.sqrt(H)
        case["keys"] = " ".join(p)
        case.update(p)
        out.append(case)
    return out


def _output_ref(c):
    """y and the output layer's gradients, computed by rnn_ref.

    The output layer is linear in the stacked states [h1; ...; hL], so it is the output
    layer of a one-layer rnn_ref network with the identity activation, W_c1 = I,
    W_r1 = 0 and b1 = 0, fed the stacked states as its input: that network's states are
    the given states, its W_o is [W_o1 ... W_o] (zero blocks where there is no skip),
    and its input gradient is dDIV/dh of every layer.
    """
    L = c["L"]
    hs = [c[f"h{l}"] for l in range(1, L + 1)]
    p = {k: c[k] for k in c["keys"].split()}
    H = hs[0].shape[2]
    O = p["W_o"].shape[0]
    blocks = [p.get(f"W_o{l}", np.zeros((O, H))) for l in range(1, L)] + [p["W_o"]]
    net = {"W_c1": np.eye(L * H), "W_r1": np.zeros((L * H, L * H)), "b1": np.zeros(L * H),
           "W_o": np.concatenate(blocks, axis=1), "b_o": p["b_o"]}
    y, cache = rnn.forward(np.concatenate(hs, axis=2), net, activation="identity")
    g = rnn.backward(c["dy"], cache)
    out = {"y": y, "W_o": g["W_o"][:, (L - 1) * H:], "b_o": g["b_o"]}
    for l in range(1, L):
        if f"W_o{l}" in p:
            out[f"W_o{l}"] = g["W_o"][:, (l - 1) * H:l * H]
    for l in range(1, L + 1):
        out[f"dh{l}"] = g["x"][:, :, (l - 1) * H:l * H]
    return out


def _pick(*names, skips=False, states=False):
    def reference(c):
        full = _output_ref(c)
        out = {n: full[n] for n in names}
        if skips:
            out.update({k: v for k, v in full.items() if k.startswith("W_o") and k != "W_o"})
        if states:
            out.update({k: v for k, v in full.items() if k.startswith("dh")})
        return out
    return reference


_OUTPUT = """
hs = [globals()["h%d" % l] for l in range(1, L + 1)]
params = {k: globals()[k] for k in keys.split()}
y, cache = output_forward(hs, params)
"""
_OUTPUT_BACKWARD = _OUTPUT + """grads = output_backward(dy, cache)
"""


def _settings_cases(rng):
    out = []
    for setting in ("many_to_many", "many_to_one", "delayed", "delayed"):
        T = int(rng.integers(1, 8))
        out.append({"T": T, "setting": setting, "delay": int(rng.integers(0, T)),
                    "d": rng.standard_normal((T, int(rng.integers(1, 4)),
                                              int(rng.integers(1, 4))))})
    return out


def _settings_ref(c):
    mask = losses.io_mask(c["T"], c["setting"], c["delay"] if c["setting"] == "delayed" else 0)
    return {"mask": mask, "shifted": losses.delay_targets(c["d"], c["delay"])}


def _mse_cases(rng):
    out = []
    for T, B, _, _, O, _ in _dims(rng, 4):
        out.append({"y": rng.standard_normal((T, B, O)), "d": rng.standard_normal((T, B, O)),
                    "mask": (rng.random(T) < 0.6).astype(float)})
    return out


def _mse_ref(c):
    loss, dy = losses.mse(c["y"], c["d"], c["mask"])
    return {"loss": np.array(loss), "dy": dy}


CHALLENGES = fixed_draws([
    Challenge("rnn_step", _step_cases,
              "answer = {'h_t': rnn_step(x_t, h_prev, W_c, W_r, b)}", _step_ref),
    Challenge("output_forward", _states_cases, _OUTPUT + "answer = {'y': y}", _pick("y")),
    Challenge("rnn_forward_deep", _net_cases(), _FORWARD % "", _forward_ref),
    Challenge("rnn_forward_init", _net_cases(init=True), _FORWARD % ", h_init", _forward_ref),
    Challenge("rnn_forward_skip", _net_cases(skips=True), _FORWARD % "", _forward_ref),
    Challenge("settings", _settings_cases,
              "answer = {'mask': io_mask(T, setting, delay), 'shifted': delay_targets(d, delay)}",
              _settings_ref),
    Challenge("masked_mse", _mse_cases,
              "loss, dy = masked_mse(y, d, mask)\nanswer = {'loss': np.array(loss), 'dy': dy}",
              _mse_ref),
    Challenge("output_backward_W", _states_cases,
              _OUTPUT_BACKWARD + "answer = {'W_o': grads['W_o'], 'b_o': grads['b_o']}",
              _pick("W_o", "b_o")),
    Challenge("output_backward_skip", _states_cases,
              _OUTPUT_BACKWARD + "answer = {k: v for k, v in grads.items() if k.startswith('W_o') and k != 'W_o'}",
              _pick(skips=True)),
    Challenge("output_backward_h", _states_cases,
              _OUTPUT_BACKWARD + "answer = {'dh%d' % (l + 1): dh for l, dh in enumerate(grads['h'])}",
              _pick(states=True)),
])


def _random_net(T, B, D, H, O, L, skips=(), seed=1):
    """The notebook's _random_net (same draws, same order), for the expected numbers."""
    r = np.random.default_rng(seed)
    p = {}
    for layer in range(1, L + 1):
        p[f"W_c{layer}"] = r.standard_normal((H, D if layer == 1 else H)) / 2
        p[f"W_r{layer}"] = r.standard_normal((H, H)) / 2
        p[f"b{layer}"] = r.standard_normal(H) / 4
    p["W_o"] = r.standard_normal((O, H))
    p["b_o"] = r.standard_normal(O)
    for key in skips:
        p[key] = r.standard_normal((H, D) if key.startswith("W_x") else (O, H)) / 2
    return r.standard_normal((T, B, D)), p


def _fixed_y(h_init=None, **net):
    x, params = _random_net(**net)
    return rnn.forward(x, params, None if h_init is None else np.array(h_init))[0]


# Numbers embedded in the student notebook at release (@expected(name) in the .md).
EXPECTED = {
    "deep_y": lambda: _fixed_y(T=4, B=2, D=2, H=3, O=2, L=2, seed=5),
    "init_y": lambda: _fixed_y([[0.4, -0.2, 0.1], [-0.6, 0.3, 0.5]],
                               T=4, B=2, D=2, H=3, O=2, L=2, seed=5),
    "skip_y": lambda: _fixed_y(T=4, B=2, D=2, H=3, O=2, L=3, skips=("W_x3", "W_o1"), seed=6),
}
