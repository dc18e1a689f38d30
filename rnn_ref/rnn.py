r"""The fully recurrent network (chapter 6) and backpropagation through time (chapter 7).

A stack of ``L`` recurrent layers followed by a linear output layer. With
``h^{(0)}[t] = x[t]`` and ``h^{(l)}[-1] = h_init[l-1]`` (book eqs. ``eq-rnn-layer``,
``eq-rnn-skip`` and ``eq-rnn-output``)::

    z^{(l)}[t] = W_c^{(l)} h^{(l-1)}[t] + W_r^{(l)} h^{(l)}[t-1] + b^{(l)}  [+ W_x^{(l)} x[t]]
    h^{(l)}[t] = f(z^{(l)}[t])
    y[t]       = W_o h^{(L)}[t] + b_o                          [+ sum_{l<L} W_o^{(l)} h^{(l)}[t]]

``y`` are the output pre-activations (logits); the output non-linearity, e.g. the
softmax, belongs to the loss (see :mod:`rnn_ref.losses`).

Parameters
----------
The parameter dict *is* the architecture: the number of ``W_c*`` keys sets ``L``, and the
optional skip keys switch skip connections on layer by layer.

=========  =========================  ===============================================
key        shape                      meaning
=========  =========================  ===============================================
``W_c1``   (H, D)                     current weights, input -> layer 1
``W_c{l}`` (H, H), l >= 2             current weights, layer l-1 -> layer l
``W_r{l}`` (H, H)                     recurrent weights, layer l at t-1 -> t
``b{l}``   (H,)                       bias of layer l
``W_x{l}`` (H, D), l >= 2, optional   skip from the input to layer l
``W_o``    (O, H)                     output weights from the top layer L
``W_o{l}`` (O, H), l < L, optional    skip from layer l to the output
``b_o``    (O,)                       output bias
=========  =========================  ===============================================

Shapes: ``x`` is ``(T, B, D)``, ``y`` is ``(T, B, O)``; ``h_init`` is ``(L, B, H)`` (one
state per sequence) or ``(L, H)`` (one learnable state per layer, shared by the batch).

Why the loops look the way they do
----------------------------------
Layer ``l`` at time ``t`` needs only layer ``l-1`` at time ``t`` and layer ``l`` at time
``t-1``, so the network is computed layer by layer: every term that does not involve
``h^{(l)}[t-1]`` (current weights, skips, bias) is one matmul over all ``T*B`` rows, and
only ``W_r h[t-1]`` stays inside the time loop. The backward pass mirrors this: the loop
over time carries only ``dh[t-1] = W_r^T dz[t]``, and the shared-parameter gradients are
pooled over time afterwards with one matmul each (eq. ``eq-bptt-pool``). This computes
exactly the sums of the lecture's pseudocode, in a different order.
"""

import re

import numpy as np

from . import activations
from ._batched import matvec, rmatvec
from ._checks import Shapes, check_cache, check_choice, check_keys, check_positive_int

__all__ = ["init_params", "architecture", "forward", "backward", "forward_hidden",
           "backward_hidden", "output_forward"]


def init_params(D, H, O, L=1, skip_input=False, skip_output=False, rng=None):
    """Random parameters for an ``L``-layer network (PyTorch's default scale).

    Weights are uniform in ``[-1/sqrt(H), 1/sqrt(H)]``; biases start at zero.
    ``skip_input`` adds ``W_x{l}`` for ``l >= 2``; ``skip_output`` adds ``W_o{l}`` for
    ``l < L``. Returns a dict of float64 arrays with the keys in the module docstring.
    """
    for name, v in (("D", D), ("H", H), ("O", O), ("L", L)):
        check_positive_int(name, v)
    rng = np.random.default_rng(rng)
    k = 1.0 / np.sqrt(H)

    def u(*shape):
        return rng.uniform(-k, k, size=shape)

    p = {}
    for l in range(1, L + 1):
        p[f"W_c{l}"] = u(H, D if l == 1 else H)
        p[f"W_r{l}"] = u(H, H)
        p[f"b{l}"] = np.zeros(H)
        if skip_input and l >= 2:
            p[f"W_x{l}"] = u(H, D)
    p["W_o"] = u(O, H)
    if skip_output:
        for l in range(1, L):
            p[f"W_o{l}"] = u(O, H)
    p["b_o"] = np.zeros(O)
    return p


