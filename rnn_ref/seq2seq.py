r"""Sequence to sequence: an encoder-decoder built from the gated cells (chapter 12).

The lectures' *many-to-many type III* setting: the outputs start only after the whole
input has been read, and their number is not tied to the input's. Two recurrent
networks share the work (book eqs. ``eq-s2s-encoder``, ``eq-s2s-decoder``)::

    encoder   h_e[t] = cell_e(x[t], h_e[t-1]),  t = 0..T_b-1, h_e[-1] = 0
              c = h_e[T_b-1]                    (with [h_f; h_b] if bidirectional)
    decoder   h_d[-1] = c
              h_d[u] = cell_d(onehot(y_in[u]), h_d[u-1]),  u = 0..U-1
              z[u] = W_o h_d[u] + b_o           logits over the V output tokens
    training  y_in[0] = BOS, y_in[u] = d[u-1]   teacher forcing (eq. ``eq-s2s-teacher``)

``T_b`` is sequence ``b``'s own length: padded sources are never read past their end,
because the encoder runs each group of equally long sources separately (what PyTorch's
``pack_padded_sequence`` does). The encoder's outputs are not used: **the decoder sees
the input only through c**, so the gradient of the loss reaches the encoder only through
its final state (``dh_last`` / ``ds_last`` of :func:`rnn_ref.lstm.backward`). With an
LSTM, ``c`` is the pair ``(h, s)``.

Every target column ends with the end-of-sequence token ``eos``; the steps after it are
padding, left out of the loss by :func:`sequence_loss` (eq. ``eq-s2s-loss``). At
inference the decoder feeds back its own choices, greedily (:func:`greedy_search`) or
keeping the ``width`` best prefixes (:func:`beam_search`), until it emits ``eos``.

Parameters (``cell`` is the LSTM's ``W_x, W_h, b`` or the GRU's ``W_x, W_h, b_x, b_h``,
see :mod:`rnn_ref.lstm` and :mod:`rnn_ref.gru`; ``G`` is 4 or 3 gates):

===================  ===============  ===================================================
keys                 shapes           meaning
===================  ===============  ===================================================
``enc_<cell>``       (G H, D), ...    encoder, reads ``x[0], ..., x[T_b-1]``
``enc_rev_<cell>``   (G H, D), ...    bidirectional only: reads ``x[T_b-1], ..., x[0]``
``dec_<cell>``       (G H', V), ...   decoder, reads one-hot tokens; ``H' = H`` or ``2H``
``W_o``, ``b_o``     (V, H'), (V,)    read-out to the token logits
===================  ===============  ===================================================

The decoder uses the same cell as the encoder (its state must have the same form); with
a bidirectional encoder its width is ``2H`` and it starts from ``[h_f; h_b]`` (and
``[s_f; s_b]``). Shapes: ``x`` is ``(T, B, D)``; ``targets`` is ``(U, B)`` integers in
``[0, V)``; logits are ``(U, B, V)``.
"""

import numpy as np

from . import gru, lstm
from ._batched import rmatvec
from ._checks import (Shapes, check_cache, check_choice, check_keys, check_number,
                      check_positive_int)
from .losses import log_softmax, softmax_cross_entropy

__all__ = ["init_params", "config", "encode", "forward", "backward", "target_mask",
           "decoder_inputs", "sequence_loss", "decoder_step", "greedy_search",
           "beam_search", "decode"]

CELLS = {"lstm": (lstm, ["W_x", "W_h", "b"]), "gru": (gru, ["W_x", "W_h", "b_x", "b_h"])}


