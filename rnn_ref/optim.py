r"""Parameter updates and gradient clipping (chapters 9 and 11).

Optimizers update a parameter dict *in place* from a gradient dict with (at least) the
same keys; extra gradient entries such as ``'x'`` are ignored.

* :class:`SGD`:       ``p -= lr * g``
* :class:`Momentum`:  ``v = beta * v + g;  p -= lr * v``
* :class:`Adagrad`:   ``G += g * g;  p -= lr * g / (sqrt(G) + eps)``
* :class:`Adam`:      running means of ``g`` and ``g * g`` with bias correction

Clipping (eq. ``eq-clip-norm``) returns new dicts and leaves its input untouched:

* :func:`clip_by_value`:        every entry into ``[-c, c]``;
* :func:`clip_by_global_norm`:  if ``||g|| > c`` over all arrays together, scale all by
  ``c / ||g||``, which keeps the direction of the update.
"""

import numpy as np

from ._checks import check_number

__all__ = ["SGD", "Momentum", "Adagrad", "Adam", "clip_by_value", "clip_by_global_norm",
           "global_norm"]


def _positive(name, value):
    return check_number(name, value, 0, include_low=False)


def _rate(name, value):
    """A decay rate in [0, 1)."""
    return check_number(name, value, 0, 1, include_high=False)


def _check_grads(params, grads):
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise ValueError("params and grads must both be dicts of arrays")
    missing = [k for k in params if k not in grads]
    if missing:
        raise ValueError("grads has no entry for " + ", ".join(repr(k) for k in missing)
                         + "; every key of params needs a gradient")
    for k, p in params.items():
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise ValueError(f"params[{k!r}] must be a float array updated in place, got "
                             + (f"dtype {p.dtype}" if isinstance(p, np.ndarray)
                                else type(p).__name__)
                             + f" (convert with params[{k!r}] = params[{k!r}].astype(np.float64))")
        g = grads[k]
        if not isinstance(g, np.ndarray) or g.shape != p.shape:
            raise ValueError(f"grads[{k!r}] has shape {getattr(g, 'shape', None)}, "
                             f"expected {p.shape} like params[{k!r}]")
        if not np.isfinite(g).all():
            raise ValueError(f"grads[{k!r}] contains NaN or inf; clip or lower the "
                             "learning rate")


class SGD:
    """Plain gradient descent with learning rate ``lr``."""

    def __init__(self, lr=0.1):
        self.lr = _positive("lr", lr)

    def step(self, params, grads):
        _check_grads(params, grads)
        for k, p in params.items():
            p -= self.lr * grads[k]


class Momentum:
    """Gradient descent with heavy-ball momentum ``beta``."""

    def __init__(self, lr=0.1, beta=0.9):
        self.lr = _positive("lr", lr)
        self.beta = _rate("beta", beta)
        self.velocity = {}

    def step(self, params, grads):
        _check_grads(params, grads)
        for k, p in params.items():
            v = self.velocity.setdefault(k, np.zeros_like(p))
            v *= self.beta
            v += grads[k]
            p -= self.lr * v


class Adagrad:
    """Per-coordinate learning rates ``lr / sqrt(sum of squared past gradients)``."""

    def __init__(self, lr=0.1, eps=1e-8):
        self.lr = _positive("lr", lr)
        self.eps = _positive("eps", eps)
        self.sum_sq = {}

    def step(self, params, grads):
        _check_grads(params, grads)
        for k, p in params.items():
            G = self.sum_sq.setdefault(k, np.zeros_like(p))
            G += grads[k] * grads[k]
            p -= self.lr * grads[k] / (np.sqrt(G) + self.eps)


class Adam:
    """Adam: per-coordinate steps from bias-corrected running moments of the gradient.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1^t)`` and
    ``v_hat = v / (1 - b2^t)``.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr = _positive("lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2) of numbers in [0, 1), "
                             f"got {betas!r}")
        self.b1, self.b2 = _rate("betas[0]", betas[0]), _rate("betas[1]", betas[1])
        self.eps = _positive("eps", eps)
        self.t = 0
        self.m, self.v = {}, {}

    def step(self, params, grads):
        _check_grads(params, grads)
        self.t += 1
        c1, c2 = 1.0 - self.b1 ** self.t, 1.0 - self.b2 ** self.t
        for k, p in params.items():
            g = grads[k]
            m = self.m.setdefault(k, np.zeros_like(p))
            v = self.v.setdefault(k, np.zeros_like(p))
            m *= self.b1
            m += (1.0 - self.b1) * g
            v *= self.b2
            v += (1.0 - self.b2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def clip_by_value(grads, c):
    """Clip every gradient entry into ``[-c, c]``; returns a new dict."""
    c = _positive("c", c)
    return {k: np.clip(g, -c, c) for k, g in grads.items()}


def _selected(grads, keys):
    """The keys of ``grads`` that count (all if ``keys`` is None), checked."""
    if not isinstance(grads, dict):
        raise ValueError(f"grads must be a dict of arrays, got {type(grads).__name__}")
    keys = list(grads.keys() if keys is None else keys)
    missing = [k for k in keys if k not in grads]
    if missing:
        raise ValueError("keys names " + ", ".join(repr(k) for k in missing)
                         + f", which grads does not have; grads has {sorted(grads)}")
    return keys


def global_norm(grads, keys=None):
    """Euclidean norm of all gradient arrays (or those in ``keys``) taken together."""
    keys = _selected(grads, keys)
    return float(np.sqrt(sum(float(np.sum(grads[k] * grads[k])) for k in keys)))


def clip_by_global_norm(grads, max_norm, keys=None):
    """Rescale so that the global norm is at most ``max_norm`` (eq. ``eq-clip-norm``).

    Parameters
    ----------
    grads : dict of arrays
    max_norm : float
    keys : iterable of str, optional
        Which entries count and are scaled (default: all). Pass the parameter keys to
        leave input gradients such as ``'x'`` out.

    Returns
    -------
    clipped : dict (new arrays for scaled entries, the others unchanged)
    norm : float, the global norm before clipping
    """
    max_norm = _positive("max_norm", max_norm)
    keys = _selected(grads, keys)
    norm = global_norm(grads, keys)
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: (g * scale if k in keys else g) for k, g in grads.items()}, norm
