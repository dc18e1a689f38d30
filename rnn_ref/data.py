r"""Toy sequence tasks and character-level text utilities.

Every generator takes a ``rng`` (seed or ``numpy.random.Generator``) so that chapters,
exercises and tests are reproducible. Arrays are time-major like the models.

Tasks
-----
* :func:`stock_series` -- a synthetic price series with weekly and monthly cycles
  (chapters 1-3: finite versus infinite memory).
* :func:`delayed_copy` -- reproduce the input ``delay`` steps later (many-to-many with an
  output delay; the memory needed is exactly ``delay``).
* :func:`first_symbol` -- name the first symbol after ``T - 1`` distractors (many-to-one;
  the long-lag task of chapters 9-10).
* :func:`adding_problem` -- add the two marked numbers of a sequence (Hochreiter &
  Schmidhuber 1997; many-to-one regression).

Text
----
:class:`Vocabulary`, :func:`one_hot`, :func:`sample` (with temperature, eq.
``eq-sampling-temperature``), :func:`stream_batches` (sequential partitioning, for
truncated BPTT with a carried state) and :func:`random_windows` (random partitioning,
independent windows) to cut a long text into minibatches, and
:func:`load_corpus` for the texts shipped in ``rnn_ref/corpora`` (public domain:
``seattle_1891``, a front-page article of the Seattle Press-Times, 16 June 1891).
"""

from pathlib import Path

import numpy as np

from ._checks import check_number, check_positive_int

__all__ = ["stock_series", "delayed_copy", "first_symbol", "adding_problem", "Vocabulary",
           "one_hot", "sample", "stream_batches", "random_windows", "load_corpus", "CORPORA"]

CORPORA = ("seattle_1891",)


def stock_series(T, rng=None, start=100.0, drift=0.0002, volatility=0.01,
                 weekly=0.01, monthly=0.02):
    """A price series of ``T`` trading days, shape ``(T,)``.

    The log-price is a random walk with drift plus two cycles, one of 5 trading days
    (a week) and one of 21 (a month), so that a predictor that sees only the last few
    days misses the slow trend.
    """
    check_positive_int("T", T)
    rng = np.random.default_rng(rng)
    t = np.arange(T)
    walk = np.cumsum(drift + volatility * rng.standard_normal(T))
    cycles = weekly * np.sin(2 * np.pi * t / 5) + monthly * np.sin(2 * np.pi * t / 21)
    return start * np.exp(walk + cycles)


def delayed_copy(T, B, delay, n_symbols=4, rng=None):
    """Output at step ``t`` must be the input symbol of step ``t - delay``.

    Returns
    -------
    x : (T, B, n_symbols) one-hot inputs
    targets : (T, B) int class indices (``targets[t] = symbol[t - delay]``; the first
        ``delay`` rows repeat ``symbol[0]`` and are masked out)
    mask : (T,) array, 0 for the first ``delay`` steps and 1 afterwards
    """
    check_positive_int("T", T)
    check_positive_int("B", B)
    check_positive_int("n_symbols", n_symbols, minimum=2)
    if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)) or not 0 <= delay < T:
        raise ValueError(f"delay must be an integer in [0, T) = [0, {T}), got {delay!r}")
    rng = np.random.default_rng(rng)
    symbols = rng.integers(n_symbols, size=(T, B))
    targets = np.empty_like(symbols)
    targets[delay:] = symbols[:T - delay]
    targets[:delay] = symbols[0]
    mask = np.zeros(T)
    mask[delay:] = 1.0
    return one_hot(symbols, n_symbols), targets, mask


def first_symbol(T, B, n_symbols=4, rng=None):
    """A long-lag classification task: report the first symbol at the last step.

    The first input is one of ``n_symbols`` classes; the remaining ``T - 1`` inputs are
    random distractors from the same alphabet. Only the last output is scored, so the
    gradient that teaches the answer must travel ``T - 1`` steps back.

    Returns ``x`` (T, B, n_symbols) one-hot and ``targets`` (B,) int.
    """
    check_positive_int("T", T)
    check_positive_int("B", B)
    check_positive_int("n_symbols", n_symbols, minimum=2)
    rng = np.random.default_rng(rng)
    symbols = rng.integers(n_symbols, size=(T, B))
    return one_hot(symbols, n_symbols), symbols[0].copy()


def adding_problem(T, B, rng=None):
    """The adding problem: sum the two numbers whose marker is 1.

    Channel 0 holds uniform numbers in [0, 1); channel 1 marks one position in the first
    half and one in the second half. Returns ``x`` (T, B, 2) and ``d`` (B, 1).
    """
    check_positive_int("T", T, minimum=2)
    check_positive_int("B", B)
    rng = np.random.default_rng(rng)
    x = np.zeros((T, B, 2))
    x[..., 0] = rng.uniform(size=(T, B))
    half = T // 2
    first = rng.integers(half, size=B)
    second = rng.integers(half, T, size=B)
    cols = np.arange(B)
    x[first, cols, 1] = 1.0
    x[second, cols, 1] = 1.0
    d = (x[first, cols, 0] + x[second, cols, 0])[:, None]
    return x, d