def init_params(D, H, V, cell="lstm", bidirectional=False, rng=None, gate_bias=1.0):
    """Random parameters (PyTorch's default scale).

    ``D`` is the source feature size, ``H`` the encoder width, ``V`` the number of
    output tokens (``eos`` and the start token ``bos`` included). ``gate_bias`` starts
    the forget gate (LSTM) or update gate (GRU) open, as in :mod:`rnn_ref.seqmodel`.
    """
    check_choice("cell", cell, tuple(CELLS))
    for name, v in (("D", D), ("H", H), ("V", V)):
        check_positive_int(name, v)
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise ValueError(f"bidirectional must be True or False, got {bidirectional!r}")
    gate_bias = check_number("gate_bias", gate_bias)
    rng = np.random.default_rng(rng)
    module = CELLS[cell][0]
    Hd = 2 * H if bidirectional else H
    params = {}
    for prefix in ("enc_", "enc_rev_") if bidirectional else ("enc_",):
        for k, v in module.init_params(D, H, rng, gate_bias).items():
            params[prefix + k] = v
    for k, v in module.init_params(V, Hd, rng, gate_bias).items():
        params["dec_" + k] = v
    k = 1.0 / np.sqrt(Hd)
    params["W_o"] = rng.uniform(-k, k, size=(V, Hd))
    params["b_o"] = np.zeros(V)
    return params


def config(params):
    """``(cell, bidirectional)`` of a parameter dict, from its keys.

    Raises ``ValueError`` listing the expected keys when they fit no configuration.
    """
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    cell = "lstm" if "enc_b" in params or "dec_b" in params else "gru"
    bidirectional = any(k.startswith("enc_rev_") for k in params)
    check_keys(params, _keys(cell, bidirectional))
    return cell, bidirectional


def _keys(cell, bidirectional):
    names = CELLS[cell][1]
    prefixes = ("enc_", "enc_rev_", "dec_") if bidirectional else ("enc_", "dec_")
    return [p + k for p in prefixes for k in names] + ["W_o", "b_o"]


def _part(params, prefix, cell):
    return {k: params[prefix + k] for k in CELLS[cell][1]}


def _check_lengths(src_lengths, T, B):
    """``src_lengths`` as an int array (B,) with values in [1, T] (all T if None)."""
    if src_lengths is None:
        return np.full(B, T)
    if not isinstance(src_lengths, np.ndarray) or \
            not np.issubdtype(src_lengths.dtype, np.integer) or src_lengths.shape != (B,):
        raise ValueError(f"src_lengths must be an integer numpy array of shape (B,) = ({B},) "
                         f"(B from x), got {getattr(src_lengths, 'shape', type(src_lengths))}")
    if src_lengths.min() < 1 or src_lengths.max() > T:
        raise ValueError(f"src_lengths must lie in [1, T] = [1, {T}] (T from x), found "
                         f"values in [{src_lengths.min()}, {src_lengths.max()}]")
    return src_lengths


def _check_token(name, value, V):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < V:
        raise ValueError(f"{name} must be a token index in [0, V) = [0, {V}) (V from "
                         f"params['W_o']), got {value!r}")
    return int(value)


def _encode(x, params, src_lengths, keep_caches):
    """Run the encoder(s); return the decoder's initial state and the group caches."""
    cell, bidirectional = config(params)
    module = CELLS[cell][0]
    sh = Shapes()
    sh.array("x", x, "T B D")
    T, B, _ = x.shape
    lengths = _check_lengths(src_lengths, T, B)
    nets = [("enc_", False)] + ([("enc_rev_", True)] if bidirectional else [])
    finals, groups = [], []
    for prefix, reverse in nets:
        p = _part(params, prefix, cell)
        H = p["W_h"].shape[1]
        h_last, s_last = np.empty((B, H)), np.empty((B, H))
        for L in np.unique(lengths):
            idx = np.flatnonzero(lengths == L)
            xs = x[:L, idx]
            xs = np.ascontiguousarray(xs[::-1]) if reverse else xs
            try:
                h, cache = module.forward(xs, p)
            except ValueError as e:
                raise ValueError(f"encoder ({prefix}*): {e}") from None
            h_last[idx] = h[-1]
            if cell == "lstm":
                s_last[idx] = cache["s"][-1]
            if keep_caches:
                groups.append((prefix, reverse, idx, int(L), cache))
        finals.append((h_last, s_last))
    h0 = np.concatenate([f[0] for f in finals], axis=1)
    s0 = np.concatenate([f[1] for f in finals], axis=1) if cell == "lstm" else None
    return (h0, s0), groups, lengths


