"""Cutting a long text into minibatches: rnn_ref.data.stream_batches and random_windows."""

import numpy as np
import pytest

from rnn_ref import data


def test_random_windows_cover_the_text_without_overlap():
    text = np.arange(1000)                       # index i at position i: positions are visible
    T, B = 7, 5
    batches = list(data.random_windows(text, T, B, rng=3))
    starts = []
    for x, d in batches:
        assert x.shape == d.shape == (T, B)
        assert np.array_equal(d, x + 1)          # targets are the next index
        assert np.all(np.diff(x, axis=0) == 1)   # each column is a contiguous window
        starts.extend(x[0].tolist())
    starts = np.array(starts)
    offset = starts.min() % T
    assert 0 <= offset < T and np.all((starts - offset) % T == 0)   # a grid: no overlap
    assert len(set(starts.tolist())) == len(starts)
    n_windows = (len(text) - 1 - offset) // T
    assert len(batches) == n_windows // B        # one pass; the incomplete batch dropped
    assert not np.array_equal(starts, np.sort(starts))              # shuffled


def test_random_windows_depend_on_the_seed_only():
    text = np.arange(500)
    first = [x for x, _ in data.random_windows(text, 6, 4, rng=1)]
    again = [x for x, _ in data.random_windows(text, 6, 4, rng=1)]
    other = [x for x, _ in data.random_windows(text, 6, 4, rng=2)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_stream_batches_continue_each_other():
    text = np.arange(1000)
    windows = list(data.stream_batches(text, 10, 4))
    for (x0, _), (x1, _) in zip(windows, windows[1:]):
        assert np.array_equal(x1[0], x0[-1] + 1)  # window k+1 starts where k ended


@pytest.mark.parametrize("T, B", [(0, 2), (5, 0), (2.5, 2)])
def test_random_windows_bad_sizes(T, B):
    with pytest.raises(ValueError):
        next(data.random_windows(np.arange(100), T, B))


def test_random_windows_text_too_short():
    with pytest.raises(ValueError, match="lower B or T"):
        next(data.random_windows(np.arange(30), 10, 4))