def architecture(params, output=True):
    """Read the architecture off the parameter keys.

    Returns ``(L, input_skips, output_skips)``: the number of layers, the layers that
    receive an input skip and the layers below ``L`` that feed the output. Raises
    ``ValueError`` if the keys do not describe a network.
    """
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    layers = sorted(int(m.group(1)) for k in params if (m := re.fullmatch(r"W_c(\d+)", k)))
    if not layers:
        raise ValueError("params has no 'W_c1': an RNN needs at least one layer "
                         "(keys W_c1, W_r1, b1" + (", W_o, b_o)" if output else ")"))
    L = len(layers)
    if layers != list(range(1, L + 1)):
        raise ValueError(f"params has layers {layers}; expected W_c1 ... W_c{L} with no gaps")
    input_skips = [l for l in range(2, L + 1) if f"W_x{l}" in params]
    output_skips = [l for l in range(1, L) if f"W_o{l}" in params] if output else []
    expected = []
    for l in range(1, L + 1):
        expected += [f"W_c{l}", f"W_r{l}", f"b{l}"] + ([f"W_x{l}"] if l in input_skips else [])
    if output:
        expected += ["W_o"] + [f"W_o{l}" for l in output_skips] + ["b_o"]
    check_keys(params, expected)
    return L, input_skips, output_skips


def _check_hidden(x, params, h_init, shapes, L, input_skips):
    shapes.array("x", x, "T B D")
    for l in range(1, L + 1):
        shapes.array(f"params['W_c{l}']", params[f"W_c{l}"], "H D" if l == 1 else "H H")
        shapes.array(f"params['W_r{l}']", params[f"W_r{l}"], "H H")
        shapes.array(f"params['b{l}']", params[f"b{l}"], "H")
        if l in input_skips:
            shapes.array(f"params['W_x{l}']", params[f"W_x{l}"], "H D")
    if h_init is None:
        return np.zeros((L, shapes["B"], shapes["H"]))
    if isinstance(h_init, np.ndarray) and h_init.ndim == 2:
        return shapes.array("h_init", h_init, "L H")[:, None, :]
    return shapes.array("h_init", h_init, "L B H")


def _hidden_forward(x, params, h_init, activation, L, input_skips):
    """Run the recurrent layers; return the list of per-layer states ``(T+1, B, H)``."""
    T, B, _ = x.shape
    hs = []
    below = x
    for l in range(1, L + 1):
        W_r = params[f"W_r{l}"]
        # Terms without h[t-1] for all steps at once: one (T*B, in) @ (in, H) matmul.
        a = matvec(params[f"W_c{l}"], below) + params[f"b{l}"]
        if l in input_skips:
            a += matvec(params[f"W_x{l}"], x)
        h = np.empty((T + 1, B, W_r.shape[0]))
        h[0] = h_init[l - 1]
        for t in range(T):
            activations.apply(activation, a[t] + h[t] @ W_r.T, out=h[t + 1])
        hs.append(h)
        below = h[1:]
    return hs


def forward_hidden(x, params, h_init=None, activation="tanh"):
    """Recurrent layers only, without the output layer (used by :mod:`rnn_ref.brnn`).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict with the layer keys ``W_c{l}``, ``W_r{l}``, ``b{l}`` (and ``W_x{l}``).
    h_init : (L, B, H) or (L, H) array, optional
        ``h^{(l)}[-1]``; zeros if omitted.
    activation : {'tanh', 'sigmoid', 'relu', 'identity'}

    Returns
    -------
    h_top : (T, B, H) array
        ``h^{(L)}[t]`` for every ``t`` (eq. ``eq-rnn-layer``).
    cache : dict
        What :func:`backward_hidden` needs.
    """
    check_choice("activation", activation, activations.NAMES)
    L, input_skips, _ = architecture(params, output=False)
    shapes = Shapes(L=L)
    h0 = _check_hidden(x, params, h_init, shapes, L, input_skips)
    hs = _hidden_forward(x, params, h0, activation, L, input_skips)
    cache = {"module": "rnn.hidden", "x": x, "params": params, "hs": hs,
             "activation": activation, "L": L, "input_skips": input_skips,
             "h_init_shape": None if h_init is None else h_init.shape}
    return hs[-1][1:].copy(), cache   # a copy: editing it must not change backward