def encode(x, params, src_lengths=None):
    """The encoder's summary of each source: the decoder's initial state (eq. ``eq-s2s-encoder``).

    Parameters
    ----------
    x : (T, B, D) array
    params : dict (see the module docstring)
    src_lengths : (B,) int array, optional
        Length of each source; steps ``x[T_b:, b]`` are padding and never read.

    Returns
    -------
    state : tuple ``(h, s)`` for an LSTM or ``(h,)`` for a GRU, each ``(B, H')``
    """
    (h0, s0), _, _ = _encode(x, params, src_lengths, keep_caches=False)
    return (h0, s0) if s0 is not None else (h0,)


def target_mask(targets, eos):
    """``(U, B)`` float mask: 1 up to and including each column's first ``eos``, 0 after.

    Raises ``ValueError`` if a column has no ``eos`` (its end would be unknown).
    """
    if not isinstance(targets, np.ndarray) or targets.ndim != 2 or \
            not np.issubdtype(targets.dtype, np.integer):
        raise ValueError("targets must be an integer numpy array of shape (U, B) holding "
                         "token indices, got "
                         f"{getattr(targets, 'dtype', type(targets).__name__)} "
                         f"{getattr(targets, 'shape', '')}")
    is_eos = targets == eos
    missing = np.flatnonzero(~is_eos.any(axis=0))
    if missing.size:
        raise ValueError(f"every target column must end with the end-of-sequence token "
                         f"eos = {eos}; column(s) {missing.tolist()} contain none")
    first = is_eos.argmax(axis=0)                           # (B,)
    return (np.arange(targets.shape[0])[:, None] <= first[None, :]).astype(np.float64)


def _clean_targets(targets, eos, V):
    """Mask and targets with padding replaced by ``eos`` (so every entry is a valid index)."""
    mask = target_mask(targets, eos)
    scored = targets[mask > 0]
    if scored.min() < 0 or scored.max() >= V:
        raise ValueError(f"targets must lie in [0, V) = [0, {V}) (V from params['W_o']) up "
                         f"to each column's eos, found values in [{scored.min()}, "
                         f"{scored.max()}]")
    return np.where(mask > 0, targets, eos), mask


def decoder_inputs(targets, bos):
    """Teacher forcing (eq. ``eq-s2s-teacher``): ``[bos, d[0], ..., d[U-2]]`` per column.

    ``targets`` is ``(U, B)``; the result has the same shape: the decoder reads the
    correct previous token, not its own guess, and step ``u`` is scored against
    ``targets[u]``.
    """
    y_in = np.empty_like(targets)
    y_in[0] = bos
    y_in[1:] = targets[:-1]
    return y_in


def _one_hot(tokens, V):
    out = np.zeros(tokens.shape + (V,))
    np.put_along_axis(out, tokens[..., None], 1.0, axis=-1)
    return out


