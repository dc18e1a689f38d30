"""Element-wise activations and their derivatives.

Every derivative is written in terms of the activation's *output* ``h = f(z)``, so the
backward pass needs only what the forward pass already stored:

==========  ====================  =======================
name        f(z)                  f'(z) written with h
==========  ====================  =======================
tanh        tanh(z)               1 - h**2
sigmoid     1 / (1 + exp(-z))     h * (1 - h)
relu        max(z, 0)             1 where h > 0, else 0
identity    z                     1
==========  ====================  =======================
"""

import numpy as np

from ._checks import check_choice

__all__ = ["NAMES", "apply", "derivative", "sigmoid"]

NAMES = ("tanh", "sigmoid", "relu", "identity")


def sigmoid(z):
    """Logistic function, computed as ``(1 + tanh(z/2)) / 2``.

    This form never overflows (``exp(-z)`` does for ``z < -709``) and costs one
    transcendental call.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def apply(name, z, out=None):
    """Return ``f(z)`` for the activation called ``name`` (written into ``out`` if given)."""
    check_choice("activation", name, NAMES)
    if name == "tanh":
        return np.tanh(z, out=out)
    if name == "sigmoid":
        out = np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1.0
        out *= 0.5
        return out
    if name == "relu":
        return np.maximum(z, 0.0, out=out)
    if out is None:
        return z.copy()
    out[...] = z
    return out


def derivative(name, h):
    """Return ``f'(z)`` given the output ``h = f(z)``."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "relu":
        return (h > 0).astype(h.dtype)
    check_choice("activation", name, NAMES)
    return np.ones_like(h)
