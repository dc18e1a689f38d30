"""Gradients on final states, and outputs that the caller may modify.

An encoder hands its final state to a decoder, so the gradient of the loss arrives at
the encoder's *last state* from outside the sequence. Every model whose final state can
be handed on accepts that gradient (``dh_last``, ``ds_last``); these tests check it
against central differences of a loss that reads the final states directly, and
against PyTorch's ``h_n``/``c_n``.
"""

import numpy as np
import pytest

from rnn_ref import brnn, elman, gru, jordan, lstm, narx, rnn, tdnn
from rnn_ref.gradcheck import numerical_gradient, rel_error

TOL = 1e-7


def _small(rng, params, scale=0.8):
    return {k: scale * rng.standard_normal(v.shape) / (np.sqrt(v.shape[-1]) if v.ndim > 1 else 2)
            for k, v in params.items()}


def _check(scalar, grads, arrays):
    for name, a in arrays.items():
        err = rel_error(grads[name], numerical_gradient(scalar, a))
        assert err < TOL, f"{name}: relative error {err:.1e}"


@pytest.mark.parametrize("T,B", [(1, 1), (4, 3)])
def test_lstm_final_h_and_s(T, B):
    rng = np.random.default_rng([T, B, 1])
    D, H = 3, 4
    p = _small(rng, lstm.init_params(D, H))
    x, h0, s0 = (rng.standard_normal(s) for s in ((T, B, D), (B, H), (B, H)))
    dh, gh, gs = (rng.standard_normal(s) for s in ((T, B, H), (B, H), (B, H)))

    def scalar():
        h, cache = lstm.forward(x, p, h0, s0)
        return float((h * dh).sum() + (h[-1] * gh).sum() + (cache["s"][-1] * gs).sum())

    grads = lstm.backward(dh, lstm.forward(x, p, h0, s0)[1], dh_last=gh, ds_last=gs)
    _check(scalar, grads, {**p, "x": x, "h_init": h0, "s_init": s0})


def test_lstm_only_the_cell_state_is_scored():
    """With dh = 0 and only ds_last, every gradient flows from the final cell state."""
    rng = np.random.default_rng(2)
    p = _small(rng, lstm.init_params(2, 3))
    x = rng.standard_normal((5, 2, 2))
    gs = rng.standard_normal((2, 3))

    def scalar():
        return float((lstm.forward(x, p)[1]["s"][-1] * gs).sum())

    grads = lstm.backward(np.zeros((5, 2, 3)), lstm.forward(x, p)[1], ds_last=gs)
    _check(scalar, grads, {"W_x": p["W_x"], "x": x})


def test_gru_final_h():
    rng = np.random.default_rng(3)
    p = _small(rng, gru.init_params(3, 4))
    x, h0 = rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 4))
    dh, gh = rng.standard_normal((4, 2, 4)), rng.standard_normal((2, 4))

    def scalar():
        h, _ = gru.forward(x, p, h0)
        return float((h * dh).sum() + (h[-1] * gh).sum())

    grads = gru.backward(dh, gru.forward(x, p, h0)[1], dh_last=gh)
    _check(scalar, grads, {**p, "x": x, "h_init": h0})


@pytest.mark.parametrize("L", [1, 3])
@pytest.mark.parametrize("truncate", [None, 2])
def test_rnn_final_states_of_every_layer(L, truncate):
    rng = np.random.default_rng([L, truncate or 0])
    D, H, O, T, B = 3, 4, 2, 5, 2
    p = _small(rng, rnn.init_params(D, H, O, L, skip_input=L > 1))
    x, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((L, B, H))
    dy, g = rng.standard_normal((T, B, O)), rng.standard_normal((L, B, H))

    def final_states(cache):
        return np.stack([h[-1] for h in cache["hs"]])

    if truncate is None:
        def scalar():
            y, cache = rnn.forward(x, p, h0)
            return float((y * dy).sum() + (final_states(cache) * g).sum())
        grads = rnn.backward(dy, rnn.forward(x, p, h0)[1], dh_last=g)
        _check(scalar, grads, {**p, "x": x, "h_init": h0})
    else:
        # The final states sit in the last window, so truncation changes nothing about
        # how dh_last enters: it equals adding g to the output gradient of that window.
        _, cache = rnn.forward(x, p, h0)
        with_last = rnn.backward(dy, cache, truncate, dh_last=g)
        without = rnn.backward(dy, cache, truncate)
        assert any(rel_error(with_last[k], without[k]) > 1e-3 for k in p)
        if L == 1:
            # For one layer dh_last is the same as a gradient on the last hidden output.
            _, hcache = rnn.forward_hidden(x, {k: v for k, v in p.items() if "_o" not in k}, h0)
            dtop = np.zeros((T, B, H))
            dtop[-1] = g[0]
            a = rnn.backward_hidden(dtop, hcache, truncate)
            b = rnn.backward_hidden(np.zeros((T, B, H)), hcache, truncate, dh_last=g)
            for k in a:
                np.testing.assert_allclose(a[k], b[k], rtol=1e-13, atol=1e-13, err_msg=k)


