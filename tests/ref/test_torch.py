"""rnn_ref agrees with torch.nn.RNN / LSTM / GRU (float64, weights copied) within 1e-10.

Outputs and *all* gradients are compared: every weight and bias, the input and the
initial states. PyTorch has two biases per layer where rnn_ref's tanh RNN and LSTM have
one; their sum is the same function, and each of them gets rnn_ref's bias gradient.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn_ref import brnn, gru, lstm, rnn  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)
CASES = [(1, 1, 3, 4), (5, 3, 4, 6), (12, 2, 7, 5)]           # (T, B, D, H)


def t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def n(tensor):
    return tensor.detach().numpy()


def close(ours, theirs, what):
    np.testing.assert_allclose(ours, n(theirs), **TOL, err_msg=what)


@pytest.mark.parametrize("T,B,D,H", CASES)
@pytest.mark.parametrize("L", [1, 3])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_matches_torch(T, B, D, H, L, nonlinearity):
    rng = np.random.default_rng([T, B, L])
    O = 3
    p = rnn.init_params(D, H, O, L, rng=rng)
    for l in range(1, L + 1):
        p[f"b{l}"] = rng.uniform(-0.5, 0.5, H)
    p["b_o"] = rng.uniform(-0.5, 0.5, O)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((L, B, H))
    dy = rng.standard_normal((T, B, O))

    net = torch.nn.RNN(D, H, num_layers=L, nonlinearity=nonlinearity, dtype=torch.float64)
    out_layer = torch.nn.Linear(H, O, dtype=torch.float64)
    with torch.no_grad():
        for l in range(1, L + 1):
            getattr(net, f"weight_ih_l{l - 1}").copy_(torch.from_numpy(p[f"W_c{l}"]))
            getattr(net, f"weight_hh_l{l - 1}").copy_(torch.from_numpy(p[f"W_r{l}"]))
            getattr(net, f"bias_ih_l{l - 1}").copy_(torch.from_numpy(0.3 * p[f"b{l}"]))
            getattr(net, f"bias_hh_l{l - 1}").copy_(torch.from_numpy(0.7 * p[f"b{l}"]))
        out_layer.weight.copy_(torch.from_numpy(p["W_o"]))
        out_layer.bias.copy_(torch.from_numpy(p["b_o"]))
    tx, th0 = t(x), t(h0)
    hs, _ = net(tx, th0)
    ty = out_layer(hs)
    (ty * torch.from_numpy(dy)).sum().backward()

    y, cache = rnn.forward(x, p, h0, activation=nonlinearity)
    g = rnn.backward(dy, cache)
    close(y, ty, "y")
    for l in range(1, L + 1):
        close(g[f"W_c{l}"], getattr(net, f"weight_ih_l{l - 1}").grad, f"W_c{l}")
        close(g[f"W_r{l}"], getattr(net, f"weight_hh_l{l - 1}").grad, f"W_r{l}")
        close(g[f"b{l}"], getattr(net, f"bias_ih_l{l - 1}").grad, f"b{l} (ih)")
        close(g[f"b{l}"], getattr(net, f"bias_hh_l{l - 1}").grad, f"b{l} (hh)")
    close(g["W_o"], out_layer.weight.grad, "W_o")
    close(g["b_o"], out_layer.bias.grad, "b_o")
    close(g["x"], tx.grad, "x")
    close(g["h_init"], th0.grad, "h_init")


def _copy_direction(net, layer, suffix, params, d):
    with torch.no_grad():
        getattr(net, f"weight_ih_l{layer}{suffix}").copy_(torch.from_numpy(params[f"W_{d}c1"]))
        getattr(net, f"weight_hh_l{layer}{suffix}").copy_(torch.from_numpy(params[f"W_{d}r1"]))
        getattr(net, f"bias_ih_l{layer}{suffix}").copy_(torch.from_numpy(params[f"b_{d}1"]))
        getattr(net, f"bias_hh_l{layer}{suffix}").zero_()


def _check_direction(net, layer, suffix, grads, d):
    close(grads[f"W_{d}c1"], getattr(net, f"weight_ih_l{layer}{suffix}").grad, f"W_{d}c1")
    close(grads[f"W_{d}r1"], getattr(net, f"weight_hh_l{layer}{suffix}").grad, f"W_{d}r1")
    close(grads[f"b_{d}1"], getattr(net, f"bias_ih_l{layer}{suffix}").grad, f"b_{d}1")


@pytest.mark.parametrize("T,B,D,H", CASES)
@pytest.mark.parametrize("blocks", [1, 2])
def test_bidirectional_matches_torch(T, B, D, H, blocks):
    """One block = torch's bidirectional layer; ``blocks`` stacked = num_layers."""
    rng = np.random.default_rng([T, B, blocks, 9])
    params = [brnn.init_params(D if k == 0 else 2 * H, H, rng=rng) for k in range(blocks)]
    for p in params:
        for key in p:
            if key.startswith("b_"):
                p[key] = rng.uniform(-0.5, 0.5, H)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((2 * blocks, B, H))     # torch order: layer-major, fwd then bwd
    dout = rng.standard_normal((T, B, 2 * H))

    net = torch.nn.RNN(D, H, num_layers=blocks, bidirectional=True, dtype=torch.float64)
    for k, p in enumerate(params):
        _copy_direction(net, k, "", p, "f")
        _copy_direction(net, k, "_reverse", p, "b")
    tx, th0 = t(x), t(h0)
    tout, _ = net(tx, th0)
    (tout * torch.from_numpy(dout)).sum().backward()

    inp, caches = x, []
    for k, p in enumerate(params):
        inp, c = brnn.forward(inp, p, h0[2 * k:2 * k + 1], h0[2 * k + 1:2 * k + 2])
        caches.append(c)
    close(inp, tout, "output")
    grad = dout
    dh0 = np.empty_like(h0)
    for k in reversed(range(blocks)):
        g = brnn.backward(grad, caches[k])
        _check_direction(net, k, "", g, "f")
        _check_direction(net, k, "_reverse", g, "b")
        dh0[2 * k], dh0[2 * k + 1] = g["h_init_f"][0], g["h_init_b"][0]
        grad = g["x"]
    close(grad, tx.grad, "x")
    close(dh0, th0.grad, "h_init")


