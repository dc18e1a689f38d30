"""SequenceModel's gradients are right for every cell, and fit() trains."""

import numpy as np
import pytest

from rnn_ref import data, losses, optim
from rnn_ref.gradcheck import check_layer
from rnn_ref.seqmodel import SequenceModel, fit

from test_gradcheck import randomize


@pytest.mark.parametrize("cell,L", [("rnn", 1), ("rnn", 2), ("lstm", 1), ("gru", 1)])
def test_gradients(cell, L):
    rng = np.random.default_rng(len(cell) + L)
    m = SequenceModel(cell, 3, 4, 2, L=L, rng=rng)
    m.params = randomize(m.params, rng)
    x = rng.standard_normal((5, 2, 3))
    errors = check_layer(lambda: m.forward(x), m.backward, {**m.params, "x": x})
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_state_carries_over(cell):
    """Running two windows with the carried state equals running them as one sequence."""
    rng = np.random.default_rng(0)
    m = SequenceModel(cell, 3, 4, 2, rng=rng)
    x = rng.standard_normal((6, 2, 3))
    y_full, _ = m.forward(x)
    y1, c1 = m.forward(x[:4])
    y2, _ = m.forward(x[4:], m.final_state(c1))
    np.testing.assert_allclose(np.concatenate([y1, y2]), y_full, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_fit_learns_delayed_copy(cell):
    T, B, V = 8, 16, 3

    def batches():
        step = 0
        while True:
            x, t, mask = data.delayed_copy(T, B, 1, V, rng=step)
            yield x, (t, mask)
            step += 1

    m = SequenceModel(cell, V, 16, V, rng=0)
    history = fit(m, batches(), lambda y, tm: losses.softmax_cross_entropy(y, *tm),
                  optim.Adagrad(0.1), steps=150, clip=5.0, progress=False)
    assert len(history) == 150
    assert history[-1] / (T - 1) < 0.2 < history[0] / (T - 1)


def test_generate_and_tbptt_on_text():
    text = "hello world " * 20
    vocab = data.Vocabulary(text)
    m = SequenceModel("lstm", vocab.size, 16, vocab.size, rng=0)
    ids = vocab.encode(text)

    def batches():
        for _ in range(30):
            for xi, ti in data.stream_batches(ids, T=10, B=4):
                yield data.one_hot(xi, vocab.size), ti

    history = fit(m, batches(), losses.softmax_cross_entropy, optim.Adagrad(0.1),
                  clip=5.0, carry_state=True, progress=False)
    assert np.mean(history[-5:]) < 0.3 * np.mean(history[:5])
    sample = m.generate("hel", 20, vocab, temperature=0.5, rng=1)
    assert len(sample) == 20 and set(sample) <= set(text)


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell"):
        SequenceModel("transformer", 2, 2, 2)
    with pytest.raises(ValueError, match="only built for cell='rnn'"):
        SequenceModel("gru", 2, 2, 2, L=2)
    m = SequenceModel("gru", 2, 3, 4)
    _, cache = m.forward(np.zeros((2, 1, 2)))
    with pytest.raises(ValueError, match="dy"):
        m.backward(np.zeros((2, 1, 3)), cache)