def forward(x, targets, params, bos, eos, src_lengths=None):
    """Training pass with teacher forcing (eqs. ``eq-s2s-encoder``, ``eq-s2s-decoder``).

    Parameters
    ----------
    x : (T, B, D) array
        The sources, padded after ``src_lengths[b]`` steps.
    targets : (U, B) int array
        The desired output tokens; each column ends with ``eos``, then padding (any
        integers, ignored).
    params : dict (see the module docstring)
    bos, eos : int
        The start token (the decoder's first input) and the end-of-sequence token.
    src_lengths : (B,) int array, optional (all ``T`` if omitted)

    Returns
    -------
    logits : (U, B, V) array
        ``z[u]``, the decoder's scores for the token at step ``u``; score them with
        :func:`sequence_loss`.
    cache : dict for :func:`backward`
    """
    cell, _ = config(params)
    sh = Shapes()
    W_o = sh.array("params['W_o']", params["W_o"], "V H")
    sh.array("params['b_o']", params["b_o"], "V")
    V = W_o.shape[0]
    bos, eos = _check_token("bos", bos, V), _check_token("eos", eos, V)
    (h0, s0), groups, lengths = _encode(x, params, src_lengths, keep_caches=True)
    if not isinstance(targets, np.ndarray) or targets.ndim != 2 or \
            targets.shape[1] != x.shape[1]:
        raise ValueError(f"targets must be an integer array of shape (U, B) with B = "
                         f"{x.shape[1]} (from x), got {getattr(targets, 'shape', targets)}")
    clean, mask = _clean_targets(targets, eos, V)
    y_in = _one_hot(decoder_inputs(clean, bos), V)          # (U, B, V)
    p_dec = _part(params, "dec_", cell)
    try:
        if cell == "lstm":
            h, dec_cache = lstm.forward(y_in, p_dec, h0, s0)
        else:
            h, dec_cache = gru.forward(y_in, p_dec, h0)
    except ValueError as e:
        raise ValueError(f"decoder (dec_*): {e}") from None
    logits = h @ W_o.T + params["b_o"]
    cache = {"module": "seq2seq", "cell": cell, "x": x, "groups": groups, "h": h,
             "dec": dec_cache, "params": params, "mask": mask}
    return logits, cache


def sequence_loss(logits, targets, eos):
    """Cross-entropy over the scored steps (eq. ``eq-s2s-loss``).

    ``DIV = (1/B) sum_b sum_{u <= U_b} -log softmax(z[u, b])[d[u, b]]`` where ``U_b``
    is the step of column ``b``'s first ``eos``: the end token is scored (the decoder
    must learn to stop), the padding after it is not.

    Returns ``(loss, dlogits)`` with ``dlogits`` shaped like ``logits``.
    """
    Shapes().array("logits", logits, "U B V")
    clean, mask = _clean_targets(targets, eos, logits.shape[2])
    return softmax_cross_entropy(logits, clean, mask)


def backward(dlogits, cache):
    """Backpropagation through the decoder, then into the encoder through ``c``.

    Parameters
    ----------
    dlogits : (U, B, V) array
        The gradient with respect to the logits, e.g. from :func:`sequence_loss`.
    cache : dict from :func:`forward`

    Returns
    -------
    grads : dict with every parameter key, ``'x'`` (T, B, D; zero on padding), and
        ``'enc_h'`` (B, H') (plus ``'enc_s'`` for an LSTM): the gradient that reaches
        the encoder's final state, the only way it reaches the encoder at all.
    """
    check_cache(cache, "seq2seq")
    cell, h, p, x = cache["cell"], cache["h"], cache["params"], cache["x"]
    U, B, Hd = h.shape
    V = p["W_o"].shape[0]
    Shapes(U=U, B=B, V=V).array("dlogits", dlogits, "U B V")
    d2 = dlogits.reshape(U * B, V)
    grads = {"W_o": d2.T @ h.reshape(U * B, Hd), "b_o": d2.sum(axis=0)}
    dh = rmatvec(p["W_o"], dlogits)
    g = (lstm if cell == "lstm" else gru).backward(dh, cache["dec"])
    for k in CELLS[cell][1]:
        grads["dec_" + k] = g[k]
    dh0 = g["h_init"]                                   # dDIV/dc: all the encoder gets
    ds0 = g["s_init"] if cell == "lstm" else None
    dx = np.zeros_like(x)
    for prefix, reverse, idx, L, enc_cache in cache["groups"]:
        H = enc_cache["h"].shape[2]
        half = slice(H, 2 * H) if reverse else slice(0, H)
        zeros = np.zeros((L, idx.size, H))              # encoder outputs feed nothing
        if cell == "lstm":
            ge = lstm.backward(zeros, enc_cache, dh_last=dh0[idx, half],
                               ds_last=ds0[idx, half])
        else:
            ge = gru.backward(zeros, enc_cache, dh_last=dh0[idx, half])
        for k in CELLS[cell][1]:       # pooled over the length groups
            grads[prefix + k] = grads[prefix + k] + ge[k] if prefix + k in grads else ge[k]
        dx[:L, idx] += ge["x"][::-1] if reverse else ge["x"]
    grads["x"] = dx
    grads["enc_h"] = dh0
    if cell == "lstm":
        grads["enc_s"] = ds0
    return grads


