"""Bad input raises ValueError naming the argument and what was expected.

Each case gives a call and fragments that must all appear in the message.
"""

import numpy as np
import pytest

from rnn_ref import (brnn, data, elman, gru, jordan, losses, lstm, narx, optim, rnn, seqmodel,
                     tdnn)

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 2, 3))
P_RNN = rnn.init_params(3, 5, 2, L=2, rng=0)
P_LSTM = lstm.init_params(3, 5, rng=0)
P_GRU = gru.init_params(3, 5, rng=0)


def with_nan(a, index):
    a = a.copy()
    a[index] = np.nan
    return a


def drop(d, key):
    return {k: v for k, v in d.items() if k != key}


def cache_of(module, *args):
    return module.forward(*args)[1]


CASES = {
    # shapes
    "rnn x 2-D": (lambda: rnn.forward(X[0], P_RNN), ["x", "(T, B, D)"]),
    "rnn x wrong D": (lambda: rnn.forward(rng.standard_normal((4, 2, 7)), P_RNN),
                      ["W_c1", "(H, D)", "D = 7"]),
    "rnn h_init wrong": (lambda: rnn.forward(X, P_RNN, np.zeros((2, 3, 5))),
                         ["h_init", "(L, B, H)", "B = 2"]),
    "rnn h_init wrong L": (lambda: rnn.forward(X, P_RNN, np.zeros((3, 5))),
                           ["h_init", "(L, H)", "L = 2"]),
    "rnn dy wrong": (lambda: rnn.backward(np.zeros((4, 2, 3)), cache_of(rnn, X, P_RNN)),
                     ["dy", "(T, B, O)", "O = 2"]),
    "lstm W_h not 4H": (lambda: lstm.forward(X, {**P_LSTM, "W_h": np.zeros((15, 5))}),
                        ["W_h", "(4H, H)"]),
    "lstm s_init wrong": (lambda: lstm.forward(X, P_LSTM, None, np.zeros((2, 4))),
                          ["s_init", "(B, H)"]),
    "gru b_h wrong": (lambda: gru.forward(X, {**P_GRU, "b_h": np.zeros(5)}), ["b_h", "(G,)"]),
    "gru dh wrong": (lambda: gru.backward(np.zeros((4, 2, 4)), cache_of(gru, X, P_GRU)),
                     ["dh", "(T, B, H)", "H = 5"]),
    "tdnn W wrong": (lambda: tdnn.forward(X, {"W": np.zeros((2, 4, 5)), "b": np.zeros(4)}),
                     ["W", "(taps, H, D)", "D = 3"]),
    "narx y_init wrong": (lambda: narx.forward(X, narx.init_params(3, 4, 2, K=2),
                                               np.zeros((1, 2, 2))),
                          ["y_init", "(K, B, O)", "K = 2"]),
    "narx open without teacher": (lambda: narx.forward(X, narx.init_params(3, 4, 2),
                                                       mode="open"), ["y_teacher", "open"]),
    "jordan s_init wrong": (lambda: jordan.forward(X, jordan.init_params(3, 4, 2),
                                                   s_init=np.zeros((2, 3))),
                            ["s_init", "(B, O)", "O = 2"]),
    "elman h_init wrong": (lambda: elman.forward(X, elman.init_params(3, 4, 2),
                                                 np.zeros((2, 5))), ["h_init", "(B, H)"]),
    "brnn dh wrong": (lambda: brnn.backward(np.zeros((4, 2, 5)),
                                            cache_of(brnn, X, brnn.init_params(3, 5))),
                      ["dh", "(T, B, 2H)"]),
    "brnn weight wrong": (lambda: brnn.forward(X, {**brnn.init_params(3, 5),
                                                   "W_br1": np.zeros((5, 4))}),
                          ["backward net", "W_br1", "(H, H)"]),
    # dtype and type
    "float32": (lambda: rnn.forward(X.astype(np.float32), P_RNN), ["x", "float64", "float32"]),
    "int params": (lambda: lstm.forward(X, {**P_LSTM, "b": np.zeros(20, dtype=int)}),
                   ["params['b']", "float64", "int"]),
    "list input": (lambda: gru.forward(X.tolist(), P_GRU), ["x", "numpy", "list"]),
    # non-finite
    "nan in x": (lambda: rnn.forward(with_nan(X, (2, 1, 0)), P_RNN),
                 ["x", "NaN or inf", "(2, 1, 0)"]),
    "inf in weight": (lambda: lstm.forward(X, {**P_LSTM, "W_h": with_nan(P_LSTM["W_h"], (0, 0))
                                               * np.inf}), ["W_h", "NaN or inf"]),
    "nan in dh": (lambda: lstm.backward(with_nan(np.zeros((4, 2, 5)), (0, 0, 0)),
                                        cache_of(lstm, X, P_LSTM)), ["dh", "NaN or inf"]),
    # empty sequences
    "T = 0": (lambda: rnn.forward(np.zeros((0, 2, 3)), P_RNN), ["x", "T = 0", "time steps"]),
    "T = 0 lstm": (lambda: lstm.forward(np.zeros((0, 2, 3)), P_LSTM), ["T = 0"]),
    "B = 0": (lambda: gru.forward(np.zeros((4, 0, 3)), P_GRU), ["x", "B = 0"]),
    # parameter dicts
    "missing key": (lambda: rnn.forward(X, drop(P_RNN, "W_r2")), ["missing 'W_r2'", "W_c2"]),
    "extra key": (lambda: lstm.forward(X, {**P_LSTM, "W_y": np.zeros(2)}),
                  ["unexpected 'W_y'", "'W_x', 'W_h', 'b'"]),
    "lstm params to gru": (lambda: gru.forward(X, P_LSTM), ["missing 'b_x'", "unexpected 'b'"]),
    "rnn layer gap": (lambda: rnn.forward(X, {**drop(drop(drop(P_RNN, "W_c2"), "W_r2"), "b2"),
                                              "W_c3": np.zeros((5, 5))}), ["W_c1 ... W_c2"]),
    "rnn no layers": (lambda: rnn.forward(X, {"W_o": np.zeros((2, 5))}), ["W_c1"]),
    "params not dict": (lambda: elman.forward(X, [1, 2]), ["params", "dict"]),
    "brnn bad key": (lambda: brnn.forward(X, {"W_c1": np.zeros((5, 3))}), ["W_c1", "W_fc1"]),
    # options
    "bad activation": (lambda: rnn.forward(X, P_RNN, activation="softplus"),
                       ["activation", "'tanh'", "softplus"]),
    "bad mode": (lambda: elman.backward(np.zeros((4, 2, 2)),
                                        cache_of(elman, X, elman.init_params(3, 4, 2)),
                                        mode="approx"), ["mode", "'exact'", "'blocked'"]),
    "bad truncate": (lambda: rnn.backward(np.zeros((4, 2, 2)), cache_of(rnn, X, P_RNN),
                                          truncate=0), ["truncate", ">= 1"]),
    "wrong cache": (lambda: rnn.backward(np.zeros((4, 2, 2)), cache_of(gru, X, P_GRU)),
                    ["cache", "rnn_ref.rnn.forward"]),
    # losses and helpers
    "ce float targets": (lambda: losses.softmax_cross_entropy(np.zeros((4, 2, 3)),
                                                              np.zeros((4, 2))),
                         ["targets", "integer"]),
    "ce targets out of range": (lambda: losses.softmax_cross_entropy(
        np.zeros((4, 2, 3)), np.full((4, 2), 3)), ["targets", "[0, 3)"]),
    "mse shape": (lambda: losses.mse(np.zeros((4, 2, 3)), np.zeros((4, 2, 2))),
                  ["d", "(T, B, O)", "O = 3"]),
    "mask shape": (lambda: losses.mse(np.zeros((4, 2, 3)), np.zeros((4, 2, 3)), np.ones(5)),
                   ["mask", "T = 4"]),
    "bad setting": (lambda: losses.io_mask(4, "one_to_many"), ["setting", "many_to_one"]),
    "bad delay": (lambda: losses.io_mask(4, "delayed", 4), ["delay", "[0, 4)"]),
    "optim missing grad": (lambda: optim.SGD(0.1).step({"W": np.zeros(2)}, {}),
                           ["grads", "'W'"]),
    "optim nan grad": (lambda: optim.SGD(0.1).step({"W": np.zeros(2)},
                                                   {"W": np.array([0.0, np.nan])}),
                       ["grads['W']", "NaN"]),
    "negative lr": (lambda: optim.Momentum(-1.0), ["lr", "positive"]),
    "clip norm 0": (lambda: optim.clip_by_global_norm({"W": np.ones(2)}, 0), ["max_norm"]),
    "unknown char": (lambda: data.Vocabulary("abc").encode("abd"), ["outside", "'d'"]),
    "temperature": (lambda: data.sample(np.zeros(3), temperature=0), ["temperature"]),
    "corpus": (lambda: data.load_corpus("hamlet"), ["hamlet", "seattle_1891"]),
    "short text": (lambda: next(data.stream_batches(np.arange(10), 8, 4)), ["too short"]),
    # numbers of the wrong type: a ValueError naming the argument, never a TypeError
    "mu as a string": (lambda: jordan.forward(X, jordan.init_params(3, 4, 2), mu="0.5"),
                       ["mu", "number", "'0.5'"]),
    "mu as a bool": (lambda: jordan.forward(X, jordan.init_params(3, 4, 2), mu=True),
                     ["mu", "True"]),
    "mu infinite": (lambda: jordan.forward(X, jordan.init_params(3, 4, 2), mu=np.inf),
                    ["mu", "finite"]),
    "adam betas scalar": (lambda: optim.Adam(betas=0.9), ["betas", "pair", "0.9"]),
    "adam beta2 out of range": (lambda: optim.Adam(betas=(0.9, 1.0)), ["betas[1]", "[0, 1)"]),
    "momentum beta string": (lambda: optim.Momentum(beta="0.9"), ["beta", "'0.9'"]),
    "lr string": (lambda: optim.SGD("0.1"), ["lr", "positive"]),
    "global_norm unknown key": (lambda: optim.global_norm({"W": np.ones(2)}, keys=["V"]),
                                ["keys", "'V'", "['W']"]),
    "clip unknown key": (lambda: optim.clip_by_global_norm({"W": np.ones(2)}, 1.0, ["b"]),
                         ["keys", "'b'"]),
    "global_norm not a dict": (lambda: optim.global_norm([np.ones(2)]), ["grads", "dict"]),
    "sgd integer params": (lambda: optim.SGD(0.1).step({"W": np.zeros(2, dtype=int)},
                                                       {"W": np.ones(2)}),
                           ["params['W']", "float", "int"]),
    "temperature string": (lambda: data.sample(np.zeros(3), temperature="1"), ["temperature"]),
    "delay bool": (lambda: data.delayed_copy(4, 2, True), ["delay", "True"]),
    "gate_bias on a plain rnn": (lambda: seqmodel.SequenceModel("rnn", 3, 4, 2, gate_bias=3.0),
                                 ["gate_bias", "rnn", "no gate"]),
    "gate_bias string": (lambda: seqmodel.SequenceModel("lstm", 3, 4, 2, gate_bias="1"),
                         ["gate_bias", "'1'"]),
    "lstm ds_last wrong": (lambda: lstm.backward(np.zeros((4, 2, 5)), cache_of(lstm, X, P_LSTM),
                                                 ds_last=np.zeros((2, 4))),
                           ["ds_last", "(B, H)", "H = 5"]),
    "rnn dh_last wrong": (lambda: rnn.backward(np.zeros((4, 2, 2)), cache_of(rnn, X, P_RNN),
                                               dh_last=np.zeros((1, 2, 5))),
                          ["dh_last", "(L, B, H)", "L = 2"]),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_raises_clear_value_error(case):
    call, fragments = CASES[case]
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in: {info.value}"
