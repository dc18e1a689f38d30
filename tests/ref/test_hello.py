"""The Gurari lecture's worked example: which character follows "he"?

Vocabulary {h, e, l, o}; a tanh RNN with 3 hidden units; bias 0. After reading "h"
and "e" the hidden state is (0.936534, 0.949104, 0.762341); the output layer W_hy
(W_o in the book) turns it into logits and the softmax into letter probabilities.
"""

import numpy as np

from rnn_ref import losses, rnn

W_XH = np.array([[0.287027, 0.84606, 0.572392, 0.486813],
                 [0.902874, 0.871522, 0.691079, 0.18998],
                 [0.537524, 0.09224, 0.558159, 0.491528]])
W_HY = np.array([[0.37168, 0.974829459, 0.830034886],
                 [0.39141, 0.282585823, 0.659835709],
                 [0.64985, 0.09821557, 0.334287084],
                 [0.91266, 0.32581642, 0.144630018]])
H_AFTER_HE = np.array([0.936534, 0.949104, 0.762341])


def test_input_projection_of_h_selects_the_first_column():
    # x = one-hot "h" = (1, 0, 0, 0): W_xh x is the first column of W_xh.
    np.testing.assert_allclose(W_XH @ np.array([1.0, 0, 0, 0]),
                               [0.287027, 0.902874, 0.537524])


def test_output_layer_reproduces_logits_and_softmax():
    logits = rnn.output_forward(H_AFTER_HE[None, None, :], {"W_o": W_HY, "b_o": np.zeros(4)})
    np.testing.assert_allclose(logits[0, 0], [1.906, 1.138, 0.957, 1.274], atol=5e-4)
    # The slide prints h to 6 decimals but its 8-decimal logits came from the unrounded
    # state, so they agree to the rounding of h (|W_hy| * 5e-7 per unit, about 1e-6).
    np.testing.assert_allclose(logits[0, 0], [1.90607732, 1.13779113, 0.95666016, 1.27422602],
                               atol=5e-6)
    probs = losses.softmax(logits)[0, 0]
    np.testing.assert_allclose(probs, [0.419748, 0.194682, 0.162429, 0.223141], atol=1e-6)
    assert "helo"[int(np.argmax(probs))] == "h"
