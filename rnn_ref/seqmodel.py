r"""A recurrent layer with a linear read-out, and a training loop (chapters 9-11).

:class:`SequenceModel` puts one of the book's recurrent layers under an output layer::

    h[t] = layer(x[t], state)            rnn (L layers), lstm or gru
    y[t] = W_o h[t] + b_o                logits or regression outputs, (T, B, O)

It adds no new mathematics: ``forward``/``backward`` call :mod:`rnn_ref.rnn`,
:mod:`rnn_ref.lstm` or :mod:`rnn_ref.gru` and the output layer's two matmuls. It exists
so that chapters can train the three cells on the same task with the same code.

:func:`fit` is the loop every chapter would otherwise write: forward, loss, backward,
optional clipping by global norm, an optimizer step, and a tqdm progress bar. With
``carry_state=True`` the final state of one batch starts the next one, which together
with :func:`rnn_ref.data.stream_batches` is truncated BPTT over a long text.
"""

import numpy as np

from . import gru, lstm, rnn
from ._batched import rmatvec
from ._checks import Shapes, check_cache, check_choice, check_number, check_positive_int
from .optim import clip_by_global_norm

__all__ = ["SequenceModel", "fit"]

CELLS = ("rnn", "lstm", "gru")


class SequenceModel:
    """Recurrent layer plus linear read-out.

    Parameters
    ----------
    cell : {'rnn', 'lstm', 'gru'}
    D, H, O : int
        Input, hidden and output sizes.
    L : int
        Number of layers (``'rnn'`` only).
    rng : seed or numpy Generator
    gate_bias : float, optional
        Initial bias of the gate that keeps the old state: the LSTM's forget gate or
        the GRU's update gate (default 1.0). A positive value such as 1 makes the fresh
        cell remember, which helps on long lags. A plain ``'rnn'`` has no gate, so
        passing ``gate_bias`` with it is an error rather than silently ignored.

    Attributes
    ----------
    params : dict
        The layer's keys (see its module) plus ``W_o`` (O, H) and ``b_o`` (O,).
    """

    def __init__(self, cell, D, H, O, L=1, rng=None, gate_bias=None):
        self.cell = check_choice("cell", cell, CELLS)
        for name, v in (("D", D), ("H", H), ("O", O), ("L", L)):
            check_positive_int(name, v)
        if cell != "rnn" and L != 1:
            raise ValueError(f"L = {L}: stacked layers are only built for cell='rnn'")
        if cell == "rnn" and gate_bias is not None:
            raise ValueError(f"gate_bias = {gate_bias!r} has no effect for cell='rnn' (it has "
                             "no gate); pass it only for 'lstm' or 'gru'")
        gate_bias = 1.0 if gate_bias is None else check_number("gate_bias", gate_bias)
        rng = np.random.default_rng(rng)
        self.D, self.H, self.O, self.L = D, H, O, L
        if cell == "rnn":
            self.params = rnn.init_params(D, H, O, L, rng=rng)
            return
        layer = lstm.init_params(D, H, rng, gate_bias) if cell == "lstm" \
            else gru.init_params(D, H, rng, gate_bias)
        k = 1.0 / np.sqrt(H)
        self.params = {**layer, "W_o": rng.uniform(-k, k, size=(O, H)), "b_o": np.zeros(O)}

    def _layer_params(self):
        return {k: v for k, v in self.params.items() if k not in ("W_o", "b_o")}

    def initial_state(self, B):
        """Zero state for a batch of ``B`` sequences."""
        if self.cell == "rnn":
            return np.zeros((self.L, B, self.H))
        if self.cell == "lstm":
            return (np.zeros((B, self.H)), np.zeros((B, self.H)))
        return np.zeros((B, self.H))

    def forward(self, x, state=None):
        """``x`` (T, B, D) -> logits ``y`` (T, B, O) and a cache.

        ``state`` is the initial state: ``(L, B, H)`` for rnn, ``(h, s)`` for lstm,
        ``(B, H)`` for gru; zeros if omitted.
        """
        if self.cell == "rnn":
            y, cache = rnn.forward(x, self.params, state)
            return y, {"module": "seqmodel", "inner": cache}
        if self.cell == "lstm":
            h0, s0 = (None, None) if state is None else state
            h, cache = lstm.forward(x, self._layer_params(), h0, s0)
        else:
            h, cache = gru.forward(x, self._layer_params(), state)
        y = rnn.output_forward(h, {"W_o": self.params["W_o"], "b_o": self.params["b_o"]})
        return y, {"module": "seqmodel", "inner": cache, "h": h}

    def backward(self, dy, cache):
        """Gradients of every parameter plus ``'x'`` from ``dy`` (T, B, O)."""
        check_cache(cache, "seqmodel")
        if self.cell == "rnn":
            return rnn.backward(dy, cache["inner"])
        h = cache["h"]
        T, B, H = h.shape
        Shapes(T=T, B=B, O=self.O).array("dy", dy, "T B O")
        dy2 = dy.reshape(T * B, self.O)
        grads = (lstm if self.cell == "lstm" else gru).backward(rmatvec(self.params["W_o"], dy),
                                                               cache["inner"])
        grads["W_o"] = dy2.T @ h.reshape(T * B, H)
        grads["b_o"] = dy2.sum(axis=0)
        return grads

    def final_state(self, cache):
        """The state after the last step, to start the next window (truncated BPTT)."""
        check_cache(cache, "seqmodel")
        inner = cache["inner"]
        if self.cell == "rnn":
            return np.stack([h[-1] for h in inner["hs"]])
        if self.cell == "lstm":
            return (inner["h"][-1].copy(), inner["s"][-1].copy())
        return inner["h"][-1].copy()

    def generate(self, start, n, vocab, temperature=1.0, rng=None):
        """Sample ``n`` characters after the text ``start`` (chapter 11).

        The model reads ``start`` one character at a time, then feeds each sampled
        character back as the next input. ``vocab`` is a
        :class:`rnn_ref.data.Vocabulary` with ``vocab.size == D == O``.
        """
        from .data import one_hot, sample
        if not start:
            raise ValueError("start must be a non-empty string to condition on")
        rng = np.random.default_rng(rng)
        x = one_hot(vocab.encode(start), vocab.size)[:, None, :]
        y, cache = self.forward(x)
        state = self.final_state(cache)
        out = []
        for _ in range(n):
            idx = sample(y[-1, 0], temperature, rng)
            out.append(idx)
            y, cache = self.forward(one_hot(np.array([[idx]]), vocab.size), state)
            state = self.final_state(cache)
        return vocab.decode(out)


