"""rnn_ref.seq2seq agrees with an encoder-decoder built from torch.nn.LSTM / GRU.

The PyTorch model: the encoder reads a packed batch (``pack_padded_sequence``, so each
source stops at its own length) and, if bidirectional, is ``bidirectional=True``; its
``h_n`` (and ``c_n``), both directions concatenated, start a decoder of width ``H'``
that reads one-hot teacher-forced tokens; an ``nn.Linear`` gives the logits; the loss is
the per-step cross-entropy summed over the steps up to each EOS and averaged over the
batch. Weights are copied, float64; the loss, the logits and every gradient (all
weights, biases and the source) agree within 1e-10.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn_ref import seq2seq  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)
EOS, BOS = 0, 1


def _copy(net, suffix, params, prefix, cell, rng):
    """Copy one direction; split a single LSTM bias randomly over torch's two."""
    with torch.no_grad():
        getattr(net, f"weight_ih_l0{suffix}").copy_(torch.from_numpy(params[prefix + "W_x"]))
        getattr(net, f"weight_hh_l0{suffix}").copy_(torch.from_numpy(params[prefix + "W_h"]))
        if cell == "lstm":
            part = rng.uniform(-0.5, 0.5, params[prefix + "b"].shape)
            getattr(net, f"bias_ih_l0{suffix}").copy_(torch.from_numpy(part))
            getattr(net, f"bias_hh_l0{suffix}").copy_(
                torch.from_numpy(params[prefix + "b"] - part))
        else:
            getattr(net, f"bias_ih_l0{suffix}").copy_(torch.from_numpy(params[prefix + "b_x"]))
            getattr(net, f"bias_hh_l0{suffix}").copy_(torch.from_numpy(params[prefix + "b_h"]))


def _compare(grads, params, net, suffix, prefix, cell):
    def close(ours, theirs, what):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), **TOL, err_msg=what)
    close(grads[prefix + "W_x"], getattr(net, f"weight_ih_l0{suffix}").grad, prefix + "W_x")
    close(grads[prefix + "W_h"], getattr(net, f"weight_hh_l0{suffix}").grad, prefix + "W_h")
    if cell == "lstm":
        close(grads[prefix + "b"], getattr(net, f"bias_ih_l0{suffix}").grad, prefix + "b ih")
        close(grads[prefix + "b"], getattr(net, f"bias_hh_l0{suffix}").grad, prefix + "b hh")
    else:
        close(grads[prefix + "b_x"], getattr(net, f"bias_ih_l0{suffix}").grad, prefix + "b_x")
        close(grads[prefix + "b_h"], getattr(net, f"bias_hh_l0{suffix}").grad, prefix + "b_h")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_seq2seq_matches_torch(cell, bidirectional):
    rng = np.random.default_rng([len(cell), bidirectional])
    T, B, U, D, H, V = 6, 4, 5, 3, 4, 7
    Hd = 2 * H if bidirectional else H
    p = seq2seq.init_params(D, H, V, cell, bidirectional, rng=rng)
    for k in p:
        if k.startswith(("enc", "dec")) and p[k].ndim == 1 or k == "b_o":
            p[k] = rng.uniform(-0.5, 0.5, p[k].shape)
    x = rng.standard_normal((T, B, D))
    lengths = np.array([T, 1, 3, 5])
    targets = rng.integers(2, V, size=(U, B))
    for b, end in enumerate([U - 1, 0, 2, 3]):
        targets[end, b] = EOS
        targets[end + 1:, b] = -1                            # padding

    logits, cache = seq2seq.forward(x, targets, p, BOS, EOS, lengths)
    loss, dlogits = seq2seq.sequence_loss(logits, targets, EOS)
    grads = seq2seq.backward(dlogits, cache)

    Net = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
    enc = Net(D, H, bidirectional=bidirectional, dtype=torch.float64)
    dec = Net(V, Hd, dtype=torch.float64)
    out = torch.nn.Linear(Hd, V, dtype=torch.float64)
    _copy(enc, "", p, "enc_", cell, rng)
    if bidirectional:
        _copy(enc, "_reverse", p, "enc_rev_", cell, rng)
    _copy(dec, "", p, "dec_", cell, rng)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(p["W_o"]))
        out.bias.copy_(torch.from_numpy(p["b_o"]))

    tx = torch.tensor(x, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.from_numpy(lengths),
                                                     enforce_sorted=False)
    _, state = enc(packed)
    states = state if cell == "lstm" else (state,)
    init = tuple(torch.cat(list(s), dim=1)[None] for s in states)   # [forward; backward]
    mask = seq2seq.target_mask(targets, EOS)
    clean = np.where(mask > 0, targets, EOS)
    tokens = seq2seq.decoder_inputs(clean, BOS)
    y_in = torch.nn.functional.one_hot(torch.from_numpy(tokens), V).to(torch.float64)
    h_dec, _ = dec(y_in, init if cell == "lstm" else init[0])
    t_logits = out(h_dec)
    per_step = torch.nn.functional.cross_entropy(t_logits.reshape(U * B, V),
                                                 torch.from_numpy(clean.reshape(-1)),
                                                 reduction="none").reshape(U, B)
    t_loss = (per_step * torch.from_numpy(mask)).sum() / B
    t_loss.backward()

    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(logits, t_logits.detach().numpy(), **TOL)
    _compare(grads, p, enc, "", "enc_", cell)
    if bidirectional:
        _compare(grads, p, enc, "_reverse", "enc_rev_", cell)
    _compare(grads, p, dec, "", "dec_", cell)
    np.testing.assert_allclose(grads["W_o"], out.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(grads["b_o"], out.bias.grad.numpy(), **TOL)
    np.testing.assert_allclose(grads["x"], tx.grad.numpy(), **TOL)
    for ours, theirs in zip(seq2seq.encode(x, p, lengths), init):
        np.testing.assert_allclose(ours, theirs[0].detach().numpy(), **TOL)
