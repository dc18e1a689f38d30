r"""NARX network: recursion through the output (chapter 3).

A nonlinear autoregressive network with exogenous inputs computes the output from the
current and ``L`` past inputs and the ``K`` past outputs (book eqs. ``eq-narx`` and
``eq-narx-output``)::

    h[t] = f( sum_{l=0}^{L} W_x[l] x[t-l] + sum_{k=1}^{K} W_y[k-1] y[t-k] + b )
    y[t] = g( W_o h[t] + b_o )

with ``x[t] = 0`` for ``t < 0`` and ``y[-k] = y_init[k-1]``. The memory lives in the
output itself: one input at ``t = 0`` keeps influencing every later output.

Two ways to run it (eq. ``eq-narx-open``):

* ``mode='closed'``: the network's own outputs are fed back, and the gradient flows
  through the feedback (it is a recurrent network);
* ``mode='open'`` (teacher forcing): the *desired* outputs ``y_teacher[t-k]`` are fed
  back instead. They are data, so no gradient flows through them and the steps can be
  trained independently.

=======  ============  ==============================================
key      shape         meaning
=======  ============  ==============================================
``W_x``  (L+1, H, D)   ``W_x[l]`` multiplies the input ``l`` steps ago
``W_y``  (K, H, O)     ``W_y[k-1]`` multiplies the output ``k`` steps ago
``b``    (H,)          hidden bias
``W_o``  (O, H)        output weights
``b_o``  (O,)          output bias
=======  ============  ==============================================

Shapes: ``x`` is ``(T, B, D)``; ``y``, ``y_teacher`` are ``(T, B, O)``; ``y_init`` is
``(K, B, O)`` with ``y_init[k-1] = y[-k]``.
"""

import numpy as np

from . import activations
from ._batched import matvec, rmatvec
from ._checks import Shapes, check_cache, check_choice, check_keys, check_positive_int

__all__ = ["init_params", "forward", "backward"]

KEYS = ["W_x", "W_y", "b", "W_o", "b_o"]


def init_params(D, H, O, L=0, K=1, rng=None):
    """Random parameters with ``L + 1`` input taps and ``K`` output taps."""
    for name, v, lo in (("D", D, 1), ("H", H, 1), ("O", O, 1), ("L", L, 0), ("K", K, 1)):
        check_positive_int(name, v, minimum=lo)
    rng = np.random.default_rng(rng)
    kx, kh = 1.0 / np.sqrt((L + 1) * D + K * O), 1.0 / np.sqrt(H)
    return {"W_x": rng.uniform(-kx, kx, size=(L + 1, H, D)),
            "W_y": rng.uniform(-kx, kx, size=(K, H, O)),
            "b": np.zeros(H),
            "W_o": rng.uniform(-kh, kh, size=(O, H)),
            "b_o": np.zeros(O)}


def _delayed(x, k):
    out = np.zeros_like(x)
    if k < len(x):
        out[k:] = x[:len(x) - k]
    return out


