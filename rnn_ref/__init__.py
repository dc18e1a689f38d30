"""rnn_ref: the numpy reference implementation behind every chapter, demo and hidden test.

One module per model, in the order of the book:

==========  ==========================================================  =======
module      model                                                       chapter
==========  ==========================================================  =======
tdnn        time-delay layer, finite impulse response of width N        2
narx        NARX network, open and closed loop                          3
jordan      Jordan network: running-average memory of the outputs       4
elman       Elman network: context units, Elman's approximation         5
rnn         fully recurrent network: deep, skips, BPTT, truncated BPTT  6, 7
brnn        bidirectional block built from rnn with time flips          8
lstm, gru   gated cells, PyTorch gate order                             10
seqmodel    a recurrent layer + linear read-out, and a training loop    9-11
seq2seq     encoder-decoder: teacher forcing, masking, greedy and beam  12
==========  ==========================================================  =======

and the tools around them: ``losses``, ``gradcheck``, ``optim``, ``data`` and
``activations``.

Conventions: float64 numpy arrays; sequences are time-major ``(T, B, D)``; weight
matrices are ``(out_features, in_features)`` so a layer computes ``x @ W.T``; every
model is a pair of functions ``forward(...) -> (out, cache)`` and
``backward(dout, cache) -> grads`` where ``grads`` has the parameter keys plus the
gradients of the input and of the initial state. Models whose final state can be handed
on (``elman``, ``rnn``, ``brnn``, ``lstm``, ``gru``) also accept a gradient on it
(``dh_last``, and ``ds_last`` for the LSTM's cell state), as an encoder needs. The output
``forward`` returns is the caller's own array: editing it never changes ``backward``.
Bad arguments raise ``ValueError`` naming the argument.
"""

from . import (activations, brnn, data, elman, gradcheck, gru, jordan, losses, lstm, narx,
               optim, rnn, seq2seq, seqmodel, tdnn)

__all__ = ["activations", "brnn", "data", "elman", "gradcheck", "gru", "jordan", "losses",
           "lstm", "narx", "optim", "rnn", "seq2seq", "seqmodel", "tdnn"]
__version__ = "0.1.0"
