r"""Long short-term memory (chapter 10). Gate order i, f, g, o, as in ``torch.nn.LSTM``.

Book eq. ``eq-lstm``; ``s`` is the cell state, ``sigma`` the logistic function::

    a[t] = W_x x[t] + W_h h[t-1] + b          stacked pre-activations (4H)
    i, f, o = sigma(a_i), sigma(a_f), sigma(a_o)
    g       = tanh(a_g)
    s[t] = f * s[t-1] + i * g                 (eq. ``eq-lstm-cell``)
    h[t] = o * tanh(s[t])

The cell update is additive: ``ds[t]/ds[t-1] = f`` (element-wise), so where the forget
gate is open the gradient passes back through time without being squashed by a
``tanh'`` or multiplied by a weight matrix at every step.

======  ==========  =================================================================
key     shape       meaning
======  ==========  =================================================================
``W_x`` (4H, D)     ``[W_xi; W_xf; W_xg; W_xo]`` (= PyTorch ``weight_ih_l0``)
``W_h`` (4H, H)     ``[W_hi; W_hf; W_hg; W_ho]`` (= PyTorch ``weight_hh_l0``)
``b``   (4H,)       ``[b_i; b_f; b_g; b_o]`` (= PyTorch ``bias_ih_l0 + bias_hh_l0``)
======  ==========  =================================================================

Shapes: ``x`` is ``(T, B, D)``; ``h`` is ``(T, B, H)``; ``h_init`` and ``s_init`` are
``(B, H)``.
"""

import numpy as np

from ._batched import matvec, rmatvec
from ._checks import Shapes, check_cache, check_keys, check_positive_int

__all__ = ["init_params", "cell_forward", "cell_backward", "forward", "backward"]

KEYS = ["W_x", "W_h", "b"]


def init_params(D, H, rng=None, forget_bias=0.0):
    """Random parameters (PyTorch's default scale); ``forget_bias`` initializes ``b_f``."""
    check_positive_int("D", D)
    check_positive_int("H", H)
    rng = np.random.default_rng(rng)
    k = 1.0 / np.sqrt(H)
    b = np.zeros(4 * H)
    b[H:2 * H] = forget_bias
    return {"W_x": rng.uniform(-k, k, size=(4 * H, D)),
            "W_h": rng.uniform(-k, k, size=(4 * H, H)), "b": b}


def _activate(a, H):
    """Gate activations in place on the stacked ``(..., 4H)`` pre-activations.

    sigma(a) = (1 + tanh(a / 2)) / 2, so one tanh call covers all four gates: halve
    the i, f, o blocks, take tanh of everything, then map those blocks to (0, 1).
    """
    a[..., :2 * H] *= 0.5
    a[..., 3 * H:] *= 0.5
    np.tanh(a, out=a)
    for sl in (np.s_[..., :2 * H], np.s_[..., 3 * H:]):
        a[sl] += 1.0
        a[sl] *= 0.5
    return a


def _check(x, h_prev, s_prev, params, seq):
    check_keys(params, KEYS)
    sh = Shapes()
    sh.array("x", x, "T B D" if seq else "B D")
    W_h = sh.array("params['W_h']", params["W_h"], "G H")
    if W_h.shape[0] != 4 * W_h.shape[1]:
        raise ValueError(f"params['W_h'] has shape {W_h.shape}, expected (4H, H) with "
                         "the four gates i, f, g, o stacked")
    sh.array("params['W_x']", params["W_x"], "G D")
    sh.array("params['b']", params["b"], "G")
    names = ("h_init", "s_init") if seq else ("h_prev", "s_prev")
    return sh.optional(names[0], h_prev, "B H"), sh.optional(names[1], s_prev, "B H")


def cell_forward(x, h_prev, s_prev, params):
    """One step (eq. ``eq-lstm``).

    ``x`` is ``(B, D)``; ``h_prev``, ``s_prev`` are ``(B, H)``. Returns
    ``(h, s, cache)``.
    """
    h_prev, s_prev = _check(x, h_prev, s_prev, params, seq=False)
    H = h_prev.shape[1]
    gates = _activate(x @ params["W_x"].T + h_prev @ params["W_h"].T + params["b"], H)
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    s = f * s_prev + i * g
    tanh_s = np.tanh(s)
    h = o * tanh_s
    cache = {"module": "lstm.cell", "x": x, "h_prev": h_prev, "s_prev": s_prev,
             "gates": gates, "tanh_s": tanh_s, "params": params}
    return h, s, cache


def cell_backward(dh, ds, cache):
    """Backward pass of one step.

    ``dh``, ``ds`` are ``(B, H)``: the gradients reaching ``h[t]`` and ``s[t]``. Returns
    ``{'W_x', 'W_h', 'b', 'x', 'h_prev', 's_prev'}``.
    """
    check_cache(cache, "lstm.cell")
    gates, tanh_s, p = cache["gates"], cache["tanh_s"], cache["params"]
    B, H = tanh_s.shape
    sh = Shapes(B=B, H=H)
    sh.array("dh", dh, "B H")
    sh.array("ds", ds, "B H")
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    ds = ds + dh * o * (1.0 - tanh_s * tanh_s)
    da = np.concatenate([ds * g * i * (1 - i),
                         ds * cache["s_prev"] * f * (1 - f),
                         ds * i * (1 - g * g),
                         dh * tanh_s * o * (1 - o)], axis=1)
    return {"W_x": da.T @ cache["x"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0),
            "x": da @ p["W_x"], "h_prev": da @ p["W_h"], "s_prev": ds * f}