def fit(model, batches, loss, optimizer, steps=None, clip=None, carry_state=False,
        progress=True, desc="training"):
    """Train ``model`` in place and return the list of losses, one per batch.

    Parameters
    ----------
    model : SequenceModel
    batches : iterable of ``(x, target)``
        ``x`` is ``(T, B, D)``; ``target`` is whatever ``loss`` takes.
    loss : callable ``(y, target) -> (value, dy)``, e.g.
        ``rnn_ref.losses.softmax_cross_entropy``.
    optimizer : an optimizer from :mod:`rnn_ref.optim`
    steps : int, optional
        Length of ``batches`` for the progress bar (and a cap on the number of steps).
    clip : float, optional
        Clip the parameter gradients to this global norm (eq. ``eq-clip-norm``).
    carry_state : bool
        Start each batch from the previous batch's final state (held constant).
    progress : bool
        Show a tqdm progress bar with the running loss.
    """
    from tqdm.auto import tqdm

    if steps is not None:
        check_positive_int("steps", steps)
    history = []
    state = None
    bar = tqdm(total=steps, desc=desc, disable=not progress, leave=True)
    try:
        for step, (x, target) in enumerate(batches):
            if steps is not None and step >= steps:
                break
            y, cache = model.forward(x, state if carry_state else None)
            value, dy = loss(y, target)
            grads = model.backward(dy, cache)
            if clip is not None:
                grads, _ = clip_by_global_norm(grads, clip, keys=model.params)
            optimizer.step(model.params, grads)
            if carry_state:
                state = model.final_state(cache)
            history.append(value)
            bar.update(1)
            if step % 10 == 0:
                bar.set_postfix(loss=f"{value:.4f}")
    finally:
        bar.close()
    return history
