r"""Gated recurrent unit (chapter 10). Gate order r, z, n, as in ``torch.nn.GRU``.

Book eq. ``eq-gru``; ``sigma`` is the logistic function::

    r = sigma(W_xr x[t] + b_xr + W_hr h[t-1] + b_hr)          reset gate
    z = sigma(W_xz x[t] + b_xz + W_hz h[t-1] + b_hz)          update gate
    n = tanh(W_xn x[t] + b_xn + r * (W_hn h[t-1] + b_hn))     candidate state
    h[t] = (1 - z) * n + z * h[t-1]

This is PyTorch's variant (the reset gate multiplies ``W_hn h + b_hn``, not ``h`` before
the matmul as in Cho et al. 2014), so weights can be exchanged with ``torch.nn.GRU``.
Because ``b_hn`` sits inside the reset gate, the two biases are not interchangeable
and both are kept.

=======  ==========  ==================================================
key      shape       meaning
=======  ==========  ==================================================
``W_x``  (3H, D)     ``[W_xr; W_xz; W_xn]`` (= PyTorch ``weight_ih_l0``)
``W_h``  (3H, H)     ``[W_hr; W_hz; W_hn]`` (= PyTorch ``weight_hh_l0``)
``b_x``  (3H,)       input-side biases (= ``bias_ih_l0``)
``b_h``  (3H,)       hidden-side biases (= ``bias_hh_l0``)
=======  ==========  ==================================================

Shapes: ``x`` is ``(T, B, D)``; ``h`` is ``(T, B, H)``; ``h_init`` is ``(B, H)``.
"""

import numpy as np

from ._batched import matvec, rmatvec
from ._checks import Shapes, check_cache, check_keys, check_positive_int

__all__ = ["init_params", "cell_forward", "cell_backward", "forward", "backward"]

KEYS = ["W_x", "W_h", "b_x", "b_h"]


def init_params(D, H, rng=None, update_bias=0.0):
    """Random parameters (PyTorch's default scale).

    Biases start at zero except the update gate's input-side bias ``b_xz``, set to
    ``update_bias``: a positive value starts the cell close to copying ``h[t-1]``
    (``z`` near 1), the GRU's counterpart of an LSTM forget-gate bias.
    """
    check_positive_int("D", D)
    check_positive_int("H", H)
    rng = np.random.default_rng(rng)
    k = 1.0 / np.sqrt(H)
    b_x = np.zeros(3 * H)
    b_x[H:2 * H] = update_bias
    return {"W_x": rng.uniform(-k, k, size=(3 * H, D)),
            "W_h": rng.uniform(-k, k, size=(3 * H, H)),
            "b_x": b_x, "b_h": np.zeros(3 * H)}


def _check(x, h_prev, params, seq):
    check_keys(params, KEYS)
    sh = Shapes()
    sh.array("x", x, "T B D" if seq else "B D")
    W_h = sh.array("params['W_h']", params["W_h"], "G H")
    if W_h.shape[0] != 3 * W_h.shape[1]:
        raise ValueError(f"params['W_h'] has shape {W_h.shape}, expected (3H, H) with "
                         "the gates r, z, n stacked")
    sh.array("params['W_x']", params["W_x"], "G D")
    sh.array("params['b_x']", params["b_x"], "G")
    sh.array("params['b_h']", params["b_h"], "G")
    return sh.optional("h_init" if seq else "h_prev", h_prev, "B H")


