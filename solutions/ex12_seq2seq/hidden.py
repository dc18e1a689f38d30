"""Hidden tests of exercise 12 (sequence to sequence), judged against rnn_ref.

The exercise's encoder and decoder are one-layer tanh RNNs, so the references are
``rnn_ref.rnn`` (the decoder is ``rnn.forward`` from ``h_init = c`` on one-hot inputs,
the encoder ``rnn.forward_hidden`` whose final state receives ``dh_last``) together with
``rnn_ref.seq2seq``'s teacher forcing and masked loss.
"""

import numpy as np

from rnn_ref import rnn, seq2seq

from autograder.cases import fixed_draws
from autograder.challenge import Challenge


def _shapes(rng, n=3):
    """(T, U, B, D, H, V): one step, one sequence first, then random shapes."""
    yield 1, 1, 1, 1, 1, 3
    for _ in range(n - 1):
        yield (int(rng.integers(2, 7)), int(rng.integers(3, 7)), int(rng.integers(2, 5)),
               int(rng.integers(1, 5)), int(rng.integers(2, 6)), int(rng.integers(4, 8)))


def _tokens(rng, U, B, V):
    """Targets (U, B), start and end tokens: every column ends with eos, padded with eos.
    Column 0 always runs to the last row; the others end anywhere."""
    bos, eos = (int(t) for t in rng.choice(V, size=2, replace=False))
    others = np.array([t for t in range(V) if t != eos])
    targets = rng.choice(others, size=(U, B))
    ends = rng.integers(0, U, size=B)
    ends[0] = U - 1
    for col, end in enumerate(ends):
        targets[end:, col] = eos
    return targets, bos, eos


def _dec_params(rng, H, V):
    return {"W_x": rng.standard_normal((H, V)),
            "W_h": rng.standard_normal((H, H)) / np.sqrt(H),
            "b": 0.3 * rng.standard_normal(H),
            "W_o": rng.standard_normal((V, H)),
            "b_o": 0.3 * rng.standard_normal(V)}


def _enc_params(rng, D, H):
    return {"W_x": rng.standard_normal((H, D)) / np.sqrt(D),
            "W_h": 1.2 * rng.standard_normal((H, H)) / np.sqrt(H),
            "b": 0.3 * rng.standard_normal(H)}


def _inputs_cases(rng):
    cases = []
    for _, U, B, _, _, V in _shapes(rng, 4):
        targets, bos, _ = _tokens(rng, U, B, V)
        cases.append({"targets": targets, "bos": bos})
    return cases


def _dec_cases(rng):
    cases = []
    for _, U, B, _, H, V in _shapes(rng):
        targets, bos, _ = _tokens(rng, U, B, V)
        cases.append({"targets": targets, "c": rng.standard_normal((B, H)),
                      **_dec_params(rng, H, V), "bos": bos,
                      "dlogits": rng.standard_normal((U, B, V))})
    return cases


def _loss_cases(rng):
    cases = []
    for _, U, B, _, _, V in _shapes(rng):
        targets, _, eos = _tokens(rng, U, B, V)
        cases.append({"logits": 3.0 * rng.standard_normal((U, B, V)), "targets": targets,
                      "eos": eos})
    return cases


def _enc_cases(rng):
    cases = []
    for T, _, B, D, H, _ in _shapes(rng):
        cases.append({"x": rng.standard_normal((T, B, D)), **_enc_params(rng, D, H),
                      "dc": rng.standard_normal((B, H))})
    return cases


def _whole_cases(rng):
    cases = []
    for T, U, B, D, H, V in _shapes(rng):
        targets, bos, eos = _tokens(rng, U, B, V)
        case = {"x": rng.standard_normal((T, B, D)), "targets": targets, "bos": bos, "eos": eos}
        case.update({"enc_" + k: v for k, v in _enc_params(rng, D, H).items()})
        case.update({"dec_" + k: v for k, v in _dec_params(rng, H, V).items()})
        cases.append(case)
    return cases


# -- references ------------------------------------------------------------------------

def _decoder(c, targets, bos, p):
    """rnn_ref's decoder: rnn.forward on the teacher-forced one-hot inputs, from c."""
    V = p["W_o"].shape[0]
    tokens = seq2seq.decoder_inputs(targets, bos)
    x = np.eye(V)[tokens]
    params = {"W_c1": p["W_x"], "W_r1": p["W_h"], "b1": p["b"], "W_o": p["W_o"],
              "b_o": p["b_o"]}
    return rnn.forward(x, params, c[None])


def _decoder_grads(logits_cache, dlogits):
    g = rnn.backward(dlogits, logits_cache)
    return {"W_x": g["W_c1"], "W_h": g["W_r1"], "b": g["b1"], "W_o": g["W_o"],
            "b_o": g["b_o"], "c": g["h_init"][0]}


def _encoder(x, p):
    params = {"W_c1": p["W_x"], "W_r1": p["W_h"], "b1": p["b"]}
    h, cache = rnn.forward_hidden(x, params)
    return h[-1], cache


def _encoder_grads(cache, dc):
    T, B, _ = cache["x"].shape
    g = rnn.backward_hidden(np.zeros((T, B, dc.shape[1])), cache, dh_last=dc[None])
    return {"W_x": g["W_c1"], "W_h": g["W_r1"], "b": g["b1"], "x": g["x"]}