def forward(x, params, y_init=None, mode="closed", y_teacher=None,
            activation="tanh", out_activation="identity"):
    """Forward pass (eqs. ``eq-narx``, ``eq-narx-output``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with the keys in the module docstring
    y_init : (K, B, O) array, optional
        Outputs before ``t = 0``; zeros if omitted.
    mode : {'closed', 'open'}
    y_teacher : (T, B, O) array
        Required for ``mode='open'``: the values fed back in place of ``y``.
    activation, out_activation : names from :mod:`rnn_ref.activations` for ``f``, ``g``.

    Returns
    -------
    y : (T, B, O) array
    cache : dict for :func:`backward`
    """
    check_choice("mode", mode, ("closed", "open"))
    check_choice("activation", activation, activations.NAMES)
    check_choice("out_activation", out_activation, activations.NAMES)
    check_keys(params, KEYS)
    s = Shapes()
    s.array("x", x, "T B D")
    W_x = s.array("params['W_x']", params["W_x"], "taps H D")
    W_y = s.array("params['W_y']", params["W_y"], "K H O")
    s.array("params['b']", params["b"], "H")
    W_o = s.array("params['W_o']", params["W_o"], "O H")
    s.array("params['b_o']", params["b_o"], "O")
    y_init = s.optional("y_init", y_init, "K B O")
    if mode == "open":
        if y_teacher is None:
            raise ValueError("mode='open' needs y_teacher, the (T, B, O) outputs to feed back")
        s.array("y_teacher", y_teacher, "T B O")
    elif y_teacher is not None:
        raise ValueError("y_teacher is only used with mode='open'; "
                         "in mode='closed' the network feeds back its own outputs")
    T, B, _ = x.shape
    K = len(W_y)
    # Input terms do not depend on the feedback: all steps at once.
    a = params["b"] + sum(matvec(W_x[l], _delayed(x, l)) for l in range(len(W_x)))
    # fb[K + t] is the value fed back as "y[t]"; fb[K - k] = y[-k].
    fb = np.empty((K + T, B, W_o.shape[0]))
    fb[:K] = y_init[::-1]
    if mode == "open":
        fb[K:] = y_teacher
    h = np.empty((T, B, W_o.shape[1]))
    y = np.empty((T, B, W_o.shape[0]))
    for t in range(T):
        z = a[t] + sum(fb[K + t - k] @ W_y[k - 1].T for k in range(1, K + 1))
        activations.apply(activation, z, out=h[t])
        activations.apply(out_activation, h[t] @ W_o.T + params["b_o"], out=y[t])
        if mode == "closed":
            fb[K + t] = y[t]
    cache = {"module": "narx", "x": x, "h": h, "y": y, "fb": fb, "params": params,
             "mode": mode, "activation": activation, "out_activation": out_activation}
    return y.copy(), cache          # a copy: editing it must not change backward


def backward(dy, cache):
    """Backward pass of :func:`forward`.

    ``dy`` is ``(T, B, O)``, the gradient of the divergence with respect to each output.
    In closed loop, ``y[t]`` also reaches the loss through ``h[t+1], ..., h[t+K]``; that
    gradient is added to ``dy[t]`` before it goes further back. In open loop it is not.

    Returns ``{'W_x', 'W_y', 'b', 'W_o', 'b_o', 'x', 'y_init'}``.
    """
    check_cache(cache, "narx")
    x, h, y, fb, p = cache["x"], cache["h"], cache["y"], cache["fb"], cache["params"]
    T, B, D = x.shape
    W_x, W_y, W_o = p["W_x"], p["W_y"], p["W_o"]
    K, O = len(W_y), W_o.shape[0]
    Shapes(T=T, B=B, O=O).array("dy", dy, "T B O")
    closed = cache["mode"] == "closed"
    gprime = activations.derivative(cache["out_activation"], y)
    fprime = activations.derivative(cache["activation"], h)
    dfb = np.zeros_like(fb)             # gradient into every fed-back value
    dfb[K:] = dy
    dzo = np.empty_like(y)
    dz = np.empty_like(h)
    for t in range(T - 1, -1, -1):
        # By now dfb[K + t] holds every path from y[t] to the loss.
        dzo[t] = dfb[K + t] * gprime[t]
        dz[t] = (dzo[t] @ W_o) * fprime[t]
        for k in range(1, K + 1):
            if closed or t - k < 0:         # teacher values are data: no gradient
                dfb[K + t - k] += dz[t] @ W_y[k - 1]
    dz2, dzo2 = dz.reshape(T * B, -1), dzo.reshape(T * B, O)
    grads = {
        "W_x": np.stack([dz2.T @ _delayed(x, l).reshape(T * B, D) for l in range(len(W_x))]),
        "W_y": np.stack([dz2.T @ fb[K - k:K - k + T].reshape(T * B, O)
                         for k in range(1, K + 1)]),
        "b": dz2.sum(axis=0),
        "W_o": dzo2.T @ h.reshape(T * B, -1),
        "b_o": dzo2.sum(axis=0),
    }
    dx = np.zeros_like(x)
    for l in range(min(len(W_x), T)):
        dx[:T - l] += rmatvec(W_x[l], dz[l:])
    grads["x"] = dx
    grads["y_init"] = dfb[:K][::-1].copy()
    return grads