def decoder_step(tokens, state, params):
    """One decoding step: log-probabilities of the next token and the new state.

    ``tokens`` is ``(K,)`` ints (the previous token of each of ``K`` prefixes);
    ``state`` is ``(h, s)`` (LSTM) or ``(h,)`` (GRU), each ``(K, H')``. Returns
    ``(logp (K, V), new_state)``.
    """
    cell, _ = config(params)
    V = params["W_o"].shape[0]
    x = _one_hot(np.asarray(tokens), V)
    p = _part(params, "dec_", cell)
    if cell == "lstm":
        h, s, _ = lstm.cell_forward(x, state[0], state[1], p)
        new = (h, s)
    else:
        h, _ = gru.cell_forward(x, state[0], p)
        new = (h,)
    return log_softmax(h @ params["W_o"].T + params["b_o"]), new


def greedy_search(step, state, bos, eos, max_len):
    """Feed back the most probable token at every step, for ``K`` prefixes at once.

    Parameters
    ----------
    step : callable ``(tokens (K,), state) -> (logp (K, V), state)``
        One decoder step, e.g. :func:`decoder_step` with the parameters bound.
    state : tuple of (K, ...) arrays
        The initial states (row ``k`` belongs to sequence ``k``).
    bos, eos : int
    max_len : int
        The most tokens emitted per sequence, ``eos`` included.

    Returns
    -------
    sequences : list of K int arrays, each ending with ``eos`` unless cut at ``max_len``
    logprobs : (K,) array, the log-probability of each sequence
    trace : list of K arrays ``(n_k, V)``, the distribution each choice was made from
    """
    max_len = check_positive_int("max_len", max_len)
    K = state[0].shape[0]
    tokens = np.full(K, bos)
    alive = np.ones(K, dtype=bool)
    chosen, dists = [], []
    total = np.zeros(K)
    for _ in range(max_len):
        logp, state = step(tokens, state)
        tokens = logp.argmax(axis=1)                    # ties go to the smaller index
        total += np.where(alive, logp[np.arange(K), tokens], 0.0)
        chosen.append(np.where(alive, tokens, -1))
        dists.append(np.exp(logp))
        alive &= tokens != eos
        if not alive.any():
            break
    chosen = np.array(chosen)                           # (n, K), -1 after the end
    seqs, trace = [], []
    for k in range(K):
        n = int((chosen[:, k] >= 0).sum())
        seqs.append(chosen[:n, k].copy())
        trace.append(np.array([d[k] for d in dists[:n]]))
    return seqs, total, trace


