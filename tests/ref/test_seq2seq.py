"""rnn_ref.seq2seq: gradients, masking, teacher forcing, greedy and beam search, bad input.

PyTorch comparisons are in test_seq2seq_torch.py.
"""

import itertools

import numpy as np
import pytest

from rnn_ref import seq2seq
from rnn_ref.gradcheck import check_layer, numerical_gradient, rel_error

EOS, BOS = 0, 1          # token 0 ends a sequence, token 1 starts the decoder
TOL = 1e-7


def _model(cell, bidirectional, D=3, H=3, V=5, seed=0):
    rng = np.random.default_rng([seed, len(cell), bidirectional])
    p = seq2seq.init_params(D, H, V, cell, bidirectional, rng=rng)
    # Non-zero biases everywhere, and weights large enough that the tanh's are not linear.
    return {k: (0.8 * rng.standard_normal(v.shape) / np.sqrt(v.shape[-1]) if v.ndim > 1
                else 0.3 * rng.standard_normal(v.shape)) for k, v in p.items()}


def _batch(T, B, U, D=3, V=5, seed=0):
    """Sources with lengths 1..T (the longest = T), targets ending in EOS then padding."""
    rng = np.random.default_rng([seed, T, B, U])
    x = rng.standard_normal((T, B, D))
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0] = T
    targets = rng.integers(2, V, size=(U, B))
    ends = rng.integers(0, U, size=B)
    ends[0] = U - 1
    for b, e in enumerate(ends):
        targets[e, b] = EOS
        targets[e + 1:, b] = rng.integers(-3, V, size=U - e - 1)    # padding: anything
    return x, targets, lengths


CONFIGS = [("lstm", False), ("lstm", True), ("gru", False), ("gru", True)]
# (T, B, U): every configuration on a padded batch, then single steps and single sequences.
GRADCHECKS = [(c, b, 4, 3, 4) for c, b in CONFIGS] + [
    ("lstm", False, 1, 1, 1), ("gru", True, 1, 1, 1), ("lstm", True, 2, 1, 3)]


@pytest.mark.parametrize("cell,bidirectional,T,B,U", GRADCHECKS)
def test_backward_matches_central_differences(cell, bidirectional, T, B, U):
    p = _model(cell, bidirectional, H=2, V=4)
    x, targets, lengths = _batch(T, B, U, V=4)

    def forward():
        return seq2seq.forward(x, targets, p, BOS, EOS, lengths)

    errors = check_layer(forward, seq2seq.backward, {**p, "x": x})
    bad = {k: e for k, e in errors.items() if e > TOL}
    assert not bad, f"relative errors above {TOL}: {bad}"


@pytest.mark.parametrize("cell,bidirectional", [("lstm", True), ("gru", False)])
def test_loss_gradient_and_the_encoder_state_gradient(cell, bidirectional):
    """The whole training objective, and ``enc_h``/``enc_s``: the gradient with respect
    to the decoder's initial state, checked by perturbing that state directly."""
    p = _model(cell, bidirectional, seed=1)
    x, targets, lengths = _batch(5, 3, 4, seed=1)

    def loss():
        return seq2seq.sequence_loss(seq2seq.forward(x, targets, p, BOS, EOS, lengths)[0],
                                     targets, EOS)[0]

    logits, cache = seq2seq.forward(x, targets, p, BOS, EOS, lengths)
    _, dlogits = seq2seq.sequence_loss(logits, targets, EOS)
    grads = seq2seq.backward(dlogits, cache)
    for key in ("W_o", "dec_W_h", "enc_W_x"):
        assert rel_error(grads[key], numerical_gradient(loss, p[key])) < TOL, key

    # Perturb c itself: run the decoder from a given state with teacher forcing.
    state = list(seq2seq.encode(x, p, lengths))
    clean = np.where(seq2seq.target_mask(targets, EOS) > 0, targets, EOS)

    def loss_from_state():
        tokens = seq2seq.decoder_inputs(clean, BOS)
        st, total = tuple(state), 0.0
        for u in range(targets.shape[0]):
            logp, st = seq2seq.decoder_step(tokens[u], st, p)
            total -= (seq2seq.target_mask(targets, EOS)[u]
                      * logp[np.arange(x.shape[1]), clean[u]]).sum()
        return total / x.shape[1]

    assert abs(loss_from_state() - loss()) < 1e-12
    names = ["enc_h", "enc_s"] if cell == "lstm" else ["enc_h"]
    for name, a in zip(names, state):
        assert rel_error(grads[name], numerical_gradient(loss_from_state, a)) < TOL, name


