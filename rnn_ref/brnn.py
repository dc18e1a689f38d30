r"""Bidirectional RNN block (chapter 8), built from :mod:`rnn_ref.rnn` and time flips.

A forward net reads ``x[0], ..., x[T-1]``; a backward net reads the same input in
reverse time. The block's output concatenates both (book eq. ``eq-brnn-concat``)::

    h_f = rnn(x)                       h_f[t] summarizes x[0..t]
    h_b = flip(rnn(flip(x)))           h_b[t] summarizes x[t..T-1]
    h[t] = [h_f[t]; h_b[t]]

Backpropagation splits ``dDIV/dh[t]`` into its two halves, runs BPTT on each net (the
backward net on flipped time), flips the backward net's input gradient back, and adds
the two input gradients (eq. ``eq-brnn-dx``)::

    dDIV/dx[t] = dDIV/dx[t]|forward net + dDIV/dx[t]|backward net

This needs the whole input before any output: a bidirectional network cannot run
online.

With ``L > 1`` layers the block is **two separate stacks**: the forward net is an
``L``-layer :mod:`rnn_ref.rnn` stack on ``x`` and the backward net another on the flipped
``x``; they meet only in the concatenated output. This is the lecture's block, not
PyTorch's ``nn.RNN(bidirectional=True, num_layers=L)``, where layer ``l+1`` of *both*
directions reads the concatenation ``[h_f; h_b]`` of layer ``l``. (To build PyTorch's
layer-wise stack, chain ``L`` one-layer blocks, each reading the previous block's output.)

Parameters
----------
The lecture's names, one per layer ``l`` of each net (``f`` = forward, ``b`` = backward):

===================  ======================  =================================
keys                 shape                   same as in :mod:`rnn_ref.rnn`
===================  ======================  =================================
``W_fc{l}, W_bc{l}`` (H, D) l=1, (H, H)      ``W_c{l}``
``W_fr{l}, W_br{l}`` (H, H)                  ``W_r{l}``
``b_f{l}, b_b{l}``   (H,)                    ``b{l}``
``W_fx{l}, W_bx{l}`` (H, D), optional        ``W_x{l}`` (input skips)
===================  ======================  =================================

Shapes: ``x`` is ``(T, B, D)``; the output is ``(T, B, 2H)``; ``h_init_f`` and
``h_init_b`` (the lecture's ``h_f(-1)`` and ``h_b(inf)``) are ``(L, B, H)`` or ``(L, H)``.
"""

import re

import numpy as np

from . import rnn
from ._checks import check_cache

__all__ = ["init_params", "split_params", "forward", "backward"]


def init_params(D, H, L=1, skip_input=False, rng=None):
    """Random parameters for both nets (each an ``L``-layer stack of width ``H``)."""
    rng = np.random.default_rng(rng)
    params = {}
    for d in "fb":
        net = rnn.init_params(D, H, 1, L, skip_input=skip_input, rng=rng)
        for key, value in net.items():
            if not key.endswith("_o"):
                params[_to_block(key, d)] = value
    return params


def _to_block(key, d):
    """'W_c1' -> 'W_fc1', 'b1' -> 'b_f1' for direction d in {'f', 'b'}."""
    if key.startswith("W_"):
        return "W_" + d + key[2:]
    return "b_" + d + key[1:]


def split_params(params):
    """Split block parameters into the forward and backward nets' :mod:`rnn` dicts."""
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    nets = {"f": {}, "b": {}}
    for key, value in params.items():
        m = re.fullmatch(r"W_([fb])([crx]\d+)|b_([fb])(\d+)", key)
        if m is None:
            raise ValueError(
                f"params has unexpected key {key!r}; a bidirectional block has keys "
                "W_fc1, W_fr1, b_f1 (forward net) and W_bc1, W_br1, b_b1 (backward net), "
                "one set per layer")
        if m.group(1):
            nets[m.group(1)]["W_" + m.group(2)] = value
        else:
            nets[m.group(3)]["b" + m.group(4)] = value
    for d, name in (("f", "forward"), ("b", "backward")):
        if not nets[d]:
            raise ValueError(f"params has no {name}-net keys (W_{d}c1, W_{d}r1, b_{d}1, ...)")
    return nets["f"], nets["b"]


