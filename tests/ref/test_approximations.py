"""Truncated and blocked gradients are what the theory says they are.

* Truncated BPTT with window k equals running each window on its own, starting from the
  previous window's final state held constant, and adding up the parameter gradients.
* Elman's approximation and Jordan's blocked gradient equal the exact gradient of a
  network whose context / memory is frozen at its forward-pass values, i.e. they are
  exact for the direct term of each step and drop everything that travels through time.
"""

import numpy as np
import pytest

from rnn_ref import elman, jordan, rnn
from rnn_ref.activations import apply
from rnn_ref.gradcheck import numerical_gradient, rel_error

from test_gradcheck import randomize


@pytest.mark.parametrize("T,k", [(6, 2), (7, 3), (5, 1), (4, 4), (4, 10)])
@pytest.mark.parametrize("L", [1, 2])
def test_truncated_bptt_equals_windows_run_separately(T, k, L):
    rng = np.random.default_rng([T, k, L])
    B, D, H, O = 2, 3, 4, 2
    p = randomize(rnn.init_params(D, H, O, L, skip_input=True, skip_output=True), rng)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((L, B, H))
    dy = rng.standard_normal((T, B, O))
    y, cache = rnn.forward(x, p, h0)
    truncated = rnn.backward(dy, cache, truncate=k)

    pooled = {key: np.zeros_like(v) for key, v in p.items()}
    dx = np.zeros_like(x)
    state = h0
    for start in range(0, T, k):
        window = slice(start, min(start + k, T))
        yw, cw = rnn.forward(x[window], p, state)
        np.testing.assert_allclose(yw, y[window], rtol=1e-13, atol=1e-13)
        gw = rnn.backward(dy[window], cw)
        for key in pooled:
            pooled[key] += gw[key]
        dx[window] = gw["x"]
        if start == 0:
            dh_init = gw["h_init"]
        state = np.stack([h[-1] for h in cw["hs"]])      # carried, but held constant
    for key in pooled:
        np.testing.assert_allclose(truncated[key], pooled[key], rtol=1e-12, atol=1e-12,
                                   err_msg=key)
    np.testing.assert_allclose(truncated["x"], dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(truncated["h_init"], dh_init, rtol=1e-12, atol=1e-12)


def test_truncation_longer_than_sequence_is_full_bptt():
    rng = np.random.default_rng(1)
    p = randomize(rnn.init_params(2, 3, 2, 2), rng)
    x = rng.standard_normal((5, 2, 2))
    y, cache = rnn.forward(x, p)
    dy = rng.standard_normal(y.shape)
    full, trunc = rnn.backward(dy, cache), rnn.backward(dy, cache, truncate=5)
    for key in full:
        np.testing.assert_array_equal(full[key], trunc[key])


# -- Elman ------------------------------------------------------------------------------

def _elman_frozen_loss(x, p, context, dy):
    """sum_t <dy[t], y[t]> with the context h[t-1] replaced by fixed arrays."""
    h = np.tanh(x @ p["W_c"].T + context @ p["W_r"].T + p["b"])
    return float(np.sum((h @ p["W_o"].T + p["b_o"]) * dy))


def _setup_elman(T, seed):
    rng = np.random.default_rng(seed)
    B, D, H, O = 2, 3, 4, 2
    p = randomize(elman.init_params(D, H, O), rng)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    dy = rng.standard_normal((T, B, O))
    y, cache = elman.forward(x, p, h0)
    return p, x, h0, dy, cache


@pytest.mark.parametrize("T", [1, 2, 5])
def test_elman_approximation_is_the_gradient_with_frozen_context(T):
    p, x, h0, dy, cache = _setup_elman(T, T)
    context = cache["h"][:-1].copy()            # h[t-1] from the forward pass, as data
    blocked = elman.backward(dy, cache, mode="blocked")
    for key in p:
        num = numerical_gradient(lambda: _elman_frozen_loss(x, p, context, dy), p[key])
        assert rel_error(blocked[key], num) < 1e-7, key
    num_x = numerical_gradient(lambda: _elman_frozen_loss(x, p, context, dy), x)
    assert rel_error(blocked["x"], num_x) < 1e-7


def test_elman_equal_for_one_step_and_for_the_last_steps_direct_term():
    # T = 1: there is no "through time", the two gradients coincide.
    p, x, h0, dy, cache = _setup_elman(1, 0)
    exact, blocked = elman.backward(dy, cache), elman.backward(dy, cache, mode="blocked")
    for key in exact:
        np.testing.assert_allclose(blocked[key], exact[key], rtol=1e-14, atol=1e-14)

    # Loss on the last step only: the output layer and dx[T-1] get the same gradient;
    # earlier inputs get nothing under the approximation and something exactly.
    T = 5
    p, x, h0, dy, cache = _setup_elman(T, 1)
    dy[:-1] = 0.0
    exact, blocked = elman.backward(dy, cache), elman.backward(dy, cache, mode="blocked")
    for key in ("W_o", "b_o"):
        np.testing.assert_allclose(blocked[key], exact[key], rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(blocked["x"][-1], exact["x"][-1], rtol=1e-14, atol=1e-14)
    assert np.all(blocked["x"][:-1] == 0)
    assert np.all(np.abs(exact["x"][:-1]).sum(axis=(1, 2)) > 0)
    for key in ("W_c", "W_r", "b"):
        assert rel_error(blocked[key], exact[key]) > 1e-3, key


# -- Jordan -----------------------------------------------------------------------------

def _jordan_frozen_loss(x, p, memory, dy):
    h = np.tanh(x @ p["W_c"].T + memory @ p["W_m"].T + p["b"])
    return float(np.sum(apply("sigmoid", h @ p["W_o"].T + p["b_o"]) * dy))


@pytest.mark.parametrize("T", [1, 3, 6])
def test_jordan_blocked_is_the_gradient_with_frozen_memory(T):
    rng = np.random.default_rng(T)
    B, D, H, O = 2, 3, 4, 2
    p = randomize(jordan.init_params(D, H, O), rng)
    x = rng.standard_normal((T, B, D))
    dy = rng.standard_normal((T, B, O))
    y, cache = jordan.forward(x, p, mu=0.7, s_init=rng.standard_normal((B, O)))
    memory = cache["s"].copy()
    blocked = jordan.backward(dy, cache, mode="blocked")
    for key in p:
        num = numerical_gradient(lambda: _jordan_frozen_loss(x, p, memory, dy), p[key])
        assert rel_error(blocked[key], num) < 1e-7, key
    exact = jordan.backward(dy, cache, mode="exact")
    if T == 1:
        for key in exact:
            np.testing.assert_allclose(blocked[key], exact[key], rtol=1e-14, atol=1e-14)
    else:
        # Through time the memory carries error back: the exact gradient is different,
        # except for the last step's input, which nothing later depends on.
        assert rel_error(blocked["W_o"], exact["W_o"]) > 1e-3
        np.testing.assert_allclose(blocked["x"][-1], exact["x"][-1], rtol=1e-14, atol=1e-14)