def forward(x, params, h_init=None, s_init=None):
    """Run the LSTM over a sequence (eqs. ``eq-lstm``, ``eq-lstm-cell``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with ``W_x`` (4H, D), ``W_h`` (4H, H), ``b`` (4H,)
    h_init, s_init : (B, H) arrays, optional (zeros if omitted)

    Returns
    -------
    h : (T, B, H) array
    cache : dict for :func:`backward`: the input, the activated gates ``(T, B, 4H)`` and
        the states; ``cache['s']`` is ``(T+1, B, H)`` with ``cache['s'][t + 1] = s[t]``.
    """
    h0, s0 = _check(x, h_init, s_init, params, seq=True)
    T, B, _ = x.shape
    H = h0.shape[1]
    W_hT = params["W_h"].T
    # The input half of every pre-activation, for all steps in one matmul.
    gates = matvec(params["W_x"], x)                # (T, B, 4H), activated in place below
    gates += params["b"]
    h = np.empty((T + 1, B, H))
    s = np.empty((T + 1, B, H))
    h[0], s[0] = h0, s0
    a_h = np.empty((B, 4 * H))                      # scratch for W_h h[t-1]
    for t in range(T):
        a = gates[t]
        a += np.matmul(h[t], W_hT, out=a_h)
        _activate(a, H)
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, s[t], out=s[t + 1])
        s[t + 1] += i * g
        np.tanh(s[t + 1], out=h[t + 1])
        h[t + 1] *= o
    # The cache is what backward needs and cannot cheaply recompute: the gates and the
    # states (tanh(s[t]) is recomputed there, one step at a time).
    cache = {"module": "lstm", "x": x, "h": h, "s": s, "gates": gates, "params": params}
    return h[1:].copy(), cache      # a copy: editing it must not change backward


def backward(dh, cache, dh_last=None, ds_last=None):
    """Backpropagation through time for :func:`forward`.

    Parameters
    ----------
    dh : (T, B, H) array
        The gradient with respect to every output ``h[t]``.
    cache : dict from :func:`forward`
    dh_last, ds_last : (B, H) arrays, optional
        Gradients that reach the final state ``h[T-1]``, ``s[T-1]`` from outside the
        sequence, e.g. from a decoder that starts where this LSTM stopped (an encoder).
        ``dh_last`` is simply added to ``dh[T-1]``; ``ds_last`` is the only way to pass
        a gradient to the final cell state, which is not an output.

    Returns
    -------
    grads : dict ``{'W_x', 'W_h', 'b', 'x' (T, B, D), 'h_init' (B, H), 's_init' (B, H)}``

    The loop carries only ``dh[t-1]`` and ``ds[t-1]``; the weight gradients are pooled
    over all steps afterwards, one matmul each.
    """
    check_cache(cache, "lstm")
    x, h, s, gates, p = (cache[k] for k in ("x", "h", "s", "gates", "params"))
    T, B, D = x.shape
    H = h.shape[2]
    sh = Shapes(T=T, B=B, H=H)
    sh.array("dh", dh, "T B H")
    W_h = p["W_h"]
    da = np.empty_like(gates)                       # dDIV/da[t], stacked like the gates
    # dDIV/dh[t], dDIV/ds[t] through step t+1; at t = T-1, what arrives from outside.
    dh_next = sh.optional("dh_last", dh_last, "B H").copy()
    ds_next = sh.optional("ds_last", ds_last, "B H").copy()
    for t in range(T - 1, -1, -1):
        i, f, g, o = (gates[t, :, k * H:(k + 1) * H] for k in range(4))
        tanh_s = np.tanh(s[t + 1])
        dh_t = dh[t] + dh_next
        ds_t = ds_next + dh_t * o * (1.0 - tanh_s * tanh_s)
        da[t, :, :H] = ds_t * g * i * (1.0 - i)
        da[t, :, H:2 * H] = ds_t * s[t] * f * (1.0 - f)
        da[t, :, 2 * H:3 * H] = ds_t * i * (1.0 - g * g)
        da[t, :, 3 * H:] = dh_t * tanh_s * o * (1.0 - o)
        ds_next = ds_t * f                          # ds[t]/ds[t-1] = f
        np.matmul(da[t], W_h, out=dh_next)
    da2 = da.reshape(T * B, 4 * H)
    return {"W_x": da2.T @ x.reshape(T * B, D),
            "W_h": da2.T @ h[:-1].reshape(T * B, H),
            "b": da2.sum(axis=0),
            "x": rmatvec(p["W_x"], da),
            "h_init": dh_next,
            "s_init": ds_next}