def forward(x, params, h_init_f=None, h_init_b=None, activation="tanh"):
    """Bidirectional inference (eq. ``eq-brnn-concat``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with the keys in the module docstring
    h_init_f, h_init_b : (L, B, H) or (L, H) arrays, optional (zeros if omitted)
    activation : {'tanh', 'sigmoid', 'relu', 'identity'}

    Returns
    -------
    h : (T, B, 2H) array, ``[h_f[t]; h_b[t]]``
    cache : dict for :func:`backward`
    """
    p_f, p_b = split_params(params)
    try:
        h_f, cache_f = rnn.forward_hidden(x, p_f, h_init_f, activation)
    except ValueError as e:
        raise ValueError(f"forward net: {_block_names(str(e), 'f')}") from None
    try:
        h_b_rev, cache_b = rnn.forward_hidden(x[::-1], p_b, h_init_b, activation)
    except ValueError as e:
        raise ValueError(f"backward net: {_block_names(str(e), 'b')}") from None
    h = np.concatenate([h_f, h_b_rev[::-1]], axis=-1)
    return h, {"module": "brnn", "f": cache_f, "b": cache_b, "H": h_f.shape[-1]}


def backward(dh, cache, truncate=None, dh_last_f=None, dh_last_b=None):
    """Backpropagation through both nets (eq. ``eq-brnn-dx``).

    Parameters
    ----------
    dh : (T, B, 2H) array
        The gradient with respect to the block output ``[h_f[t]; h_b[t]]``.
    cache : dict from :func:`forward`
    truncate : int, optional
        Truncated BPTT window ``k`` for each net *in the direction it reads*
        (see :func:`rnn_ref.rnn.backward`). The forward net's windows start at the
        beginning, ``[0, k), [k, 2k), ...``; the backward net reads flipped time, so its
        windows start at the end: ``[T-k, T), [T-2k, T-k), ...`` in the original time
        (the first window of each net is the one it reads first). When ``k`` does not
        divide ``T`` the two nets therefore cut the sequence at different steps.
    dh_last_f, dh_last_b : (L, B, H) arrays, optional
        Gradients on the final states of each net from outside the sequence (e.g. an
        encoder's states passed to a decoder): the forward net's states after reading
        ``x[T-1]``, and the backward net's states after reading ``x[0]``.

    Returns
    -------
    grads : dict with every parameter key, ``'x'`` (T, B, D), ``'h_init_f'`` and
        ``'h_init_b'`` (the shapes of the initial states given to forward).
    """
    check_cache(cache, "brnn")
    H = cache["H"]
    T, B = cache["f"]["x"].shape[:2]
    if not isinstance(dh, np.ndarray) or dh.shape != (T, B, 2 * H):
        shape = getattr(dh, "shape", type(dh).__name__)
        raise ValueError(f"dh has shape {shape}, expected (T, B, 2H) = {(T, B, 2 * H)}")
    try:
        g_f = rnn.backward_hidden(np.ascontiguousarray(dh[..., :H]), cache["f"], truncate,
                                  dh_last_f)
    except ValueError as e:
        raise ValueError(_block_names(str(e), "f")) from None
    # The backward net ran on flipped time: flip its output gradient in, its input gradient out.
    try:
        g_b = rnn.backward_hidden(np.ascontiguousarray(dh[::-1, :, H:]), cache["b"],
                                  truncate, dh_last_b)
    except ValueError as e:
        raise ValueError(_block_names(str(e), "b")) from None
    grads = {}
    for d, g in (("f", g_f), ("b", g_b)):
        for key, value in g.items():
            if key not in ("x", "h_init"):
                grads[_to_block(key, d)] = value
    grads["x"] = g_f["x"] + g_b["x"][::-1]
    grads["h_init_f"] = g_f["h_init"]
    grads["h_init_b"] = g_b["h_init"]
    return grads


def _block_names(message, d):
    """Rewrite rnn's key names in an error message into the block's names."""
    message = re.sub(r"'W_([crx]\d+)'", lambda m: f"'W_{d}{m.group(1)}'", message)
    message = re.sub(r"'b(\d+)'", lambda m: f"'b_{d}{m.group(1)}'", message)
    return message.replace("h_init", f"h_init_{d}").replace("dh_last", f"dh_last_{d}")
