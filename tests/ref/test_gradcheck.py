"""Every backward agrees with central differences (relative error < 1e-7).

Shapes are drawn at random per case, and the edge cases T = 1 and B = 1 are always
included. Parameters are redrawn at a scale of about 1/sqrt(fan-in): large enough that
no gradient is trivially tiny, small enough that tanh units do not saturate (a
saturated unit has a gradient near 0, and a relative error of finite differences on a
near-zero gradient measures round-off, not the backward pass).
"""

import numpy as np
import pytest

from rnn_ref import brnn, elman, gru, jordan, losses, lstm, narx, rnn, tdnn
from rnn_ref.gradcheck import check_layer, numerical_gradient, rel_error

TOL = 1e-7
SHAPES = [(1, 1), (1, 3), (4, 1), (5, 2)]           # (T, B), edge cases first


def randomize(params, rng, scale=0.8):
    return {k: scale * rng.standard_normal(v.shape) / (np.sqrt(v.shape[-1]) if v.ndim > 1 else 2)
            for k, v in params.items()}


def dims(rng):
    return rng.integers(1, 5), rng.integers(1, 5), rng.integers(1, 4)   # D, H, O


def assert_small(errors):
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.2e}; all: {errors}"


@pytest.mark.parametrize("T,B", SHAPES)
@pytest.mark.parametrize("N", [0, 1, 3, 6])          # N = 6 > T: taps reaching past the start
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity", "relu"])
def test_tdnn(T, B, N, activation):
    rng = np.random.default_rng([T, B, N])
    D, H, _ = dims(rng)
    p = randomize(tdnn.init_params(D, H, N), rng)
    x = rng.standard_normal((T, B, D))
    assert_small(check_layer(lambda: tdnn.forward(x, p, activation), tdnn.backward,
                             {**p, "x": x}))


@pytest.mark.parametrize("T,B", SHAPES)
@pytest.mark.parametrize("L,K", [(0, 1), (2, 1), (1, 3), (6, 6)])
@pytest.mark.parametrize("mode", ["closed", "open"])
@pytest.mark.parametrize("out_activation", ["identity", "tanh"])
def test_narx(T, B, L, K, mode, out_activation):
    rng = np.random.default_rng([T, B, L, K])
    D, H, O = dims(rng)
    p = randomize(narx.init_params(D, H, O, L, K), rng)
    x = rng.standard_normal((T, B, D))
    y0 = rng.standard_normal((K, B, O))
    teacher = rng.standard_normal((T, B, O)) if mode == "open" else None
    assert_small(check_layer(
        lambda: narx.forward(x, p, y0, mode, teacher, out_activation=out_activation),
        narx.backward, {**p, "x": x, "y_init": y0}))


@pytest.mark.parametrize("T,B", SHAPES)
@pytest.mark.parametrize("mu", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("activation,out_activation", [("tanh", "sigmoid"),
                                                        ("sigmoid", "identity")])
def test_jordan_exact(T, B, mu, activation, out_activation):
    rng = np.random.default_rng([T, B, int(10 * mu)])
    D, H, O = dims(rng)
    p = randomize(jordan.init_params(D, H, O), rng)
    x = rng.standard_normal((T, B, D))
    s0 = rng.standard_normal((B, O))
    assert_small(check_layer(
        lambda: jordan.forward(x, p, mu, s0, activation, out_activation),
        jordan.backward, {**p, "x": x, "s_init": s0}))


@pytest.mark.parametrize("T,B", SHAPES)
@pytest.mark.parametrize("activation,out_activation", [("tanh", "identity"),
                                                        ("sigmoid", "sigmoid")])
def test_elman_exact(T, B, activation, out_activation):
    rng = np.random.default_rng([T, B, len(activation)])
    D, H, O = dims(rng)
    p = randomize(elman.init_params(D, H, O), rng)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    assert_small(check_layer(lambda: elman.forward(x, p, h0, activation, out_activation),
                             elman.backward, {**p, "x": x, "h_init": h0}))


@pytest.mark.parametrize("T,B", SHAPES)
@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("skips", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("h_init", [None, "per-sequence", "learnable"])
def test_rnn(T, B, L, skips, h_init):
    rng = np.random.default_rng([T, B, L, *skips])
    D, H, O = dims(rng)
    p = randomize(rnn.init_params(D, H, O, L, *skips), rng)
    x = rng.standard_normal((T, B, D))
    arrays = {**p, "x": x}
    h0 = None
    if h_init == "per-sequence":
        h0 = arrays["h_init"] = rng.standard_normal((L, B, H))
    elif h_init == "learnable":
        h0 = arrays["h_init"] = rng.standard_normal((L, H))
    assert_small(check_layer(lambda: rnn.forward(x, p, h0), rnn.backward, arrays))


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "identity"])
def test_rnn_activations(activation):
    rng = np.random.default_rng(len(activation))
    p = randomize(rnn.init_params(3, 4, 2, L=2, skip_input=True, skip_output=True), rng)
    x = rng.standard_normal((5, 2, 3))
    assert_small(check_layer(lambda: rnn.forward(x, p, activation=activation), rnn.backward,
                             {**p, "x": x}))


