"""Hidden tests of exercise 11 (character-level language model), judged against rnn_ref."""

import numpy as np

from rnn_ref import data, losses, rnn

from autograder.cases import fixed_draws
from autograder.challenge import Challenge

_ALPHABET = np.array([ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ .,;:'-0123456789\n"])


def _shapes(rng, n=3):
    """T = 1, B = 1 first, then random shapes; V >= 2."""
    yield 1, 1, 2
    for _ in range(n - 1):
        yield int(rng.integers(2, 9)), int(rng.integers(1, 5)), int(rng.integers(2, 9))


# -- Part 1: vocabulary ----------------------------------------------------------------

def _text_cases(rng):
    cases = []
    for n, k in ((1, 1), (int(rng.integers(5, 40)), 6), (int(rng.integers(20, 80)), 30)):
        alphabet = rng.choice(_ALPHABET, size=k, replace=False)
        cases.append({"codepoints": rng.choice(alphabet, size=n)})
    return cases


_VOCAB = """
text = "".join(chr(int(c)) for c in codepoints)
chars = make_vocabulary(text)
codes = encode(text, chars)
answer = {"chars": np.array([ord(c) for c in chars]), "codes": np.asarray(codes),
          "decoded": np.array([ord(c) for c in decode(codes, chars)])}
"""


def _vocab(case):
    text = "".join(chr(int(c)) for c in case["codepoints"])
    vocab = data.Vocabulary(text)
    codes = vocab.encode(text)
    return {"chars": np.array([ord(c) for c in vocab.chars]), "codes": codes,
            "decoded": np.array([ord(c) for c in vocab.decode(codes)])}


# -- Part 2: one-hot -------------------------------------------------------------------

def _one_hot_cases(rng):
    cases = []
    for k, (T, B, V) in enumerate(_shapes(rng, 4)):
        shape = (T,) if k % 2 else (T, B)
        cases.append({"indices": rng.integers(V, size=shape), "V": V})
    return cases


# -- Parts 3-5: softmax and cross-entropy ------------------------------------------------

def _softmax_cases(rng):
    cases = [{"z": 3.0 * rng.standard_normal((T, B, V))} for T, B, V in _shapes(rng)]
    cases.append({"z": 3.0 * rng.standard_normal((2, 3)) + 800.0 * rng.choice([-1.0, 1.0])})
    return cases


def _ce_cases(rng):
    cases = []
    for k, (T, B, V) in enumerate(_shapes(rng, 4)):
        mask = (rng.uniform(size=(T, B)) < 0.7).astype(np.float64)
        cases.append({"logits": 2.0 * rng.standard_normal((T, B, V)),
                      "targets": rng.integers(V, size=(T, B)),
                      "mask": mask, "use_mask": bool(k % 2)})
    return cases


def _ce(case):
    return losses.softmax_cross_entropy(case["logits"], case["targets"],
                                        case["mask"] if case["use_mask"] else None)


_CE = """
loss, dlogits = cross_entropy(logits, targets, mask if use_mask else None)
answer = {%s}
"""


# -- Part 6: temperature ---------------------------------------------------------------

def _temperature_cases(rng):
    cases = []
    for k, (_, B, V) in enumerate(_shapes(rng, 4)):
        shape = (V,) if k % 2 == 0 else (B, V)
        cases.append({"logits": 2.0 * rng.standard_normal(shape),
                      "temperature": float(rng.choice([rng.uniform(0.05, 1.0),
                                                       rng.uniform(1.0, 4.0)]))})
    return cases


# -- Part 7: windows -------------------------------------------------------------------

def _window_cases(rng):
    cases = []
    for T, B, V in _shapes(rng, 4):
        n = int(T * B + 1 + rng.integers(0, 4 * T * B))
        cases.append({"indices": rng.integers(V, size=n), "T": T, "B": B})
    return cases


_WINDOWS = """
pairs = list(stream_windows(indices, T, B))
answer = {"inputs": np.array([p[0] for p in pairs]), "targets": np.array([p[1] for p in pairs])}
"""


def _windows(case):
    pairs = list(data.stream_batches(case["indices"], case["T"], case["B"]))
    return {"inputs": np.array([p[0] for p in pairs]), "targets": np.array([p[1] for p in pairs])}


# -- Part 8: the language model ----------------------------------------------------------

_KEYS = ("W_c", "W_r", "b", "W_o", "b_o")


def _lm_cases(rng):
    cases = []
    for T, B, V in _shapes(rng):
        H = int(rng.integers(1, 6))
        cases.append({"W_c": 0.5 * rng.standard_normal((H, V)),
                      "W_r": 0.5 * rng.standard_normal((H, H)),
                      "b": 0.3 * rng.standard_normal(H),
                      "W_o": 0.5 * rng.standard_normal((V, H)),
                      "b_o": 0.3 * rng.standard_normal(V),
                      "inputs": rng.integers(V, size=(T, B)),
                      "targets": rng.integers(V, size=(T, B)),
                      "h_init": 0.5 * rng.standard_normal((B, H))})
    return cases


_LM = """
params = {"W_c": W_c, "W_r": W_r, "b": b, "W_o": W_o, "b_o": b_o}
loss, grads, h_last = lm_step(params, inputs, targets, h_init)
answer = {"loss": np.array(float(loss)), "h_last": h_last,
          **{"d" + name: grads[name] for name in ("W_c", "W_r", "b", "W_o", "b_o")}}
"""


def _lm(case):
    params = {"W_c1": case["W_c"], "W_r1": case["W_r"], "b1": case["b"],
              "W_o": case["W_o"], "b_o": case["b_o"]}
    V = case["W_o"].shape[0]
    y, cache = rnn.forward(data.one_hot(case["inputs"], V), params, case["h_init"][None])
    loss, dy = losses.softmax_cross_entropy(y, case["targets"])
    grads = rnn.backward(dy, cache)
    names = {"W_c": "W_c1", "W_r": "W_r1", "b": "b1", "W_o": "W_o", "b_o": "b_o"}
    return {"loss": np.array(loss), "h_last": cache["hs"][0][-1],
            **{"d" + k: grads[v] for k, v in names.items()}}


CHALLENGES = fixed_draws([
    Challenge("vocabulary", _text_cases, _VOCAB, _vocab),
    Challenge("one_hot", _one_hot_cases, "answer = {'x': one_hot(indices, V)}",
              lambda c: {"x": data.one_hot(c["indices"], c["V"])}),
    Challenge("softmax", _softmax_cases, "answer = {'p': softmax(z)}",
              lambda c: {"p": losses.softmax(c["z"])}),
    Challenge("cross_entropy_loss", _ce_cases, _CE % "'loss': np.array(float(loss))",
              lambda c: {"loss": np.array(_ce(c)[0])}),
    Challenge("cross_entropy_gradient", _ce_cases, _CE % "'dlogits': dlogits",
              lambda c: {"dlogits": _ce(c)[1]}),
    Challenge("sampling_probs", _temperature_cases,
              "answer = {'p': sampling_probs(logits, temperature)}",
              lambda c: {"p": losses.softmax(c["logits"] / c["temperature"])}),
    Challenge("stream_windows", _window_cases, _WINDOWS, _windows),
    Challenge("lm_step", _lm_cases, _LM, _lm),
])
