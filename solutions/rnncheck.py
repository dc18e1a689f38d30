"""Checks used by the visible tests of the exercise notebooks.

Only numpy is needed. Every check raises an ``AssertionError`` whose message says what
is wrong, by how much, where it first goes wrong, and (when the test knows a likely
cause) a hint. A check that passes returns quietly.

The gradient checks compare your ``backward`` with central differences of your own
``forward``: they test that the two agree, so get the forward pass right first (the
backward tests check it before they start). They call your functions on copies of the
arrays and fail if your function changed an array it was given.

Compute in float64, numpy's default: float32 rounding (about 1e-7) is too coarse for
these checks and for the hidden tests, so a float32 result fails them with a message
saying so, for everyone alike.

(This file is shipped with every assignment and deliberately depends on numpy alone,
so it repeats a few lines of ``rnn_ref.gradcheck`` rather than importing it.)
"""

import numpy as np

__all__ = ["rel_error", "check_shape", "check_close", "numerical_gradient",
           "gradient_error", "check_gradient", "first_failure", "first_hint", "once",
           "wrong_blocks"]


def rel_error(a, b):
    """Relative error ``||a - b|| / (||a|| + ||b||)`` (0 when both are zero)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / den) if den > 0 else 0.0


def _where(actual, expected, tol):
    """Index of the first entry that differs by more than ``tol`` (relative to scale)."""
    scale = max(np.abs(expected).max(initial=0.0), np.abs(actual).max(initial=0.0), 1e-12)
    bad = np.argwhere(np.abs(actual - expected) > tol * scale + 1e-12)
    if len(bad) == 0:
        bad = np.argwhere(np.abs(actual - expected) == np.abs(actual - expected).max())
    return tuple(int(i) for i in bad[0])


def _fmt_hint(hint):
    return f"\nHint: {hint}" if hint else ""


def _check_float64(name, actual):
    dtype = getattr(actual, "dtype", None)
    if dtype is not None and dtype.kind == "f" and dtype.itemsize != 8:
        raise AssertionError(
            f"{name} holds {dtype} numbers: compute in float64 (numpy's default, e.g. "
            f"np.zeros(shape) without dtype=); {dtype} rounding is too coarse for the tests")


def _check_float64_inside(name, obj):
    """Every float array in ``obj`` (nested dicts, lists, tuples) is float64."""
    todo, seen = [obj], 0
    while todo and seen < 10000:
        item = todo.pop()
        seen += 1
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        else:
            _check_float64(name, item)


def check_shape(name, actual, shape):
    """``actual`` must be a float64 (or integer) numpy array of exactly ``shape``."""
    if not isinstance(actual, np.ndarray):
        raise AssertionError(f"{name} should be a numpy array of shape {shape}, "
                             f"got {type(actual).__name__}")
    if actual.shape != tuple(shape):
        raise AssertionError(f"{name} has shape {actual.shape}, expected {tuple(shape)}")
    _check_float64(name, actual)


def check_close(name, actual, expected, tol=1e-6, hint=None):
    """``actual`` must equal ``expected`` up to relative error ``tol``."""
    expected = np.asarray(expected, dtype=np.float64)
    check_shape(name, actual, expected.shape)
    if not np.isfinite(actual).all():
        raise AssertionError(f"{name} contains NaN or inf{_fmt_hint(hint)}")
    err = rel_error(actual, expected)
    if err > tol:
        idx = _where(actual, expected, tol)
        raise AssertionError(
            f"{name} is wrong: relative error {err:.1e} (tolerance {tol:.0e}). "
            f"First mismatch at index {idx}: yours {actual[idx]:.6g}, "
            f"expected {expected[idx]:.6g}.{_fmt_hint(hint)}")


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to ``x`` (changed in place
    one entry at a time, then restored)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


def _copies(inputs):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


def _changed(before, after):
    """Names of the arrays of ``before`` whose values ``after`` no longer has."""
    return [k for k, v in before.items() if isinstance(v, np.ndarray)
            and not (v.shape == after[k].shape and np.array_equal(v, after[k], equal_nan=True))]


def gradient_error(forward, backward, inputs, wrt, grad_name=None, dout=None, seed=0):
    """Compare one gradient of your ``backward`` with central differences.

    Parameters
    ----------
    forward : callable, ``forward(**inputs) -> (out, cache)``
    backward : callable, ``backward(dout, cache) -> dict of gradients``
    inputs : dict of keyword arguments for ``forward`` (never modified: your functions
        get copies)
    wrt : name of the input array to differentiate with respect to
    grad_name : key of that gradient in the dict ``backward`` returns (default ``wrt``)
    dout : upstream gradient; random if omitted. The scalar checked is ``sum(out * dout)``.

    Returns ``(relative error, analytic, numerical)``. Raises ``AssertionError`` if your
    forward returns float32, or if forward or backward changed an array it was given.
    """
    given = _copies(inputs)
    out, cache = forward(**given)
    changed = _changed(inputs, given)
    if changed:
        raise AssertionError(f"your forward changed its argument {changed[0]}: work on a "
                             f"copy (e.g. {changed[0]} = {changed[0]}.copy()) or build a new array")
    _check_float64("the output of your forward", np.asarray(out) if np.ndim(out) == 0 else out)
    _check_float64_inside("the cache of your forward", cache)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(np.shape(out))
    dout = np.asarray(dout, dtype=np.float64)
    given_dout = dout.copy()
    grads = backward(given_dout, cache)
    if not np.array_equal(given_dout, dout):
        raise AssertionError(
            "your backward changed its argument dout (the upstream gradient it was given, "
            "e.g. with dh[t-1] += ...): add into a copy (dh = dh.copy()) instead, since "
            "the caller still needs its array")
    key = wrt if grad_name is None else grad_name
    if not isinstance(grads, dict) or key not in grads:
        raise AssertionError(f"backward should return a dict with the key {key!r}; "
                             f"got {sorted(grads) if isinstance(grads, dict) else type(grads).__name__}")
    _check_float64_inside("a gradient your backward returns", grads)
    analytic = grads[key]
    check_shape(f"the gradient {key!r}", analytic, np.shape(inputs[wrt]))
    probe = _copies(inputs)
    numeric = numerical_gradient(lambda: float(np.sum(forward(**_copies(probe))[0] * dout)),
                                 probe[wrt])
    return rel_error(analytic, numeric), analytic, numeric


def check_gradient(name, forward, backward, inputs, wrt, grad_name=None, dout=None,
                   tol=1e-6, hint=None):
    """Raise if your gradient disagrees with central differences of your forward."""
    err, analytic, numeric = gradient_error(forward, backward, inputs, wrt, grad_name, dout)
    if not np.isfinite(analytic).all():
        raise AssertionError(f"{name} contains NaN or inf{_fmt_hint(hint)}")
    if err > tol:
        idx = _where(analytic, numeric, tol)
        raise AssertionError(
            f"{name} fails the gradient check: relative error {err:.1e} "
            f"(tolerance {tol:.0e}). First mismatch at index {idx}: yours "
            f"{analytic[idx]:.6g}, numerical {numeric[idx]:.6g}.{_fmt_hint(hint)}")


def first_failure(probes, tol=1e-6):
    """Run labelled probes in order and return the label of the first that fails.

    ``probes`` is a list of ``(label, thunk)`` where ``thunk()`` returns a relative
    error. Used for ablation hints: probe the simplest cases first (one step, one
    tap, a loss on one time step only) and report the first that breaks.
    Returns ``None`` if every probe passes.
    """
    for label, thunk in probes:
        if not thunk() <= tol:
            return label
    return None


def first_hint(rows, tol=1e-6):
    """The hint of the first row of a *hint ladder* whose probe fails.

    ``rows`` is a list of ``(label, probe, hint)``: ``probe()`` returns a relative error
    (the row fails when it exceeds ``tol``) or a bool (the row fails when it is true);
    ``hint`` is a string, a function returning one, or ``None`` (stop without a hint).
    Order the rows from the simplest case to the general one, so that the first failing
    row names the smallest thing that is wrong. Returns ``None`` if every probe passes.
    """
    for label, probe, hint in rows:
        value = probe()
        failed = value if isinstance(value, (bool, np.bool_)) else not value <= tol
        if failed:
            return hint() if callable(hint) else hint
    return None


def once(compute):
    """``compute`` as a function that runs it the first time only (for ladder probes that
    share a costly result)."""
    done = []

    def value():
        if not done:
            done.append(compute())
        return done[0]
    return value


def wrong_blocks(yours, numerical, names, tol=1e-6):
    """The blocks of a gated cell's stacked gradient that disagree with ``numerical``.

    ``yours`` and ``numerical`` stack one block of rows per gate along axis 0, in the
    order of ``names`` (e.g. ``"ifgo"`` for the LSTM, ``"rzn"`` for the GRU). Returns the
    set of names whose block has a relative error above ``tol``.
    """
    rows = len(yours) // len(names)
    return {name for k, name in enumerate(names)
            if not rel_error(yours[k * rows:(k + 1) * rows],
                             numerical[k * rows:(k + 1) * rows]) <= tol}


_RESTART_HINT = ("if you restarted the kernel, run the cells above this one first "
                 "(Run > Run All Above Selected Cell): their definitions are gone")


def _explain_name_errors():
    """In Jupyter, add to a NameError raised by a cell's own code (not inside one of your
    functions) the reminder that a restarted kernel has forgotten the cells above."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_rnncheck_restart_hint", False):
        return

    def handler(shell, etype, value, tb, tb_offset=None):
        last = tb
        while last is not None and last.tb_next is not None:
            last = last.tb_next
        at_top = last is not None and last.tb_frame.f_code.co_name == "<module>"
        if at_top and _RESTART_HINT not in str(value):
            value.args = (f"{value}; {_RESTART_HINT}",)
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)

    shell.set_custom_exc((NameError,), handler)
    shell._rnncheck_restart_hint = True


_explain_name_errors()