def _hidden_backward(dh_out, cache, truncate, dh_last):
    """BPTT through the recurrent layers.

    ``dh_out[l-1]`` is the gradient arriving at ``h^{(l)}[t]`` from outside the stack
    (the output layer or a skip), or ``None``; ``dh_last`` is ``(L, B, H)``, the gradient
    arriving at each layer's final state ``h^{(l)}[T-1]`` from outside the sequence.
    Returns the gradient dict.
    """
    x, params, hs = cache["x"], cache["params"], cache["hs"]
    L, input_skips, activation = cache["L"], cache["input_skips"], cache["activation"]
    T, B, D = x.shape
    grads = {}
    dx = np.zeros_like(x)
    dh_init = np.zeros((L, B, hs[0].shape[2]))
    dh_above = None                       # gradient into h^{(l)}[t] from layer l+1
    for l in range(L, 0, -1):
        h = hs[l - 1]
        W_r = params[f"W_r{l}"]
        dh_ext = sum(d for d in (dh_above, dh_out[l - 1]) if d is not None)
        fprime = activations.derivative(activation, h[1:])
        dz = np.empty_like(fprime)
        dh_next = dh_last[l - 1].copy()          # dDIV/dh[t] through h[t+1] (or from outside)
        for t in range(T - 1, -1, -1):
            np.multiply(dh_ext[t] + dh_next, fprime[t], out=dz[t])
            if truncate and t > 0 and t % truncate == 0:
                dh_next = np.zeros_like(dh_next)    # window boundary: stop the gradient
            else:
                dh_next = dz[t] @ W_r
        dh_init[l - 1] = dh_next
        # Shared parameters: pool dz[t] (outer) inputs over all t in one matmul each.
        dz2 = dz.reshape(T * B, -1)
        below = x if l == 1 else hs[l - 2][1:]
        grads[f"W_c{l}"] = dz2.T @ below.reshape(T * B, -1)
        grads[f"W_r{l}"] = dz2.T @ h[:-1].reshape(T * B, -1)
        grads[f"b{l}"] = dz2.sum(axis=0)
        if l in input_skips:
            grads[f"W_x{l}"] = dz2.T @ x.reshape(T * B, D)
            dx += rmatvec(params[f"W_x{l}"], dz)
        if l == 1:
            dx += rmatvec(params["W_c1"], dz)
        else:
            dh_above = rmatvec(params[f"W_c{l}"], dz)
    shape = cache["h_init_shape"]
    grads["x"] = dx
    grads["h_init"] = dh_init.sum(axis=1) if shape is not None and len(shape) == 2 else dh_init
    return grads


def _check_truncate(truncate):
    if truncate is not None:
        check_positive_int("truncate", truncate)
    return truncate


def _check_dh_last(dh_last, cache):
    """``dh_last`` as an ``(L, B, H)`` array (zeros if omitted)."""
    hs = cache["hs"]
    B, H = hs[0].shape[1:]
    return Shapes(L=cache["L"], B=B, H=H).optional("dh_last", dh_last, "L B H")


def backward_hidden(dh_top, cache, truncate=None, dh_last=None):
    """Backward pass of :func:`forward_hidden`.

    Parameters
    ----------
    dh_top : (T, B, H) array
        ``dDIV/dh^{(L)}[t]`` for every ``t``.
    cache : dict from :func:`forward_hidden`.
    truncate : int, optional
        Truncated BPTT window ``k`` (see :func:`backward`).
    dh_last : (L, B, H) array, optional
        Gradients on every layer's final state ``h^{(l)}[T-1]`` (see :func:`backward`).

    Returns
    -------
    grads : dict with the parameter keys, ``'x'`` (T, B, D) and ``'h_init'``.
    """
    check_cache(cache, "rnn.hidden")
    hs = cache["hs"]
    T, B = cache["x"].shape[:2]
    Shapes(T=T, B=B, H=hs[0].shape[2]).array("dh_top", dh_top, "T B H")
    dh_out = [None] * (cache["L"] - 1) + [dh_top]
    return _hidden_backward(dh_out, cache, _check_truncate(truncate),
                            _check_dh_last(dh_last, cache))


def output_forward(h_top, params):
    """The output layer alone, ``y[t] = W_o h[t] + b_o`` (eq. ``eq-rnn-output``).

    ``h_top`` is ``(T, B, H)``; ``params`` holds ``W_o`` (O, H) and ``b_o`` (O,).
    Returns the logits ``(T, B, O)``.
    """
    check_keys(params, ["W_o", "b_o"])
    s = Shapes()
    s.array("h_top", h_top, "T B H")
    s.array("params['W_o']", params["W_o"], "O H")
    s.array("params['b_o']", params["b_o"], "O")
    return matvec(params["W_o"], h_top) + params["b_o"]