@pytest.mark.parametrize("setting,delay", [("many_to_many", 0), ("many_to_one", 0),
                                           ("delayed", 2)])
def test_rnn_with_cross_entropy_settings(setting, delay):
    """The whole pipeline: RNN -> softmax cross-entropy on the scored steps only."""
    rng = np.random.default_rng(7)
    T, B, D, H, C = 5, 3, 4, 5, 3
    p = randomize(rnn.init_params(D, H, C, L=2), rng)
    x = rng.standard_normal((T, B, D))
    targets = losses.delay_targets(rng.integers(C, size=(T, B)), delay)
    mask = losses.io_mask(T, setting, delay)

    def loss():
        return losses.softmax_cross_entropy(rnn.forward(x, p)[0], targets, mask)[0]

    y, cache = rnn.forward(x, p)
    _, dy = losses.softmax_cross_entropy(y, targets, mask)
    assert np.all(dy[mask == 0] == 0), "unscored steps must send no gradient"
    grads = rnn.backward(dy, cache)
    for k in [*p, "x"]:
        arr = x if k == "x" else p[k]
        assert rel_error(grads[k], numerical_gradient(loss, arr)) < TOL, k


def test_rnn_with_non_decomposable_divergence():
    rng = np.random.default_rng(8)
    p = randomize(rnn.init_params(3, 4, 2, L=2, skip_output=True), rng)
    x = rng.standard_normal((6, 2, 3))
    d = rng.standard_normal((6, 2, 2))

    def loss():
        return losses.squared_error_of_sum(rnn.forward(x, p)[0], d)[0]

    y, cache = rnn.forward(x, p)
    grads = rnn.backward(losses.squared_error_of_sum(y, d)[1], cache)
    for k in p:
        assert rel_error(grads[k], numerical_gradient(loss, p[k])) < TOL, k


@pytest.mark.parametrize("T,B", SHAPES)
@pytest.mark.parametrize("L", [1, 2])
@pytest.mark.parametrize("skip_input", [False, True])
def test_brnn(T, B, L, skip_input):
    rng = np.random.default_rng([T, B, L, skip_input])
    D, H, _ = dims(rng)
    p = randomize(brnn.init_params(D, H, L, skip_input), rng)
    x = rng.standard_normal((T, B, D))
    hf, hb = rng.standard_normal((L, B, H)), rng.standard_normal((L, H))
    assert_small(check_layer(lambda: brnn.forward(x, p, hf, hb), brnn.backward,
                             {**p, "x": x, "h_init_f": hf, "h_init_b": hb}))


@pytest.mark.parametrize("T,B", SHAPES)
def test_lstm(T, B):
    rng = np.random.default_rng([T, B, 1])
    D, H, _ = dims(rng)
    p = randomize(lstm.init_params(D, H), rng)
    x, h0, s0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), \
        rng.standard_normal((B, H))
    assert_small(check_layer(lambda: lstm.forward(x, p, h0, s0), lstm.backward,
                             {**p, "x": x, "h_init": h0, "s_init": s0}))


@pytest.mark.parametrize("T,B", SHAPES)
def test_gru(T, B):
    rng = np.random.default_rng([T, B, 2])
    D, H, _ = dims(rng)
    p = randomize(gru.init_params(D, H), rng)
    x, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    assert_small(check_layer(lambda: gru.forward(x, p, h0), gru.backward,
                             {**p, "x": x, "h_init": h0}))


def test_lstm_cell():
    rng = np.random.default_rng(3)
    p = randomize(lstm.init_params(3, 4), rng)
    x, h, s = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    dh, ds = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))

    def scalar():
        h1, s1, _ = lstm.cell_forward(x, h, s, p)
        return float((h1 * dh).sum() + (s1 * ds).sum())

    grads = lstm.cell_backward(dh, ds, lstm.cell_forward(x, h, s, p)[2])
    for name, arr in [*p.items(), ("x", x), ("h_prev", h), ("s_prev", s)]:
        assert rel_error(grads[name], numerical_gradient(scalar, arr)) < TOL, name


def test_gru_cell():
    rng = np.random.default_rng(4)
    p = randomize(gru.init_params(3, 4), rng)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    assert_small(check_layer(lambda: gru.cell_forward(x, h, p), gru.cell_backward,
                             {**p, "x": x, "h_prev": h}))


@pytest.mark.parametrize("name", ["ce", "mse", "sum"])
def test_losses(name):
    rng = np.random.default_rng(5)
    y = rng.standard_normal((4, 3, 5))
    mask = rng.uniform(size=(4, 3))
    if name == "ce":
        t = rng.integers(5, size=(4, 3))
        f = lambda: losses.softmax_cross_entropy(y, t, mask)  # noqa: E731
    elif name == "mse":
        d = rng.standard_normal(y.shape)
        f = lambda: losses.mse(y, d, mask)  # noqa: E731
    else:
        d = rng.standard_normal(y.shape)
        f = lambda: losses.squared_error_of_sum(y, d)  # noqa: E731
    assert rel_error(f()[1], numerical_gradient(lambda: f()[0], y)) < TOL