def _dec(case):
    return {k: case[k] for k in ("W_x", "W_h", "b", "W_o", "b_o")}


def _ref_forward(case):
    return {"logits": _decoder(case["c"], case["targets"], case["bos"], _dec(case))[0]}


def _ref_backward(case):
    _, cache = _decoder(case["c"], case["targets"], case["bos"], _dec(case))
    return _decoder_grads(cache, case["dlogits"])


def _ref_loss(case):
    loss, dlogits = seq2seq.sequence_loss(case["logits"], case["targets"], case["eos"])
    return {"loss": np.array(loss), "dlogits": dlogits}


def _ref_encoder(case):
    _, cache = _encoder(case["x"], {k: case[k] for k in ("W_x", "W_h", "b")})
    return _encoder_grads(cache, case["dc"])


def _ref_whole(case):
    enc = {k: case["enc_" + k] for k in ("W_x", "W_h", "b")}
    dec = {k: case["dec_" + k] for k in ("W_x", "W_h", "b", "W_o", "b_o")}
    c, enc_cache = _encoder(case["x"], enc)
    logits, dec_cache = _decoder(c, case["targets"], case["bos"], dec)
    loss, dlogits = seq2seq.sequence_loss(logits, case["targets"], case["eos"])
    g_dec = _decoder_grads(dec_cache, dlogits)
    g_enc = _encoder_grads(enc_cache, g_dec["c"])
    answer = {"loss": np.array(loss)}
    answer.update({"enc_" + k: g_enc[k] for k in ("W_x", "W_h", "b")})
    answer.update({"dec_" + k: g_dec[k] for k in ("W_x", "W_h", "b", "W_o", "b_o")})
    return answer


_WHOLE = """
enc = {"W_x": enc_W_x, "W_h": enc_W_h, "b": enc_b}
dec = {"W_x": dec_W_x, "W_h": dec_W_h, "b": dec_b, "W_o": dec_W_o, "b_o": dec_b_o}
loss, grads = seq2seq_gradients(x, targets, enc, dec, bos, eos)
answer = {"loss": loss}
answer.update({k: grads[k] for k in ("enc_W_x", "enc_W_h", "enc_b", "dec_W_x", "dec_W_h",
                                     "dec_b", "dec_W_o", "dec_b_o")})
"""

CHALLENGES = fixed_draws([
    Challenge("decoder_inputs", _inputs_cases,
              "y_in = decoder_inputs(targets, bos)\nanswer = {'y_in': y_in}",
              lambda c: {"y_in": seq2seq.decoder_inputs(c["targets"], c["bos"])}),
    Challenge("decoder_forward", _dec_cases,
              "logits, cache = decoder_forward(targets, c, W_x, W_h, b, W_o, b_o, bos)\n"
              "answer = {'logits': logits}",
              _ref_forward),
    Challenge("masked_cross_entropy", _loss_cases,
              "loss, dlogits = masked_cross_entropy(logits, targets, eos)\n"
              "answer = {'loss': loss, 'dlogits': dlogits}",
              _ref_loss),
    Challenge("decoder_backward", _dec_cases,
              "logits, cache = decoder_forward(targets, c, W_x, W_h, b, W_o, b_o, bos)\n"
              "grads = decoder_backward(dlogits, cache)\n"
              "answer = {k: grads[k] for k in ('W_x', 'W_h', 'b', 'W_o', 'b_o', 'c')}",
              _ref_backward),
    Challenge("encoder_backward", _enc_cases,
              "c, cache = encoder_forward(x, W_x, W_h, b)\n"
              "grads = encoder_backward(dc, cache)\n"
              "answer = {k: grads[k] for k in ('W_x', 'W_h', 'b', 'x')}",
              _ref_encoder),
    Challenge("seq2seq_gradients", _whole_cases, _WHOLE, _ref_whole),
])


# -- numbers embedded in the student notebook at release (@expected(name) in the .md) --

def _notebook_dec_case():
    """The notebook's _dec_case() (same draws, same order)."""
    r = np.random.default_rng(1)
    U, B, V, H, eos = 3, 2, 4, 3, 1
    targets = r.integers(2, V, size=(U, B))
    for col, end in enumerate(r.integers(0, U, size=B)):
        targets[end:, col] = eos
    targets[-1, 0] = eos
    case = {"targets": targets, "bos": 0}
    for name, shape in (("c", (B, H)), ("W_x", (H, V)), ("W_h", (H, H)), ("b", (H,)),
                        ("W_o", (V, H)), ("b_o", (V,))):
        case[name] = r.standard_normal(shape)
    case["W_h"] /= np.sqrt(H)
    case["b"] *= 0.3
    case["b_o"] *= 0.3
    return case


def _notebook_ce():
    targets = np.array([[2, 3], [1, 2], [1, 1], [1, 1]])
    z = np.random.default_rng(3).standard_normal((4, 2, 4))
    return seq2seq.sequence_loss(z, targets, 1)[0]


EXPECTED = {"dec_logits": lambda: _ref_forward(_notebook_dec_case())["logits"],
            "ce_loss": _notebook_ce}