def forward(x, params, h_init=None, activation="tanh"):
    """Forward pass of the whole network (eqs. ``eq-rnn-layer`` to ``eq-rnn-output``).

    Parameters
    ----------
    x : (T, B, D) array
        Input sequence, time-major.
    params : dict
        Keys as in the module docstring; they define ``L`` and the skips.
    h_init : (L, B, H) or (L, H) array, optional
        Initial states ``h^{(l)}[-1]``; zeros if omitted. Pass an ``(L, H)`` array to
        learn one initial state per layer (its gradient is summed over the batch).
    activation : {'tanh', 'sigmoid', 'relu', 'identity'}
        The state activation ``f``.

    Returns
    -------
    y : (T, B, O) array
        Output pre-activations (logits) for every step.
    cache : dict
        What :func:`backward` needs: the input, the parameters and every state.
    """
    check_choice("activation", activation, activations.NAMES)
    L, input_skips, output_skips = architecture(params)
    shapes = Shapes(L=L)
    h0 = _check_hidden(x, params, h_init, shapes, L, input_skips)
    shapes.array("params['W_o']", params["W_o"], "O H")
    for l in output_skips:
        shapes.array(f"params['W_o{l}']", params[f"W_o{l}"], "O H")
    shapes.array("params['b_o']", params["b_o"], "O")
    hs = _hidden_forward(x, params, h0, activation, L, input_skips)
    y = matvec(params["W_o"], hs[-1][1:]) + params["b_o"]
    for l in output_skips:
        y += matvec(params[f"W_o{l}"], hs[l - 1][1:])
    cache = {"module": "rnn", "x": x, "params": params, "hs": hs, "activation": activation,
             "L": L, "input_skips": input_skips, "output_skips": output_skips,
             "h_init_shape": None if h_init is None else h_init.shape}
    return y, cache


def backward(dy, cache, truncate=None, dh_last=None):
    """Backpropagation through time (chapter 7, eqs. ``eq-bptt-output`` to ``eq-bptt-init``).

    Parameters
    ----------
    dy : (T, B, O) array
        ``dDIV/dy[t]`` for every step. A loss on every step gives a full array
        (many-to-many); a loss on the last step only (many-to-one) or with an output
        delay gives zeros where no output is scored (see :func:`rnn_ref.losses.io_mask`).
        The divergence need not be a sum over steps: any ``dy`` works.
    cache : dict from :func:`forward`.
    truncate : int, optional
        Truncated BPTT with window ``k`` (eq. ``eq-tbptt``): the sequence is cut into
        windows ``[0, k), [k, 2k), ...``; the state is carried across a boundary but its
        gradient is not, exactly as if each window were run separately with the last
        state of the previous window as a constant ``h_init``.
    dh_last : (L, B, H) array, optional
        Gradients that reach the final states ``h^{(l)}[T-1]`` of every layer from
        outside the sequence, e.g. from a decoder that starts from this network's last
        states (an encoder). For the top layer this is the same as adding to the
        gradient of ``h^{(L)}[T-1]``; for lower layers it is the only way in.

    Returns
    -------
    grads : dict
        One entry per parameter key (pooled over time and batch), plus ``'x'``
        (T, B, D) and ``'h_init'`` (same shape as the ``h_init`` given to forward,
        ``(L, B, H)`` if none was given).
    """
    check_cache(cache, "rnn")
    params, hs = cache["params"], cache["hs"]
    T, B = cache["x"].shape[:2]
    Shapes(T=T, B=B, O=params["W_o"].shape[0]).array("dy", dy, "T B O")
    truncate = _check_truncate(truncate)
    L, output_skips = cache["L"], cache["output_skips"]
    dy2 = dy.reshape(T * B, -1)
    out_grads = {"W_o": dy2.T @ hs[-1][1:].reshape(T * B, -1)}
    dh_out = [None] * L
    dh_out[L - 1] = rmatvec(params["W_o"], dy)
    for l in output_skips:
        out_grads[f"W_o{l}"] = dy2.T @ hs[l - 1][1:].reshape(T * B, -1)
        dh_out[l - 1] = rmatvec(params[f"W_o{l}"], dy)
    out_grads["b_o"] = dy2.sum(axis=0)
    grads = _hidden_backward(dh_out, cache, truncate, _check_dh_last(dh_last, cache))
    grads.update(out_grads)
    return grads
