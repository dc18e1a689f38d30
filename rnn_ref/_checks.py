"""Input validation shared by every model.

Each public ``forward``/``backward`` checks its arguments before touching them, so a
mistake is reported as a ``ValueError`` that names the argument and the expected shape
instead of surfacing later as a broadcasting error deep inside a matmul.

Shapes are written with symbolic dimension names (``"T B D"``). A :class:`Shapes`
object binds each name to a size the first time it is seen and reports which argument
fixed it when a later argument disagrees.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Shapes", "check_keys", "check_choice", "check_positive_int", "check_number"]


def _fmt_dims(dims):
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


class Shapes:
    """Symbolic shape checker.

    >>> s = Shapes()
    >>> x = s.array("x", np.zeros((4, 2, 3)), "T B D")
    >>> s["T"], s["D"]
    (4, 3)
    """

    def __init__(self, **known):
        self.sizes = dict(known)
        self.origin = {name: "the model configuration" for name in known}

    def __getitem__(self, dim):
        return self.sizes[dim]

    def bind(self, dim, size, origin):
        if dim in self.sizes and self.sizes[dim] != size:
            raise ValueError(
                f"{origin} sets {dim} = {size}, but {self.origin[dim]} already set "
                f"{dim} = {self.sizes[dim]}")
        self.sizes.setdefault(dim, size)
        self.origin.setdefault(dim, origin)

    def array(self, name, a, dims, finite=True):
        """Check that ``a`` is a finite float64 array of shape ``dims``; return it.

        ``dims`` is a space-separated string of dimension names; a name may also be
        a literal integer such as ``"3"``.
        """
        dims = tuple(dims.split())
        if not isinstance(a, np.ndarray):
            raise ValueError(
                f"{name} must be a numpy float64 array of shape {_fmt_dims(dims)}, "
                f"got {type(a).__name__}")
        if a.dtype != np.float64:
            raise ValueError(
                f"{name} must have dtype float64, got {a.dtype} "
                f"(convert with {name.split('[')[0]}.astype(np.float64))")
        if a.ndim != len(dims):
            raise ValueError(
                f"{name} has shape {a.shape}, expected {len(dims)} dimensions "
                f"{_fmt_dims(dims)}{self._known(dims)}")
        for dim, size in zip(dims, a.shape):
            if dim.isdigit():
                expected = int(dim)
            elif dim in self.sizes:
                expected = self.sizes[dim]
            else:
                if size == 0:
                    what = "time steps; a sequence needs at least one" if dim == "T" \
                        else "entries; every dimension needs at least one"
                    raise ValueError(
                        f"{name} has shape {a.shape}: {dim} = 0 {what}")
                self.bind(dim, size, name)
                continue
            if size != expected:
                raise ValueError(
                    f"{name} has shape {a.shape}, expected {_fmt_dims(dims)}"
                    f"{self._known(dims)}")
        if finite and not np.isfinite(a).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            raise ValueError(
                f"{name} contains NaN or inf (first at index {bad}); "
                f"inputs and parameters must be finite")
        return a

    def optional(self, name, a, dims, default=0.0):
        """Like :meth:`array`, but ``None`` becomes an array filled with ``default``."""
        if a is None:
            shape = tuple(int(d) if d.isdigit() else self.sizes[d] for d in dims.split())
            return np.full(shape, default)
        return self.array(name, a, dims)

    def _known(self, dims):
        parts = []
        for dim in dims:
            if dim in self.sizes:
                parts.append(f"{dim} = {self.sizes[dim]} (from {self.origin[dim]})")
        return " with " + ", ".join(parts) if parts else ""


def check_keys(params, expected, name="params"):
    """Raise unless ``params`` is a dict with exactly the keys in ``expected``."""
    if not isinstance(params, dict):
        raise ValueError(f"{name} must be a dict of arrays, got {type(params).__name__}")
    expected = list(expected)
    missing = [k for k in expected if k not in params]
    extra = sorted(k for k in params if k not in expected)
    if missing or extra:
        msg = []
        if missing:
            msg.append("is missing " + ", ".join(repr(k) for k in missing))
        if extra:
            msg.append("has unexpected " + ", ".join(repr(k) for k in extra))
        raise ValueError(
            f"{name} {' and '.join(msg)}; expected keys "
            + ", ".join(repr(k) for k in expected))


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return value


def check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_number(name, value, low=None, high=None, include_low=True, include_high=True):
    """A finite real number (not a bool, not a string) within the given bounds; as float.

    ``True`` is rejected although Python treats it as 1: ``mu=True`` is almost always a
    mistake for a keyword that expects a rate.
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_)) and bool(np.isfinite(value))
    if ok and low is not None:
        ok = value >= low if include_low else value > low
    if ok and high is not None:
        ok = value <= high if include_high else value < high
    if not ok:
        if low == 0 and high is None:
            what = "a positive finite number" if not include_low else \
                "a finite number >= 0"
        elif low is None and high is None:
            what = "a finite number"
        else:
            lo = "-inf" if low is None else f"{low}"
            hi = "inf" if high is None else f"{high}"
            what = (f"a number in {'[' if include_low and low is not None else '('}{lo}, "
                    f"{hi}{']' if include_high and high is not None else ')'}")
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return float(value)


def check_cache(cache, module):
    """Backward functions accept only the cache their own forward returned."""
    if not isinstance(cache, dict) or cache.get("module") != module:
        raise ValueError(
            f"cache must be the second value returned by rnn_ref.{module}.forward, "
            f"got {type(cache).__name__}")
    return cache