def beam_search(step, state, bos, eos, max_len, width):
    """Keep the ``width`` most probable prefixes at every step, for one source.

    At each step every kept prefix is extended by every token; of all extensions the
    ``width`` with the highest total log-probability survive. An extension that ends
    in ``eos`` is finished and leaves the beam, which shrinks by one. The search stops
    when no prefix is left, when ``max_len`` tokens have been emitted, or when the best
    finished sequence is at least as probable as every kept prefix (log-probabilities
    only decrease as a prefix grows, so no prefix could overtake it).

    ``width = 1`` is greedy search. A wider beam usually finds a more probable sequence,
    but not always: a prefix that greedy search would have kept can be pushed out by
    ``width`` better ones that all end badly. A beam that never prunes (``width >= V +
    V**2 + ... + V**max_len`` suffices) is an exhaustive search.

    Parameters
    ----------
    step : callable ``(tokens (K,), state) -> (logp (K, V), state)``
        With ``K`` the number of prefixes kept; the rows of ``state`` follow the prefixes.
    state : tuple of (1, ...) arrays
        The initial state of the one source.
    bos, eos, max_len : int
    width : int

    Returns
    -------
    sequence : int array, the most probable sequence found: one that ends with ``eos``,
        or one cut at ``max_len`` tokens (kept in the beam until then)
    logprob : float
    trace : list, one entry per step: the ``(prefix, logprob)`` pairs kept, best first,
        with the finished ones marked by their final ``eos``
    """
    max_len = check_positive_int("max_len", max_len)
    width = check_positive_int("width", width)
    prefixes = [()]
    scores = np.zeros(1)
    tokens = np.array([bos])
    finished = []                                       # (logprob, sequence)
    trace = []
    for _ in range(max_len):
        logp, state = step(tokens, state)
        cand = (scores[:, None] + logp).ravel()
        V = logp.shape[1]
        best = np.argsort(-cand, kind="stable")[:width]  # stable: ties to the lower index
        keep_rows, kept, kept_scores, shown = [], [], [], []
        for flat in best:
            row, tok = divmod(int(flat), V)
            seq = prefixes[row] + (tok,)
            shown.append((seq, float(cand[flat])))
            if tok == eos:
                finished.append((float(cand[flat]), seq))
            else:
                keep_rows.append(row)
                kept.append(seq)
                kept_scores.append(float(cand[flat]))
        trace.append(shown)
        width -= len(best) - len(kept)                  # finished ones leave the beam
        prefixes, scores = kept, np.array(kept_scores)
        if not kept or (finished and max(f[0] for f in finished) >= scores.max()):
            break
        state = tuple(s[np.array(keep_rows)] for s in state)
        tokens = np.array([p[-1] for p in prefixes])
    else:
        # Cut at max_len: the prefixes still kept compete with what has finished.
        finished.extend(zip(scores.tolist(), prefixes))
    logprob, seq = max(finished, key=lambda f: f[0])    # the first of equals: finished first
    return np.array(seq, dtype=np.int64), logprob, trace


def decode(x, params, bos, eos, max_len, beam_width=1, src_lengths=None):
    """Translate each source: encode it, then search the decoder's outputs.

    Parameters
    ----------
    x : (T, B, D) array
    params : dict (see the module docstring)
    bos, eos : int
    max_len : int
        The most tokens emitted per sequence, ``eos`` included.
    beam_width : int
        1 for greedy search (all sources at once), more for beam search (one source at
        a time).
    src_lengths : (B,) int array, optional

    Returns
    -------
    sequences : list of B int arrays (ending with ``eos`` unless cut at ``max_len``)
    logprobs : (B,) array, each sequence's log-probability under the model
    traces : list of B traces as returned by :func:`greedy_search` or
        :func:`beam_search`
    """
    V = Shapes().array("params['W_o']", params["W_o"], "V H").shape[0]
    bos, eos = _check_token("bos", bos, V), _check_token("eos", eos, V)
    max_len = check_positive_int("max_len", max_len)
    beam_width = check_positive_int("beam_width", beam_width)
    state = encode(x, params, src_lengths)

    def step(tokens, st):
        return decoder_step(tokens, st, params)

    if beam_width == 1:
        return greedy_search(step, state, bos, eos, max_len)
    seqs, logprobs, traces = [], [], []
    for b in range(x.shape[1]):
        seq, lp, tr = beam_search(step, tuple(s[b:b + 1] for s in state), bos, eos,
                                  max_len, beam_width)
        seqs.append(seq)
        logprobs.append(lp)
        traces.append(tr)
    return seqs, np.array(logprobs), traces