@pytest.mark.parametrize("T,B,D,H", CASES)
def test_lstm_matches_torch(T, B, D, H):
    rng = np.random.default_rng([T, B, 11])
    p = lstm.init_params(D, H, rng=rng)
    b_ih, b_hh = rng.uniform(-0.5, 0.5, 4 * H), rng.uniform(-0.5, 0.5, 4 * H)
    p["b"] = b_ih + b_hh
    x, h0, s0 = (rng.standard_normal(s) for s in ((T, B, D), (B, H), (B, H)))
    dh = rng.standard_normal((T, B, H))

    net = torch.nn.LSTM(D, H, dtype=torch.float64)
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(p["W_x"]))
        net.weight_hh_l0.copy_(torch.from_numpy(p["W_h"]))
        net.bias_ih_l0.copy_(torch.from_numpy(b_ih))
        net.bias_hh_l0.copy_(torch.from_numpy(b_hh))
    tx, th0, ts0 = t(x), t(h0[None]), t(s0[None])
    th, _ = net(tx, (th0, ts0))
    (th * torch.from_numpy(dh)).sum().backward()

    h, cache = lstm.forward(x, p, h0, s0)
    g = lstm.backward(dh, cache)
    close(h, th, "h")
    close(g["W_x"], net.weight_ih_l0.grad, "W_x")
    close(g["W_h"], net.weight_hh_l0.grad, "W_h")
    close(g["b"], net.bias_ih_l0.grad, "b (ih)")
    close(g["b"], net.bias_hh_l0.grad, "b (hh)")
    close(g["x"], tx.grad, "x")
    close(g["h_init"], th0.grad[0], "h_init")
    close(g["s_init"], ts0.grad[0], "s_init")


@pytest.mark.parametrize("T,B,D,H", CASES)
def test_gru_matches_torch(T, B, D, H):
    rng = np.random.default_rng([T, B, 12])
    p = gru.init_params(D, H, rng=rng)
    p["b_x"], p["b_h"] = rng.uniform(-0.5, 0.5, 3 * H), rng.uniform(-0.5, 0.5, 3 * H)
    x, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    dh = rng.standard_normal((T, B, H))

    net = torch.nn.GRU(D, H, dtype=torch.float64)
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(p["W_x"]))
        net.weight_hh_l0.copy_(torch.from_numpy(p["W_h"]))
        net.bias_ih_l0.copy_(torch.from_numpy(p["b_x"]))
        net.bias_hh_l0.copy_(torch.from_numpy(p["b_h"]))
    tx, th0 = t(x), t(h0[None])
    th, _ = net(tx, th0)
    (th * torch.from_numpy(dh)).sum().backward()

    h, cache = gru.forward(x, p, h0)
    g = gru.backward(dh, cache)
    close(h, th, "h")
    close(g["W_x"], net.weight_ih_l0.grad, "W_x")
    close(g["W_h"], net.weight_hh_l0.grad, "W_h")
    close(g["b_x"], net.bias_ih_l0.grad, "b_x")
    close(g["b_h"], net.bias_hh_l0.grad, "b_h")
    close(g["x"], tx.grad, "x")
    close(g["h_init"], th0.grad[0], "h_init")


