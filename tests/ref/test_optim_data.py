"""Optimizers, clipping and data utilities do what their docstrings say."""

import numpy as np
import pytest

from rnn_ref import data, losses, optim, rnn


def test_sgd_momentum_adagrad_updates():
    g = {"w": np.array([1.0, -2.0])}
    p = {"w": np.array([0.5, 0.5])}
    optim.SGD(0.1).step(p, g)
    np.testing.assert_allclose(p["w"], [0.4, 0.7])

    p = {"w": np.zeros(2)}
    opt = optim.Momentum(0.1, beta=0.5)
    opt.step(p, g)
    opt.step(p, g)                      # v = g, then v = 0.5 g + g = 1.5 g
    np.testing.assert_allclose(p["w"], -0.1 * (1.0 + 1.5) * g["w"])

    p = {"w": np.zeros(2)}
    opt = optim.Adagrad(0.1, eps=0.0 + 1e-12)
    opt.step(p, g)                      # first step moves every coordinate by lr
    np.testing.assert_allclose(p["w"], [-0.1, 0.1])
    opt.step(p, g)                      # then lr / sqrt(2)
    np.testing.assert_allclose(p["w"], [-0.1 - 0.1 / np.sqrt(2), 0.1 + 0.1 / np.sqrt(2)])


def test_adam_first_steps():
    g = {"w": np.array([2.0, -0.5])}
    p = {"w": np.zeros(2)}
    opt = optim.Adam(0.1)
    opt.step(p, g)                      # bias correction: the first step is lr * sign(g)
    np.testing.assert_allclose(p["w"], [-0.1, 0.1], rtol=1e-6)
    opt.step(p, {"w": np.array([2.0, -0.5])})
    np.testing.assert_allclose(p["w"], [-0.2, 0.2], rtol=1e-6)


def test_optimizers_ignore_extra_gradients():
    p = {"w": np.ones(2)}
    optim.SGD(1.0).step(p, {"w": np.ones(2), "x": np.ones(7)})
    np.testing.assert_allclose(p["w"], 0.0)


def test_clipping():
    grads = {"a": np.array([3.0, -10.0]), "b": np.array([4.0]), "x": np.array([100.0])}
    clipped = optim.clip_by_value(grads, 5.0)
    np.testing.assert_allclose(clipped["a"], [3.0, -5.0])
    np.testing.assert_allclose(grads["a"], [3.0, -10.0]), "input must be left untouched"

    clipped, norm = optim.clip_by_global_norm(grads, 5.0, keys=["a", "b"])
    assert norm == pytest.approx(np.sqrt(9 + 100 + 16))
    assert optim.global_norm(clipped, ["a", "b"]) == pytest.approx(5.0)
    np.testing.assert_allclose(clipped["a"] / grads["a"], clipped["b"][0] / grads["b"][0])
    assert clipped["x"] is grads["x"], "entries outside keys are not scaled"
    same, _ = optim.clip_by_global_norm(grads, 1000.0)
    np.testing.assert_array_equal(same["a"], grads["a"])


def test_training_an_rnn_on_delayed_copy_reduces_the_loss():
    """Integration: forward, loss with a delay mask, BPTT, clipping, an update."""
    T, B, V, H = 8, 16, 3, 16
    params = rnn.init_params(V, H, V, rng=0)
    opt = optim.Adagrad(0.1)
    first = last = None
    for step in range(150):
        x, targets, mask = data.delayed_copy(T, B, delay=1, n_symbols=V, rng=step)
        y, cache = rnn.forward(x, params)
        loss, dy = losses.softmax_cross_entropy(y, targets, mask)
        grads, _ = optim.clip_by_global_norm(rnn.backward(dy, cache), 5.0, keys=params)
        opt.step(params, grads)
        first = loss if first is None else first
        last = loss
    per_step = last / (T - 1)
    assert per_step < 0.15 < first / (T - 1), (first, last)


def test_delayed_copy_alignment():
    x, targets, mask = data.delayed_copy(6, 2, delay=2, n_symbols=5, rng=1)
    symbols = x.argmax(axis=-1)
    np.testing.assert_array_equal(targets[2:], symbols[:-2])
    np.testing.assert_array_equal(mask, [0, 0, 1, 1, 1, 1])
    assert x.shape == (6, 2, 5) and x.dtype == np.float64


def test_first_symbol_and_adding_problem():
    x, t = data.first_symbol(10, 4, n_symbols=3, rng=2)
    np.testing.assert_array_equal(t, x[0].argmax(axis=-1))
    x, d = data.adding_problem(10, 5, rng=3)
    assert x.shape == (10, 5, 2) and d.shape == (5, 1)
    np.testing.assert_array_equal(x[..., 1].sum(axis=0), 2.0)
    assert np.all(x[:5, :, 1].sum(axis=0) == 1) and np.all(x[5:, :, 1].sum(axis=0) == 1)
    np.testing.assert_allclose(d[:, 0], (x[..., 0] * x[..., 1]).sum(axis=0))


def test_stock_series_is_positive_with_cycles():
    s = data.stock_series(400, rng=0, volatility=0.0, drift=0.0)
    assert np.all(s > 0)
    # Without noise the log-price is exactly the two cycles, periodic with lcm(5, 21).
    np.testing.assert_allclose(np.log(s[105:210]), np.log(s[:105]), atol=1e-12)


def test_vocabulary_one_hot_and_corpus():
    text = data.load_corpus()
    assert text.startswith("THE SEATTLE PRESS-TIMES")
    v = data.Vocabulary(text)
    assert v.decode(v.encode(text)) == text
    oh = data.one_hot(v.encode("Seattle"), v.size)
    assert oh.shape == (7, v.size) and np.all(oh.sum(axis=1) == 1)


def test_sampling_with_temperature():
    logits = np.log(np.array([0.5, 0.3, 0.2]))
    rng = np.random.default_rng(0)
    draws = [data.sample(logits, 1.0, rng) for _ in range(20000)]
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, [0.5, 0.3, 0.2],
                               atol=0.015)
    assert all(data.sample(logits, 1e-3, rng) == 0 for _ in range(100))
    batch = data.sample(np.tile(logits, (5000, 1)), 100.0, rng)
    np.testing.assert_allclose(np.bincount(batch, minlength=3) / 5000, 1 / 3, atol=0.03)


def test_stream_batches_continue_each_other():
    seq = np.arange(101)
    windows = list(data.stream_batches(seq, T=5, B=4))
    assert len(windows) == 5                               # 25 steps per stream, 5 windows
    for (_, ya), (xb, _) in zip(windows, windows[1:]):
        np.testing.assert_array_equal(xb[0], ya[-1])       # next window starts where we stopped
    x, y = windows[0]
    np.testing.assert_array_equal(y[:-1], x[1:])
    np.testing.assert_array_equal(x[0], [0, 25, 50, 75])
