r"""Elman network: context units that hold the previous hidden state (chapter 5).

Book eqs. ``eq-elman`` and ``eq-elman-output``::

    h[t] = f( W_c x[t] + W_r h[t-1] + b ),      h[-1] = h_init
    y[t] = g( W_o h[t] + b_o )

The context unit copies ``h[t-1]``; ``W_r`` (the lecture's ``W_m``) is learned.

Two gradients (``mode`` of :func:`backward`, eq. ``eq-elman-approx``):

* ``'blocked'``, *Elman's approximation*: ``h[t-1]`` is treated as a constant input, so
  training sees ``T`` independent one-step networks and the gradient of the error at
  step ``t`` stops at the context unit (no ``W_r^T dz[t]`` term reaches step ``t-1``);
* ``'exact'``: backpropagation through time, where ``dDIV/dh[t-1]`` also collects
  ``W_r^T dz[t]``.

=======  ========  ============================
key      shape     meaning
=======  ========  ============================
``W_c``  (H, D)    input -> hidden
``W_r``  (H, H)    context (h[t-1]) -> hidden
``b``    (H,)      hidden bias
``W_o``  (O, H)    hidden -> output
``b_o``  (O,)      output bias
=======  ========  ============================

Shapes: ``x`` is ``(T, B, D)``; ``y`` is ``(T, B, O)``; ``h_init`` is ``(B, H)``.
"""

import numpy as np

from . import activations
from ._batched import matvec, rmatvec
from ._checks import Shapes, check_cache, check_choice, check_keys, check_positive_int

__all__ = ["init_params", "forward", "backward"]

KEYS = ["W_c", "W_r", "b", "W_o", "b_o"]


def init_params(D, H, O, rng=None):
    """Random parameters, PyTorch's default scale, zero biases."""
    for name, v in (("D", D), ("H", H), ("O", O)):
        check_positive_int(name, v)
    rng = np.random.default_rng(rng)
    k = 1.0 / np.sqrt(H)
    return {"W_c": rng.uniform(-k, k, size=(H, D)), "W_r": rng.uniform(-k, k, size=(H, H)),
            "b": np.zeros(H), "W_o": rng.uniform(-k, k, size=(O, H)), "b_o": np.zeros(O)}


def forward(x, params, h_init=None, activation="tanh", out_activation="identity"):
    """Forward pass (eqs. ``eq-elman``, ``eq-elman-output``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with ``W_c``, ``W_r``, ``b``, ``W_o``, ``b_o``
    h_init : (B, H) array, optional
        The context at ``t = 0``; zeros if omitted.
    activation, out_activation : names from :mod:`rnn_ref.activations`.

    Returns
    -------
    y : (T, B, O) array
    cache : dict for :func:`backward`; ``cache['h']`` is ``(T+1, B, H)`` with
        ``cache['h'][t + 1] = h[t]`` and ``cache['h'][0] = h_init``.
    """
    check_choice("activation", activation, activations.NAMES)
    check_choice("out_activation", out_activation, activations.NAMES)
    check_keys(params, KEYS)
    sh = Shapes()
    sh.array("x", x, "T B D")
    W_c = sh.array("params['W_c']", params["W_c"], "H D")
    W_r = sh.array("params['W_r']", params["W_r"], "H H")
    sh.array("params['b']", params["b"], "H")
    W_o = sh.array("params['W_o']", params["W_o"], "O H")
    sh.array("params['b_o']", params["b_o"], "O")
    h0 = sh.optional("h_init", h_init, "B H")
    T, B, _ = x.shape
    a = matvec(W_c, x) + params["b"]
    h = np.empty((T + 1, B, W_r.shape[0]))
    h[0] = h0
    for t in range(T):
        activations.apply(activation, a[t] + h[t] @ W_r.T, out=h[t + 1])
    y = activations.apply(out_activation, matvec(W_o, h[1:]) + params["b_o"])
    cache = {"module": "elman", "x": x, "h": h, "y": y, "params": params,
             "activation": activation, "out_activation": out_activation}
    return y.copy(), cache          # a copy: editing it must not change backward


def backward(dy, cache, mode="exact", dh_last=None):
    """Backward pass of :func:`forward`.

    Parameters
    ----------
    dy : (T, B, O) array
    cache : dict from :func:`forward`
    mode : {'exact', 'blocked'}
        ``'blocked'`` is Elman's approximation.
    dh_last : (B, H) array, optional
        A gradient on the final hidden state ``h[T-1]`` from outside the sequence (the
        state handed on to something else). It is a direct term, kept in both modes.

    Returns
    -------
    grads : dict with ``W_c``, ``W_r``, ``b``, ``W_o``, ``b_o``, ``x`` (T, B, D) and
    ``h_init`` (B, H). In blocked mode ``h_init`` gets the direct term from step 0 only.
    """
    check_cache(cache, "elman")
    check_choice("mode", mode, ("exact", "blocked"))
    x, h, y, p = cache["x"], cache["h"], cache["y"], cache["params"]
    T, B, D = x.shape
    O = y.shape[2]
    sh = Shapes(T=T, B=B, O=O, H=h.shape[2])
    sh.array("dy", dy, "T B O")
    dzo = dy * activations.derivative(cache["out_activation"], y)
    dh_out = rmatvec(p["W_o"], dzo)              # what each h[t] gets from its own output
    fprime = activations.derivative(cache["activation"], h[1:])
    dz = np.empty_like(fprime)
    dh_next = sh.optional("dh_last", dh_last, "B H").copy()   # dDIV/dh[t] through step t+1
    no_memory_gradient = np.zeros_like(dh_next)
    for t in range(T - 1, -1, -1):
        dz[t] = (dh_out[t] + dh_next) * fprime[t]
        if mode == "exact" or t == 0:
            dh_next = dz[t] @ p["W_r"]
        else:
            dh_next = no_memory_gradient          # Elman's approximation cuts it here
    dz2, dzo2 = dz.reshape(T * B, -1), dzo.reshape(T * B, O)
    return {"W_c": dz2.T @ x.reshape(T * B, D),
            "W_r": dz2.T @ h[:-1].reshape(T * B, -1),
            "b": dz2.sum(axis=0),
            "W_o": dzo2.T @ h[1:].reshape(T * B, -1),
            "b_o": dzo2.sum(axis=0),
            "x": rmatvec(p["W_c"], dz),
            "h_init": dh_next}