def test_padding_is_never_read():
    """Padding after a source's length and after a target's EOS changes nothing, and the
    gradient on padded source steps is zero."""
    p = _model("lstm", True, seed=2)
    x, targets, lengths = _batch(5, 4, 4, seed=2)
    lengths[1:] = [1, 3, 4]
    logits, cache = seq2seq.forward(x, targets, p, BOS, EOS, lengths)
    loss, dlogits = seq2seq.sequence_loss(logits, targets, EOS)
    grads = seq2seq.backward(dlogits, cache)

    x2, t2 = x.copy(), targets.copy()
    for b, L in enumerate(lengths):
        x2[L:, b] = 100.0
    mask = seq2seq.target_mask(targets, EOS)
    t2[mask == 0] = 3
    logits2, cache2 = seq2seq.forward(x2, t2, p, BOS, EOS, lengths)
    loss2, dlogits2 = seq2seq.sequence_loss(logits2, t2, EOS)
    grads2 = seq2seq.backward(dlogits2, cache2)
    assert loss2 == pytest.approx(loss, rel=1e-14)
    np.testing.assert_allclose(logits2[mask > 0], logits[mask > 0], rtol=1e-13)
    for k in grads:
        np.testing.assert_allclose(grads2[k], grads[k], rtol=1e-12, atol=1e-14, err_msg=k)
    for b, L in enumerate(lengths):
        assert not grads["x"][L:, b].any()
    assert (dlogits[mask == 0] == 0).all()
    assert mask.sum(axis=0).tolist() == (np.argmax(targets == EOS, axis=0) + 1).tolist()


def test_teacher_forcing_reads_the_previous_target():
    """Step u is scored against targets[u] and reads targets[u-1]: changing targets[u]
    changes the logits of later steps only."""
    p = _model("gru", False, seed=3)
    x, _, _ = _batch(3, 2, 5, seed=3)
    targets = np.array([[2, 3], [4, 2], [3, 4], [2, 0], [0, 0]])
    base, _ = seq2seq.forward(x, targets, p, BOS, EOS)
    assert seq2seq.decoder_inputs(targets, BOS).tolist() == [[1, 1], [2, 3], [4, 2],
                                                            [3, 4], [2, 0]]
    for u in range(3):
        changed = targets.copy()
        changed[u, 0] = 4 if targets[u, 0] != 4 else 3
        logits, _ = seq2seq.forward(x, changed, p, BOS, EOS)
        np.testing.assert_array_equal(logits[:u + 1], base[:u + 1])
        assert np.abs(logits[u + 1:, 0] - base[u + 1:, 0]).max() > 1e-6
        np.testing.assert_array_equal(logits[:, 1], base[:, 1])


def _sequence_logprob(x, seq, p, bos=BOS):
    """log P(seq | x) of one source by teacher forcing (sequence layers, not the step
    function that decoding uses): the sum of the log-probabilities of seq's tokens."""
    seq = np.asarray(seq)
    targets = np.append(seq, EOS)[:, None]
    logits, _ = seq2seq.forward(x, targets, p, bos, EOS)
    logp = logits[:len(seq), 0] - np.log(np.exp(logits[:len(seq), 0]).sum(axis=1,
                                                                          keepdims=True))
    return float(logp[np.arange(len(seq)), seq].sum())


@pytest.mark.parametrize("cell,bidirectional", CONFIGS)
def test_width_one_is_greedy_and_logprobs_are_the_models(cell, bidirectional):
    p = {k: 3.0 * v for k, v in _model(cell, bidirectional, V=6, seed=4).items()}
    x, _, lengths = _batch(4, 5, 1, seed=4)
    greedy, lp_g, trace = seq2seq.decode(x, p, BOS, EOS, max_len=6, src_lengths=lengths)
    beam, lp_b, _ = seq2seq.decode(x, p, BOS, EOS, max_len=6, beam_width=1,
                                   src_lengths=lengths)
    beam3, lp_3, _ = seq2seq.decode(x, p, BOS, EOS, max_len=6, beam_width=3,
                                    src_lengths=lengths)
    for b in range(x.shape[1]):
        assert greedy[b].tolist() == beam[b].tolist()
        assert lp_g[b] == pytest.approx(lp_b[b], abs=1e-12)
        assert trace[b].shape == (len(greedy[b]), 6)
        assert trace[b].argmax(axis=1).tolist() == greedy[b].tolist()
        xb = x[:lengths[b], b:b + 1]
        assert _sequence_logprob(xb, greedy[b], p) == pytest.approx(lp_g[b], abs=1e-12)
        assert _sequence_logprob(xb, beam3[b], p) == pytest.approx(lp_3[b], abs=1e-12)


