r"""Divergences between an output sequence and a target sequence (chapters 7 and 11).

Every loss returns ``(loss, dy)``: the scalar divergence and its gradient with respect
to the network outputs, ready for a model's ``backward``. Losses are averaged over the
batch and *summed* over time, so for a single sequence they are the lecture's
``DIV = sum_t Div(t)`` (eq. ``eq-div-sum``).

``squared_error_of_sum`` is the counter-example the lecture insists on (eq.
``eq-div-seq``): a divergence defined on the whole sequence that is *not* a sum of
per-step terms, so ``dDIV/dy[t]`` depends on every output, not just on ``y[t]``.

Which steps are scored is a separate question from how they are scored: pass a
``mask`` built by :func:`io_mask` for many-to-one or delayed outputs.
"""

import numpy as np

from ._checks import Shapes, check_choice

__all__ = ["softmax", "log_softmax", "softmax_cross_entropy", "mse",
           "squared_error_of_sum", "io_mask", "delay_targets", "SETTINGS"]

SETTINGS = ("many_to_many", "many_to_one", "delayed")


def softmax(z, axis=-1):
    """Numerically stable softmax along ``axis`` (any shape)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """``log(softmax(z))`` without forming the softmax (no ``log(0)``)."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _mask(shapes, mask):
    if mask is None:
        return np.ones((shapes["T"], shapes["B"]))
    if isinstance(mask, np.ndarray) and mask.ndim == 1:
        return shapes.array("mask", mask.astype(np.float64, copy=False), "T")[:, None] \
            * np.ones((1, shapes["B"]))
    return shapes.array("mask", mask.astype(np.float64, copy=False)
                        if isinstance(mask, np.ndarray) else mask, "T B")


def softmax_cross_entropy(logits, targets, mask=None):
    """Cross-entropy of softmax outputs against class indices (eq. ``eq-ce``).

    ``DIV = (1/B) sum_b sum_t mask[t, b] * (-log softmax(logits[t, b])[targets[t, b]])``

    Parameters
    ----------
    logits : (T, B, C) array
    targets : (T, B) integer array with values in ``[0, C)``
    mask : (T,) or (T, B) array, optional
        Weight of each step (1 = scored, 0 = ignored); all ones if omitted.

    Returns
    -------
    loss : float
    dlogits : (T, B, C) array, ``dDIV/dlogits = mask * (softmax - onehot) / B``.
    """
    s = Shapes()
    s.array("logits", logits, "T B C")
    if not isinstance(targets, np.ndarray) or not np.issubdtype(targets.dtype, np.integer):
        raise ValueError("targets must be an integer numpy array of shape (T, B) holding "
                         f"class indices, got {getattr(targets, 'dtype', type(targets).__name__)}")
    if targets.shape != logits.shape[:2]:
        raise ValueError(f"targets has shape {targets.shape}, expected (T, B) = "
                         f"{logits.shape[:2]} (from logits)")
    C = logits.shape[2]
    if targets.size and (targets.min() < 0 or targets.max() >= C):
        raise ValueError(f"targets must lie in [0, {C}) (C = {C} from logits), "
                         f"found values in [{targets.min()}, {targets.max()}]")
    m = _mask(s, mask)
    B = logits.shape[1]
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    loss = -(m * picked).sum() / B
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1.0, axis=-1)
    dlogits *= (m / B)[..., None]
    return float(loss), dlogits


def mse(y, d, mask=None):
    """Half squared error, summed over time and outputs, averaged over the batch.

    ``DIV = (1/B) sum_b sum_t mask[t, b] * 0.5 * ||y[t, b] - d[t, b]||^2``

    ``y`` and ``d`` are ``(T, B, O)``; returns ``(loss, dy)`` with
    ``dy = mask * (y - d) / B``.
    """
    s = Shapes()
    s.array("y", y, "T B O")
    s.array("d", d, "T B O")
    m = _mask(s, mask)[..., None]
    err = y - d
    B = y.shape[1]
    return float(0.5 * (m * err * err).sum() / B), m * err / B


def squared_error_of_sum(y, d):
    """A sequence divergence that is not a sum over time (eq. ``eq-div-seq``).

    ``DIV = (1/B) sum_b 0.5 * || sum_t (y[t, b] - d[t, b]) ||^2``

    Think of a trader who is judged on the week's total, not on each day: errors on
    different days can cancel. Every ``dDIV/dy[t]`` equals the accumulated error
    ``sum_s (y[s] - d[s]) / B``, so the gradient at step ``t`` depends on all outputs.

    ``y`` and ``d`` are ``(T, B, O)``; returns ``(loss, dy)``.
    """
    s = Shapes()
    s.array("y", y, "T B O")
    s.array("d", d, "T B O")
    total = (y - d).sum(axis=0)                     # (B, O)
    B = y.shape[1]
    dy = np.broadcast_to(total / B, y.shape).copy()
    return float(0.5 * (total * total).sum() / B), dy


def io_mask(T, setting="many_to_many", delay=0):
    """Which output steps are scored, as a ``(T,)`` array of 0/1 (chapter 6).

    ``'many_to_many'``: every step; ``'many_to_one'``: only the last step;
    ``'delayed'``: steps ``delay, ..., T-1`` (outputs start after ``delay`` inputs, as
    in many-to-many type III). Use with :func:`delay_targets`.
    """
    check_choice("setting", setting, SETTINGS)
    if not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    m = np.zeros(T)
    if setting == "many_to_many":
        m[:] = 1.0
    elif setting == "many_to_one":
        m[-1] = 1.0
    else:
        if not isinstance(delay, (int, np.integer)) or not 0 <= delay < T:
            raise ValueError(f"delay must be an integer in [0, T) = [0, {T}), got {delay!r}")
        m[delay:] = 1.0
    return m


def delay_targets(d, delay):
    """Shift targets so that output ``y[t]`` is compared with ``d[t - delay]``.

    ``d`` is ``(T, B, ...)``; the first ``delay`` rows of the result repeat ``d[0]`` and
    must be masked out with ``io_mask(T, 'delayed', delay)``.
    """
    if not isinstance(d, np.ndarray) or d.ndim < 2:
        raise ValueError("d must be a numpy array of shape (T, B, ...)")
    T = d.shape[0]
    if not isinstance(delay, (int, np.integer)) or not 0 <= delay < T:
        raise ValueError(f"delay must be an integer in [0, T) = [0, {T}), got {delay!r}")
    out = np.empty_like(d)
    out[delay:] = d[:T - delay]
    out[:delay] = d[0]
    return out