def test_cells_match_sequence_layers():
    """The one-step cells compute the same thing as one step of the sequence layers."""
    rng = np.random.default_rng(0)
    x, h0, s0 = rng.standard_normal((1, 2, 3)), rng.standard_normal((2, 4)), \
        rng.standard_normal((2, 4))
    p = lstm.init_params(3, 4, rng=rng)
    h_seq, _ = lstm.forward(x, p, h0, s0)
    h_cell, _, _ = lstm.cell_forward(x[0], h0, s0, p)
    np.testing.assert_allclose(h_cell, h_seq[0], rtol=1e-14, atol=1e-14)
    p = gru.init_params(3, 4, rng=rng)
    np.testing.assert_allclose(gru.cell_forward(x[0], h0, p)[0], gru.forward(x, p, h0)[0][0],
                               rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("T,B,D,H", CASES)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_final_state_gradients_match_torch(T, B, D, H, cell):
    """Gradients on torch's h_n (every layer) and c_n reach the same place as rnn_ref's
    dh_last / ds_last (what an encoder receives from its decoder)."""
    rng = np.random.default_rng([T, B, len(cell)])
    L = 2 if cell == "rnn" else 1
    x = rng.standard_normal((T, B, D))
    dh = rng.standard_normal((T, B, H))
    g_h, g_s = rng.standard_normal((L, B, H)), rng.standard_normal((L, B, H))
    if cell == "rnn":
        net = torch.nn.RNN(D, H, num_layers=L, dtype=torch.float64)
        p = rnn.init_params(D, H, 1, L, rng=rng)
        with torch.no_grad():
            for l in range(1, L + 1):
                getattr(net, f"weight_ih_l{l - 1}").copy_(torch.from_numpy(p[f"W_c{l}"]))
                getattr(net, f"weight_hh_l{l - 1}").copy_(torch.from_numpy(p[f"W_r{l}"]))
                getattr(net, f"bias_ih_l{l - 1}").zero_()
                getattr(net, f"bias_hh_l{l - 1}").zero_()
        hidden = {k: v for k, v in p.items() if k not in ("W_o", "b_o")}
        h, cache = rnn.forward_hidden(x, hidden)
        g = rnn.backward_hidden(dh, cache, dh_last=g_h)
        names = {"W_c1": "weight_ih_l0", "W_r1": "weight_hh_l0", "W_c2": "weight_ih_l1",
                 "W_r2": "weight_hh_l1"}
    else:
        module = lstm if cell == "lstm" else gru
        net = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(D, H, dtype=torch.float64)
        p = module.init_params(D, H, rng=rng)
        with torch.no_grad():
            net.weight_ih_l0.copy_(torch.from_numpy(p["W_x"]))
            net.weight_hh_l0.copy_(torch.from_numpy(p["W_h"]))
            net.bias_ih_l0.zero_()
            net.bias_hh_l0.zero_()
        h, cache = module.forward(x, p)
        if cell == "lstm":
            g = lstm.backward(dh, cache, dh_last=g_h[0], ds_last=g_s[0])
        else:
            g = gru.backward(dh, cache, dh_last=g_h[0])
        names = {"W_x": "weight_ih_l0", "W_h": "weight_hh_l0"}
    tx = t(x)
    out, state = net(tx)
    h_n, c_n = state if cell == "lstm" else (state, None)
    loss = (out * torch.from_numpy(dh)).sum() + (h_n * torch.from_numpy(g_h)).sum()
    if c_n is not None:
        loss = loss + (c_n * torch.from_numpy(g_s)).sum()
    loss.backward()
    close(h, out, "h")
    for ours, theirs in names.items():
        close(g[ours], getattr(net, theirs).grad, ours)
    close(g["x"], tx.grad, "x")