@pytest.mark.parametrize("seed,eos_bias", [(5, 0.0), (12, -1.5), (14, -1.5)])
def test_an_unpruned_beam_is_exhaustive(seed, eos_bias):
    """With a beam too wide to prune, beam search returns the most probable sequence of
    all (checked by enumerating them: those ending in EOS, and those cut at max_len),
    which is at least as probable as greedy's. (Seeds chosen so that the winner is a
    short finished sequence in one case and greedy, width 2 and the full beam all differ
    in another.)"""
    V, max_len, bos = 3, 4, 2
    p = {k: 3.0 * v for k, v in _model("lstm", False, V=V, seed=seed).items()}
    p["b_o"][EOS] += eos_bias
    x = np.random.default_rng(seed).standard_normal((3, 1, 3))
    width = sum(V ** k for k in range(1, max_len + 1))
    seq, lp, _ = seq2seq.decode(x, p, bos, EOS, max_len, beam_width=width)
    (greedy,), (lp_g,), _ = seq2seq.decode(x, p, bos, EOS, max_len)
    candidates = [body + (EOS,) for n in range(max_len)
                  for body in itertools.product([1, 2], repeat=n)]
    candidates += list(itertools.product([1, 2], repeat=max_len))
    best = max(candidates, key=lambda c: _sequence_logprob(x, c, p, bos))
    assert seq[0].tolist() == list(best)
    assert lp[0] == pytest.approx(_sequence_logprob(x, best, p, bos), abs=1e-12)
    assert lp[0] >= lp_g - 1e-12


def _table_step():
    """A decoder whose next-token probabilities are a table indexed by the prefix.

    Tokens: 0 = EOS, 1 = 'a', 2 = 'b'. The state is a code of the prefix read so far
    (-1 before the start token). P(a) = .5, P(b) = .4 first; after 'a', EOS has .5;
    after 'b', .9. Greedy takes 'a' then EOS: .5 * .5 = .25. A beam of 2 also keeps 'b'
    and finds 'b' EOS: .4 * .9 = .36.
    """
    table = {0: [.1, .5, .4], 2: [.5, .25, .25], 3: [.9, .05, .05]}

    def step(tokens, state):
        code = state[0]
        new = np.where(code < 0, 0, code * 4 + tokens + 1)
        return np.log(np.array([table[int(c)] for c in new])), (new,)

    return step, (np.array([-1]),)


def test_beam_search_by_hand():
    step, state = _table_step()
    seqs, lp, trace = seq2seq.greedy_search(step, state, bos=0, eos=0, max_len=5)
    assert seqs[0].tolist() == [1, 0] and lp[0] == pytest.approx(np.log(.25))
    np.testing.assert_allclose(trace[0], [[.1, .5, .4], [.5, .25, .25]])
    seq, lp1, _ = seq2seq.beam_search(step, state, 0, 0, 5, width=1)
    assert seq.tolist() == [1, 0] and lp1 == pytest.approx(np.log(.25))
    seq, lp2, trace = seq2seq.beam_search(step, state, 0, 0, 5, width=2)
    assert seq.tolist() == [2, 0] and lp2 == pytest.approx(np.log(.36))
    assert [s for s, _ in trace[0]] == [(1,), (2,)]
    assert [s for s, _ in trace[1]] == [(2, 0), (1, 0)]        # both finished: the end
    assert len(trace) == 2


def test_beam_search_stops_when_nothing_can_overtake():
    """Once the best finished sequence beats every kept prefix, the search ends."""
    table = {0: [.7, .2, .1], 2: [.1, .1, .8], 3: [.1, .1, .8]}

    def step(tokens, state):
        code = state[0]
        new = np.where(code < 0, 0, code * 4 + tokens + 1)
        return np.log(np.array([table[int(c)] for c in new])), (new,)

    seq, lp, trace = seq2seq.beam_search(step, (np.array([-1]),), 0, 0, 9, width=3)
    assert seq.tolist() == [0] and lp == pytest.approx(np.log(.7))
    assert len(trace) == 1          # .2 and .1 can only shrink below .7: no step 2 lookups


