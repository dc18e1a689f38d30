r"""Jordan network: a memory unit that keeps a running average of past outputs (chapter 4).

Book eqs. ``eq-jordan-memory``, ``eq-jordan-hidden``, ``eq-jordan-output``::

    s[0] = s_init,    s[t] = mu * s[t-1] + y[t-1]   (t >= 1)
    h[t] = f( W_c x[t] + W_m s[t] + b )
    y[t] = g( W_o h[t] + b_o )

The memory has a fixed rule: ``mu`` is chosen, not learned. Only ``W_m``, how the
network *uses* its memory, is learned.

Two gradients (``mode`` of :func:`backward`, eq. ``eq-jordan-blocked``):

* ``'blocked'``: as Jordan trained it. ``s[t]`` is treated as one more input, so the
  error at step ``t`` changes the weights through step ``t`` only and never reaches the
  outputs (hence the steps) before it.
* ``'exact'``: the true gradient. ``y[t-1]`` feeds ``s[t]``, ``s[t+1]``, ... so the error
  at every later step flows back into it.

=======  ========  ==========================
key      shape     meaning
=======  ========  ==========================
``W_c``  (H, D)    input -> hidden
``W_m``  (H, O)    memory -> hidden
``b``    (H,)      hidden bias
``W_o``  (O, H)    hidden -> output
``b_o``  (O,)      output bias
=======  ========  ==========================

Shapes: ``x`` is ``(T, B, D)``; ``y`` is ``(T, B, O)``; ``s_init`` is ``(B, O)``.
"""

import numpy as np

from . import activations
from ._batched import matvec, rmatvec
from ._checks import (Shapes, check_cache, check_choice, check_keys, check_number,
                      check_positive_int)

__all__ = ["init_params", "forward", "backward"]

KEYS = ["W_c", "W_m", "b", "W_o", "b_o"]


def init_params(D, H, O, rng=None):
    """Random parameters, PyTorch's default scale, zero biases."""
    for name, v in (("D", D), ("H", H), ("O", O)):
        check_positive_int(name, v)
    rng = np.random.default_rng(rng)
    ki, kh = 1.0 / np.sqrt(D + O), 1.0 / np.sqrt(H)
    return {"W_c": rng.uniform(-ki, ki, size=(H, D)), "W_m": rng.uniform(-ki, ki, size=(H, O)),
            "b": np.zeros(H), "W_o": rng.uniform(-kh, kh, size=(O, H)), "b_o": np.zeros(O)}


def forward(x, params, mu=0.5, s_init=None, activation="tanh", out_activation="sigmoid"):
    """Forward pass (eqs. ``eq-jordan-memory`` to ``eq-jordan-output``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with ``W_c``, ``W_m``, ``b``, ``W_o``, ``b_o``
    mu : float
        Memory decay; ``s[t]`` is a discounted sum of all past outputs.
    s_init : (B, O) array, optional
        Memory at ``t = 0``; zeros if omitted.
    activation, out_activation : names from :mod:`rnn_ref.activations`.
        Jordan used sigmoid units, hence the default for the output.

    Returns
    -------
    y : (T, B, O) array
    cache : dict for :func:`backward`; ``cache['s']`` holds the memory ``(T, B, O)``.
    """
    check_choice("activation", activation, activations.NAMES)
    check_choice("out_activation", out_activation, activations.NAMES)
    mu = check_number("mu", mu)
    check_keys(params, KEYS)
    sh = Shapes()
    sh.array("x", x, "T B D")
    W_c = sh.array("params['W_c']", params["W_c"], "H D")
    W_m = sh.array("params['W_m']", params["W_m"], "H O")
    sh.array("params['b']", params["b"], "H")
    W_o = sh.array("params['W_o']", params["W_o"], "O H")
    sh.array("params['b_o']", params["b_o"], "O")
    s0 = sh.optional("s_init", s_init, "B O")
    T, B, _ = x.shape
    a = matvec(W_c, x) + params["b"]
    s = np.empty((T, B, W_o.shape[0]))
    h = np.empty((T, B, W_o.shape[1]))
    y = np.empty_like(s)
    for t in range(T):
        s[t] = s0 if t == 0 else mu * s[t - 1] + y[t - 1]
        activations.apply(activation, a[t] + s[t] @ W_m.T, out=h[t])
        activations.apply(out_activation, h[t] @ W_o.T + params["b_o"], out=y[t])
    cache = {"module": "jordan", "x": x, "s": s, "h": h, "y": y, "mu": mu,
             "params": params, "activation": activation, "out_activation": out_activation}
    return y.copy(), cache          # a copy: editing it must not change backward


def backward(dy, cache, mode="exact"):
    """Backward pass of :func:`forward`.

    Parameters
    ----------
    dy : (T, B, O) array
    cache : dict from :func:`forward`
    mode : {'exact', 'blocked'}
        ``'blocked'`` stops the gradient at the memory unit (Jordan's training).

    Returns
    -------
    grads : dict with ``W_c``, ``W_m``, ``b``, ``W_o``, ``b_o``, ``x`` (T, B, D) and
    ``s_init`` (B, O). In blocked mode ``s_init`` gets only the direct term from step 0.
    """
    check_cache(cache, "jordan")
    check_choice("mode", mode, ("exact", "blocked"))
    x, s, h, y, p, mu = (cache[k] for k in ("x", "s", "h", "y", "params", "mu"))
    T, B, D = x.shape
    O = y.shape[2]
    Shapes(T=T, B=B, O=O).array("dy", dy, "T B O")
    gprime = activations.derivative(cache["out_activation"], y)
    fprime = activations.derivative(cache["activation"], h)
    dzo = np.empty_like(y)
    dz = np.empty_like(h)
    ds_next = np.zeros((B, O))          # dDIV/ds[t+1], only used in exact mode
    for t in range(T - 1, -1, -1):
        # s[t+1] = mu s[t] + y[t]: in exact mode y[t] also reaches the loss via s[t+1].
        dzo[t] = (dy[t] + ds_next) * gprime[t]
        dz[t] = (dzo[t] @ p["W_o"]) * fprime[t]
        if mode == "exact":
            ds_next = dz[t] @ p["W_m"] + mu * ds_next
    dz2, dzo2 = dz.reshape(T * B, -1), dzo.reshape(T * B, O)
    return {"W_c": dz2.T @ x.reshape(T * B, D),
            "W_m": dz2.T @ s.reshape(T * B, O),
            "b": dz2.sum(axis=0),
            "W_o": dzo2.T @ h.reshape(T * B, -1),
            "b_o": dzo2.sum(axis=0),
            "x": rmatvec(p["W_c"], dz),
            "s_init": ds_next if mode == "exact" else dz[0] @ p["W_m"]}