def test_brnn_final_states_of_both_nets():
    rng = np.random.default_rng(5)
    D, H, L, T, B = 3, 3, 2, 4, 2
    p = _small(rng, brnn.init_params(D, H, L))
    x = rng.standard_normal((T, B, D))
    dh = rng.standard_normal((T, B, 2 * H))
    gf, gb = rng.standard_normal((L, B, H)), rng.standard_normal((L, B, H))

    def scalar():
        h, cache = brnn.forward(x, p)
        last_f = np.stack([s[-1] for s in cache["f"]["hs"]])   # after reading x[T-1]
        last_b = np.stack([s[-1] for s in cache["b"]["hs"]])   # after reading x[0]
        return float((h * dh).sum() + (last_f * gf).sum() + (last_b * gb).sum())

    grads = brnn.backward(dh, brnn.forward(x, p)[1], dh_last_f=gf, dh_last_b=gb)
    _check(scalar, grads, {**p, "x": x})


@pytest.mark.parametrize("mode", ["exact", "blocked"])
def test_elman_final_h(mode):
    rng = np.random.default_rng(6)
    p = _small(rng, elman.init_params(3, 4, 2))
    x = rng.standard_normal((4, 2, 3))
    dy, gh = rng.standard_normal((4, 2, 2)), rng.standard_normal((2, 4))
    _, cache = elman.forward(x, p)
    with_last = elman.backward(dy, cache, mode, dh_last=gh)
    if mode == "exact":
        def scalar():
            y, c = elman.forward(x, p)
            return float((y * dy).sum() + (c["h"][-1] * gh).sum())
        _check(scalar, with_last, {**p, "x": x})
    else:
        # Blocked mode keeps direct terms only: dh_last changes the last step's
        # gradients and nothing before it.
        without = elman.backward(dy, cache, mode)
        assert rel_error(with_last["W_c"], without["W_c"]) > 1e-3
        np.testing.assert_allclose(with_last["x"][:-1], without["x"][:-1])


def test_final_state_gradients_are_checked():
    x = np.zeros((3, 2, 4))
    _, cache = lstm.forward(x, lstm.init_params(4, 5, rng=0))
    with pytest.raises(ValueError, match=r"ds_last.*\(B, H\)"):
        lstm.backward(np.zeros((3, 2, 5)), cache, ds_last=np.zeros((2, 4)))
    _, cache = rnn.forward(x, rnn.init_params(4, 5, 1, L=2, rng=0))
    with pytest.raises(ValueError, match=r"dh_last.*\(L, B, H\)"):
        rnn.backward(np.zeros((3, 2, 1)), cache, dh_last=np.zeros((1, 2, 5)))
    _, cache = brnn.forward(x, brnn.init_params(4, 5, rng=0))
    with pytest.raises(ValueError, match=r"dh_last_b"):
        brnn.backward(np.zeros((3, 2, 10)), cache, dh_last_b=np.zeros((1, 3, 5)))


def test_the_callers_final_state_gradient_is_not_modified():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 2, 4))
    _, cache = lstm.forward(x, lstm.init_params(4, 5, rng=0))
    gh, gs = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    before = gh.copy(), gs.copy()
    lstm.backward(np.zeros((3, 2, 5)), cache, dh_last=gh, ds_last=gs)
    np.testing.assert_array_equal(gh, before[0])
    np.testing.assert_array_equal(gs, before[1])


# -- outputs the caller may modify ---------------------------------------------------

def _models():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 2, 3))
    p_rnn = rnn.init_params(3, 4, 2, L=2, rng=1)
    hidden = {k: v for k, v in p_rnn.items() if not k.startswith(("W_o", "b_o"))}
    return {
        "tdnn": (lambda: tdnn.forward(x, tdnn.init_params(3, 4, 2, rng=1)), tdnn.backward),
        "narx": (lambda: narx.forward(x, narx.init_params(3, 4, 2, L=1, K=2, rng=1)),
                 narx.backward),
        "jordan": (lambda: jordan.forward(x, jordan.init_params(3, 4, 2, rng=1)),
                   jordan.backward),
        "elman": (lambda: elman.forward(x, elman.init_params(3, 4, 2, rng=1)), elman.backward),
        "rnn": (lambda: rnn.forward(x, p_rnn), rnn.backward),
        "rnn.forward_hidden": (lambda: rnn.forward_hidden(x, hidden), rnn.backward_hidden),
        "brnn": (lambda: brnn.forward(x, brnn.init_params(3, 4, rng=1)), brnn.backward),
        "lstm": (lambda: lstm.forward(x, lstm.init_params(3, 4, rng=1)), lstm.backward),
        "gru": (lambda: gru.forward(x, gru.init_params(3, 4, rng=1)), gru.backward),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_editing_the_output_does_not_change_backward(name):
    forward, backward = _models()[name]
    out, cache = forward()
    dout = np.random.default_rng(0).standard_normal(out.shape)
    expected = backward(dout, forward()[1])
    out -= 17.0                               # what a reader does with y -= d
    out[0] = np.nan
    got = backward(dout, cache)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=f"{name}: {key}")