def test_unfinished_sequences_are_cut_at_max_len():
    step = (lambda tokens, state: (np.log(np.tile([.1, .9], (len(tokens), 1))), state))
    seqs, lp, _ = seq2seq.greedy_search(step, (np.zeros((2, 1)),), 0, 0, max_len=3)
    assert [s.tolist() for s in seqs] == [[1, 1, 1], [1, 1, 1]]
    assert lp == pytest.approx(3 * np.log(.9))
    seq, lp, trace = seq2seq.beam_search(step, (np.zeros((1, 1)),), 0, 0, 3, width=2)
    assert seq.tolist() == [1, 1, 1] and lp == pytest.approx(3 * np.log(.9))
    assert trace[0] == [((1,), pytest.approx(np.log(.9))), ((0,), pytest.approx(np.log(.1)))]
    assert len(trace) == 3


# -- bad input ---------------------------------------------------------------------

P = seq2seq.init_params(3, 4, 5, rng=0)
X = np.zeros((3, 2, 3))
TGT = np.array([[2, 3], [0, 0]])


def _cache():
    return seq2seq.forward(X, TGT, P, BOS, EOS)[1]


BAD = {
    "cell": (lambda: seq2seq.init_params(3, 4, 5, cell="rnn"), ["cell", "'lstm', 'gru'"]),
    "bidirectional": (lambda: seq2seq.init_params(3, 4, 5, bidirectional=1),
                      ["bidirectional", "True or False"]),
    "missing key": (lambda: seq2seq.forward(X, TGT, {k: v for k, v in P.items()
                                                     if k != "dec_W_h"}, BOS, EOS),
                    ["missing 'dec_W_h'"]),
    "mixed cells": (lambda: seq2seq.forward(X, TGT, {**P, "dec_b_x": np.zeros(20)}, BOS, EOS),
                    ["unexpected 'dec_b_x'"]),
    "x 2-D": (lambda: seq2seq.forward(X[0], TGT, P, BOS, EOS), ["x", "(T, B, D)"]),
    "x wrong D": (lambda: seq2seq.forward(np.zeros((3, 2, 4)), TGT, P, BOS, EOS),
                  ["encoder", "W_x", "D = 4"]),
    "targets float": (lambda: seq2seq.forward(X, TGT.astype(float), P, BOS, EOS),
                      ["targets", "integer"]),
    "targets wrong B": (lambda: seq2seq.forward(X, TGT[:, :1], P, BOS, EOS),
                        ["targets", "(U, B)", "B = 2"]),
    "no eos": (lambda: seq2seq.forward(X, np.array([[2, 3], [4, 0]]), P, BOS, EOS),
               ["eos = 0", "column(s) [0]"]),
    "target out of range": (lambda: seq2seq.forward(X, np.array([[7, 3], [0, 0]]), P, BOS,
                                                    EOS), ["targets", "[0, 5)"]),
    "bos": (lambda: seq2seq.forward(X, TGT, P, 5, EOS), ["bos", "[0, 5)"]),
    "eos bool": (lambda: seq2seq.forward(X, TGT, P, BOS, True), ["eos", "token index"]),
    "lengths dtype": (lambda: seq2seq.forward(X, TGT, P, BOS, EOS, np.array([1.0, 2.0])),
                      ["src_lengths", "integer", "(B,)"]),
    "lengths range": (lambda: seq2seq.forward(X, TGT, P, BOS, EOS, np.array([0, 3])),
                      ["src_lengths", "[1, T] = [1, 3]"]),
    "dlogits shape": (lambda: seq2seq.backward(np.zeros((2, 2, 4)), _cache()),
                      ["dlogits", "(U, B, V)", "V = 5"]),
    "cache": (lambda: seq2seq.backward(np.zeros((2, 2, 5)), {}), ["cache", "seq2seq"]),
    "beam width": (lambda: seq2seq.decode(X, P, BOS, EOS, 4, beam_width=0),
                   ["beam_width", ">= 1"]),
    "max_len": (lambda: seq2seq.decode(X, P, BOS, EOS, max_len=2.0), ["max_len", "integer"]),
    "loss logits": (lambda: seq2seq.sequence_loss(np.zeros((2, 2)), TGT, EOS),
                    ["logits", "(U, B, V)"]),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_named(name):
    call, fragments = BAD[name]
    with pytest.raises(ValueError) as err:
        call()
    for fragment in fragments:
        assert fragment in str(err.value), f"{fragment!r} not in {err.value}"
