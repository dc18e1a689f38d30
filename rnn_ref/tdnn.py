r"""Time-delay layer: a 1-D convolution over time with a finite response (chapter 2).

The stock predictor looks at today and the ``N`` days before it (book eq. ``eq-tdnn``)::

    y[t] = f( sum_{k=0}^{N} W[k] x[t-k] + b ),      x[t] = 0 for t < 0

``N`` is the *width*: an input at time ``t`` reaches ``y[t], ..., y[t+N]`` and nothing
after, which is what "finite impulse response" means.

=====  =============  ===========================================
key    shape          meaning
=====  =============  ===========================================
``W``  (N+1, H, D)    ``W[k]`` multiplies the input ``k`` steps ago
``b``  (H,)           bias
=====  =============  ===========================================

Shapes: ``x`` is ``(T, B, D)``, ``y`` is ``(T, B, H)``.
"""

import numpy as np

from . import activations
from ._batched import matvec, rmatvec
from ._checks import Shapes, check_cache, check_choice, check_keys, check_positive_int

__all__ = ["init_params", "forward", "backward"]


def init_params(D, H, N, rng=None):
    """Random parameters for a layer of width ``N`` (``N + 1`` taps), zero bias."""
    check_positive_int("D", D)
    check_positive_int("H", H)
    check_positive_int("N", N, minimum=0)
    rng = np.random.default_rng(rng)
    k = 1.0 / np.sqrt((N + 1) * D)
    return {"W": rng.uniform(-k, k, size=(N + 1, H, D)), "b": np.zeros(H)}


def _delayed(x, k):
    """``x`` shifted ``k`` steps later in time, zeros before ``t = k``: row t is x[t-k]."""
    out = np.zeros_like(x)
    if k < len(x):
        out[k:] = x[:len(x) - k]
    return out


def forward(x, params, activation="tanh"):
    """Forward pass (eq. ``eq-tdnn``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with ``W`` (N+1, H, D) and ``b`` (H,)
    activation : {'tanh', 'sigmoid', 'relu', 'identity'}

    Returns
    -------
    y : (T, B, H) array
    cache : dict for :func:`backward`
    """
    check_choice("activation", activation, activations.NAMES)
    check_keys(params, ["W", "b"])
    s = Shapes()
    s.array("x", x, "T B D")
    W = s.array("params['W']", params["W"], "taps H D")
    s.array("params['b']", params["b"], "H")
    z = np.broadcast_to(params["b"], x.shape[:2] + (W.shape[1],)).copy()
    for k in range(len(W)):
        z += matvec(W[k], _delayed(x, k))
    y = activations.apply(activation, z)
    # The caller gets its own copy: editing it (y -= d) must not change what backward sees.
    return y.copy(), {"module": "tdnn", "x": x, "y": y, "params": params,
                      "activation": activation}


def backward(dy, cache):
    """Backward pass of :func:`forward`.

    ``dy`` is ``(T, B, H)``. Returns ``{'W', 'b', 'x'}``; the weight gradient of each tap
    is pooled over all steps: ``dW[k] = sum_t dz[t]^T x[t-k]``.
    """
    check_cache(cache, "tdnn")
    x, y, W = cache["x"], cache["y"], cache["params"]["W"]
    T, B, D = x.shape
    Shapes(T=T, B=B, H=W.shape[1]).array("dy", dy, "T B H")
    dz = dy * activations.derivative(cache["activation"], y)
    dz2 = dz.reshape(T * B, -1)
    dW = np.stack([dz2.T @ _delayed(x, k).reshape(T * B, D) for k in range(len(W))])
    dx = np.zeros_like(x)
    for k in range(min(len(W), T)):
        # x[t] fed y[t+k] through tap k (taps reaching past the sequence feed nothing).
        dx[:T - k] += rmatvec(W[k], dz[k:])
    return {"W": dW, "b": dz2.sum(axis=0), "x": dx}