def _sigmoid_(a):
    """Logistic function in place: sigma(a) = (1 + tanh(a / 2)) / 2."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1.0
    a *= 0.5
    return a


def _step(gates, ah, h_prev, h):
    """One step in place: ``gates`` (B, 3H) holds the input-side pre-activations on entry
    and ``r, z, n`` on return; ``ah`` is the hidden side (B, 3H); ``h`` (B, H) receives
    the new state."""
    H = h.shape[-1]
    rz, n = gates[:, :2 * H], gates[:, 2 * H:]
    rz += ah[:, :2 * H]
    _sigmoid_(rz)
    r, z = rz[:, :H], rz[:, H:]
    n += r * ah[:, 2 * H:]                         # the reset gate scales W_hn h + b_hn
    np.tanh(n, out=n)
    np.subtract(h_prev, n, out=h)                  # h = (1 - z) n + z h_prev
    h *= z
    h += n


def _step_backward(dh, gates, ah_n, h_prev, dax, dah):
    """Gradients of the pre-activations, written into ``dax`` (input side) and ``dah``
    (hidden side), both (B, 3H). ``dh`` is the gradient reaching ``h[t]``."""
    H = dh.shape[-1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    dar, daz, dan = dax[:, :H], dax[:, H:2 * H], dax[:, 2 * H:]
    np.multiply(dh, 1.0 - z, out=dan)              # h = n + z (h_prev - n)
    dan *= 1.0 - n * n                             # n = tanh(a_n)
    np.multiply(dan, ah_n, out=dar)                # a_n = ... + r * ah_n
    dar *= r * (1.0 - r)                           # r = sigma(a_r)
    np.subtract(h_prev, n, out=daz)
    daz *= dh
    daz *= z * (1.0 - z)                           # z = sigma(a_z)
    dah[:, :2 * H] = dax[:, :2 * H]
    np.multiply(dan, r, out=dah[:, 2 * H:])        # hidden side of n passes through r


def cell_forward(x, h_prev, params):
    """One step (eq. ``eq-gru``). ``x`` is ``(B, D)``, ``h_prev`` ``(B, H)``; returns ``(h, cache)``."""
    h_prev = _check(x, h_prev, params, seq=False)
    H = h_prev.shape[1]
    ax = x @ params["W_x"].T + params["b_x"]
    ah = h_prev @ params["W_h"].T + params["b_h"]
    gates, h = ax, np.empty_like(h_prev)
    _step(gates, ah, h_prev, h)
    cache = {"module": "gru.cell", "x": x, "h_prev": h_prev, "gates": gates,
             "ah_n": ah[:, 2 * H:], "params": params}
    return h, cache


def cell_backward(dh, cache):
    """Backward pass of one step. ``dh`` is ``(B, H)``.

    Returns ``{'W_x', 'W_h', 'b_x', 'b_h', 'x', 'h_prev'}``.
    """
    check_cache(cache, "gru.cell")
    p, h_prev = cache["params"], cache["h_prev"]
    B, H = h_prev.shape
    Shapes(B=B, H=H).array("dh", dh, "B H")
    dax, dah = np.empty((B, 3 * H)), np.empty((B, 3 * H))
    _step_backward(dh, cache["gates"], cache["ah_n"], h_prev, dax, dah)
    z = cache["gates"][:, H:2 * H]
    return {"W_x": dax.T @ cache["x"], "W_h": dah.T @ h_prev,
            "b_x": dax.sum(axis=0), "b_h": dah.sum(axis=0),
            "x": dax @ p["W_x"], "h_prev": dh * z + dah @ p["W_h"]}


def forward(x, params, h_init=None):
    """Run the GRU over a sequence (eq. ``eq-gru``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with ``W_x`` (3H, D), ``W_h`` (3H, H), ``b_x``, ``b_h`` (3H,)
    h_init : (B, H) array, optional (zeros if omitted)

    Returns
    -------
    h : (T, B, H) array
    cache : dict for :func:`backward`
    """
    h0 = _check(x, h_init, params, seq=True)
    T, B, _ = x.shape
    H = h0.shape[1]
    W_hT, b_h = params["W_h"].T, params["b_h"]
    # The input side of every pre-activation, all steps at once; each step turns its
    # slice into the gates r, z, n in place.
    gates = matvec(params["W_x"], x)               # (T, B, 3H)
    gates += params["b_x"]
    h = np.empty((T + 1, B, H))
    h[0] = h0
    ah_n = np.empty((T, B, H))                     # W_hn h[t-1] + b_hn, for dr
    ah = np.empty((B, 3 * H))                      # scratch: hidden side of step t
    for t in range(T):
        np.matmul(h[t], W_hT, out=ah)
        ah += b_h
        _step(gates[t], ah, h[t], h[t + 1])
        ah_n[t] = ah[:, 2 * H:]
    cache = {"module": "gru", "x": x, "h": h, "gates": gates, "ah_n": ah_n, "params": params}
    return h[1:].copy(), cache      # a copy: editing it must not change backward


def backward(dh, cache, dh_last=None):
    """Backpropagation through time for :func:`forward`.

    ``dh`` is ``(T, B, H)``, the gradient with respect to every output ``h[t]``;
    ``dh_last`` (B, H), optional, is a gradient on the final state ``h[T-1]`` from
    outside the sequence (e.g. from a decoder started at this GRU's last state); it is
    added to ``dh[T-1]``. Returns ``{'W_x', 'W_h', 'b_x', 'b_h', 'x' (T, B, D),
    'h_init' (B, H)}``; weight gradients are pooled over time after the loop.
    """
    check_cache(cache, "gru")
    x, h, gates, ah_n, p = (cache[k] for k in ("x", "h", "gates", "ah_n", "params"))
    T, B, D = x.shape
    H = h.shape[2]
    sh = Shapes(T=T, B=B, H=H)
    sh.array("dh", dh, "T B H")
    W_h = p["W_h"]
    # Pre-activation gradients of every step, input side and hidden side (they differ
    # in the candidate block only). Keeping both whole makes each weight gradient one
    # contiguous matmul after the loop: faster than splitting, at 2 T*B*3H floats.
    dax = np.empty((T, B, 3 * H))
    dah = np.empty((T, B, 3 * H))
    # dDIV/dh[t] through step t+1; at t = T-1, what arrives from outside the sequence.
    dh_next = sh.optional("dh_last", dh_last, "B H").copy()
    for t in range(T - 1, -1, -1):
        dh_t = dh[t] + dh_next
        _step_backward(dh_t, gates[t], ah_n[t], h[t], dax[t], dah[t])
        dh_next = dh_t * gates[t, :, H:2 * H]      # the direct path: h[t] = ... + z h[t-1]
        dh_next += dah[t] @ W_h
    dax2, dah2 = dax.reshape(T * B, 3 * H), dah.reshape(T * B, 3 * H)
    return {"W_x": dax2.T @ x.reshape(T * B, D),
            "W_h": dah2.T @ h[:-1].reshape(T * B, H),
            "b_x": dax2.sum(axis=0),
            "b_h": dah2.sum(axis=0),
            "x": rmatvec(p["W_x"], dax),
            "h_init": dh_next}
