r"""Numerical gradients by central differences (used by the tests, the book and the exercises).

For a scalar function ``f`` and an array ``a``::

    df/da[i] ~ (f(a + eps e_i) - f(a - eps e_i)) / (2 eps)

The truncation error is ``O(eps^2)`` and the rounding error ``O(u / eps)`` (``u`` is the
float64 unit round-off, about 1e-16), so ``eps = 1e-6`` leaves roughly 1e-10 relative
error: small enough to tell a right gradient (< 1e-7) from a wrong one (usually > 1e-3).

To check a layer's whole ``backward`` at once, project its output on a fixed random
direction ``dout``: the scalar ``sum(out * dout)`` has gradient exactly what
``backward(dout, cache)`` returns.
"""

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "check_layer"]


def numerical_gradient(f, a, eps=1e-6):
    """Central-difference gradient of the scalar ``f()`` with respect to array ``a``.

    ``f`` takes no arguments and reads ``a``, which is perturbed in place one entry at a
    time and restored afterwards. Returns an array shaped like ``a``.
    """
    if not isinstance(a, np.ndarray) or a.dtype != np.float64:
        raise ValueError("a must be a float64 numpy array (the one f reads)")
    grad = np.zeros_like(a)
    flat, gflat = a.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, a):
        raise ValueError("a must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2.0 * eps)
    return grad


def rel_error(a, b):
    """Relative error ``||a - b|| / max(||a|| + ||b||, tiny)`` (Euclidean norms).

    0 when both are zero. Comparing norms rather than entries keeps tiny entries,
    whose finite differences are mostly noise, from dominating the verdict.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / den) if den > 0 else 0.0


def check_layer(forward, backward, arrays, dout=None, eps=1e-6, rng=0):
    """Compare ``backward`` with central differences for every array in ``arrays``.

    Parameters
    ----------
    forward : callable ``() -> (out, cache)``
        Reads the arrays in ``arrays`` (perturbed in place by this function).
    backward : callable ``(dout, cache) -> dict``
        Returns gradients under the same names as ``arrays``.
    arrays : dict name -> float64 array
    dout : array shaped like ``out``, optional (random normal if omitted)

    Returns
    -------
    dict name -> relative error between analytic and numerical gradient.
    """
    out, cache = forward()
    if dout is None:
        dout = np.random.default_rng(rng).standard_normal(out.shape)
    grads = backward(dout, cache)

    def scalar():
        return float(np.sum(forward()[0] * dout))

    errors = {}
    for name, a in arrays.items():
        if name not in grads:
            raise ValueError(f"backward returned no gradient named {name!r}; it returned "
                             + ", ".join(repr(k) for k in grads))
        errors[name] = rel_error(grads[name], numerical_gradient(scalar, a, eps))
    return errors