class Vocabulary:
    """Character vocabulary: the sorted set of characters of a text.

    >>> v = Vocabulary("hello")
    >>> v.chars, v.encode("hell").tolist(), v.decode([3, 0])
    (['e', 'h', 'l', 'o'], [1, 0, 2, 2], 'oe')
    """

    def __init__(self, text=None, chars=None):
        if (text is None) == (chars is None):
            raise ValueError("give exactly one of text (to collect its characters) or chars")
        if chars is None:
            if not isinstance(text, str) or not text:
                raise ValueError("text must be a non-empty string")
            chars = sorted(set(text))
        self.chars = list(chars)
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("chars must not repeat a character")
        self.index = {c: i for i, c in enumerate(self.chars)}

    @property
    def size(self):
        return len(self.chars)

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """Indices of the characters of ``text`` as an int array."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"text has characters outside the vocabulary: {unknown!r}")
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, indices):
        """The string spelled by ``indices``."""
        return "".join(self.chars[int(i)] for i in np.asarray(indices).ravel())


def one_hot(indices, V):
    """One-hot float64 encoding: shape ``indices.shape + (V,)``."""
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"indices must be integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= V):
        raise ValueError(f"indices must lie in [0, {V}), found [{indices.min()}, {indices.max()}]")
    out = np.zeros(indices.shape + (V,))
    np.put_along_axis(out, indices[..., None], 1.0, axis=-1)
    return out


def sample(logits, temperature=1.0, rng=None):
    """Draw one class per row from ``softmax(logits / temperature)``.

    ``logits`` is ``(V,)`` or ``(B, V)``; returns an int (or ``(B,)`` ints). Low
    temperatures sharpen the distribution toward the most likely class (greedy as
    ``temperature -> 0``); high ones flatten it toward uniform.
    """
    temperature = check_number("temperature", temperature, 0, include_low=False)
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim not in (1, 2) or not np.isfinite(logits).all():
        raise ValueError("logits must be a finite (V,) or (B, V) array")
    rng = np.random.default_rng(rng)
    z = logits / temperature
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    if logits.ndim == 1:
        return int(rng.choice(len(p), p=p))
    cum = p.cumsum(axis=1)
    u = rng.uniform(size=(len(p), 1))
    return np.minimum((cum < u).sum(axis=1), p.shape[1] - 1)


def stream_batches(indices, T, B):
    """Cut a long index sequence into ``B`` parallel streams read ``T`` steps at a time.

    Yields ``(inputs, targets)``, both ``(T, B)`` int arrays with
    ``targets[t] = inputs[t + 1]`` along each stream. Consecutive windows continue each
    other, so the final state of one window is the right initial state for the next
    (truncated BPTT with window ``T``).
    """
    check_positive_int("T", T)
    check_positive_int("B", B)
    indices = np.asarray(indices)
    length = (len(indices) - 1) // B
    if length < T:
        raise ValueError(f"a text of {len(indices)} characters is too short for {B} "
                         f"streams of windows of {T} steps; lower B or T")
    streams = np.stack([indices[b * length:(b + 1) * length + 1] for b in range(B)], axis=1)
    for start in range(0, length - T + 1, T):
        yield streams[start:start + T], streams[start + 1:start + T + 1]


def random_windows(indices, T, B, rng=None):
    """Random partitioning: cut a long index sequence into independent windows (chapter 11).

    From a random offset in ``[0, T)``, the sequence is cut into non-overlapping windows
    of ``T + 1`` indices (inputs and the targets one step later); the windows are
    shuffled and yielded ``B`` at a time as ``(inputs, targets)``, both ``(T, B)`` int
    arrays with ``targets[t] = inputs[t + 1]``. One pass over the generator is one pass
    over the text (an incomplete last batch is dropped). Unlike :func:`stream_batches`,
    neither the columns of a batch nor consecutive batches continue each other, so every
    window must start from a fresh state.
    """
    check_positive_int("T", T)
    check_positive_int("B", B)
    rng = np.random.default_rng(rng)
    indices = np.asarray(indices)
    offset = int(rng.integers(T))
    n_windows = (len(indices) - 1 - offset) // T
    if n_windows < B:
        raise ValueError(f"a text of {len(indices)} indices holds {n_windows} windows of "
                         f"{T} steps after a random offset of up to {T - 1}, fewer than "
                         f"B = {B}; lower B or T")
    starts = offset + T * rng.permutation(n_windows)
    steps = np.arange(T)
    for first in range(0, n_windows - B + 1, B):
        rows = starts[first:first + B][None, :] + steps[:, None]     # (T, B) positions
        yield indices[rows], indices[rows + 1]


def load_corpus(name="seattle_1891"):
    """Return a text shipped with the package (see ``CORPORA``)."""
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; available: {', '.join(CORPORA)}")
    return (Path(__file__).parent / "corpora" / f"{name}.txt").read_text(encoding="utf-8")
