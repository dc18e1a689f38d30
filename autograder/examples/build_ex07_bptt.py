"""How solutions/ex07_bptt/ex07_bptt.ipynb was written (see build_ex02_tdnn.py).

Run from the repository root to regenerate the notebook:
.venv/bin/python autograder/examples/build_ex07_bptt.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex07_bptt")

nb.instructions("intro", r"""
# Exercise 7: backpropagation through time

*Chapter 7, "Backpropagation through time", in the book.*

In exercise 6 you ran a deep recurrent network forward. Here you train it: you write
backpropagation through time (BPTT) for a stack of $\tanh$ layers with a linear output
layer, in numpy, and then its truncated version.

**Learning goals.** After this exercise you can

- backpropagate through a recurrent layer from the last step to the first, carrying the
  gradient of the state back through the recurrent weights;
- pool the gradients of weights that every step shares, and explain why they must be
  added up over time;
- compute the gradients of the input sequence and of a learned initial state;
- chain the layers of a deep network in the backward pass;
- implement truncated BPTT and say which dependencies it ignores.

**Notation and shapes.** As in exercise 6: time runs $t = 0, \dots, T-1$, sequences are
`(T, B, D)`, weight matrices are `(out_features, in_features)` and $\mathbf{W}\mathbf{x}$
is `x @ W.T` for a batch of row vectors. A layer's initial state is
$\mathbf{h}[-1]$; in the one-layer functions it is called `h0`, shape `(B, H)`, one row
per sequence. The network's parameters are a dict with keys `W_c{l}` `(H, D)` for
$l = 1$ and `(H, H)` above, `W_r{l}` `(H, H)`, `b{l}` `(H,)`, `W_o` `(O, H)`, `b_o`
`(O,)`; there are no skip connections in this exercise. `h_init` `(L, H)` holds one
learned initial state per layer, shared by every sequence of the batch.

The forward pass is given (locked cell below): `layer_forward` runs one layer,
`rnn_forward` the whole network. Everything you write is backward code.

| part | what | points |
|---|---|---|
| 1 | `layer_backward`: gradient of `W_r` | 3 |
| 2 | `layer_backward`: gradients of `W_c` and `b` | 2 |
| 3 | `layer_backward`: gradient of the initial state `h0` | 1 |
| 4 | `layer_backward`: gradient of the layer's input | 2 |
| 5 | `rnn_backward`: gradients of `W_o` and `b_o` | 1 |
| 6 | `rnn_backward`: every gradient of a deep network, and of `h_init` | 2 |
| 7 | truncated BPTT in `layer_backward` | 2 |
| 8 | a short written answer | 1 |

**How the tests work.** Each part has a cell of visible tests: run it after writing your
code. Gradients are compared with numerical derivatives of the given forward pass. When
a test fails, its message gives the relative error and the first wrong entry, and the
test tries simpler cases first (a single step, tiny inputs so that $\tanh$ is nearly
linear, a loss on one step only, $\mathbf{W}_r = 0$ so that nothing flows back in time)
to point at the likely cause. When you submit, the grader also runs hidden tests on
random inputs of other shapes (including $T = 1$ and $B = 1$). Only numpy is allowed;
do not change the locked cells. Expect to spend two to three hours.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import (check_shape, check_close, check_gradient, gradient_error,
                      first_failure, rel_error)

rng = np.random.default_rng(0)


def num_layers(params):
    """The depth L of the network: the number of keys W_c1, W_c2, ... in params."""
    return sum(1 for key in params if key.startswith("W_c"))


def layer_forward(inp, h0, W_c, W_r, b):
    """One tanh layer over the whole sequence (given).

    inp: (T, B, D) the layer's input, h0: (B, H) initial state h[-1],
    W_c: (H, D), W_r: (H, H), b: (H,)  ->  h: (T, B, H), h[t] = tanh(W_c inp[t] + W_r h[t-1] + b)
    """
    T, B = inp.shape[:2]
    h = np.empty((T, B, W_r.shape[0]))
    current = inp @ W_c.T + b          # the terms that do not depend on h[t-1], all steps at once
    previous = h0
    for t in range(T):
        h[t] = np.tanh(current[t] + previous @ W_r.T)
        previous = h[t]
    return h


def rnn_forward(x, params, h_init=None):
    """The deep network of exercise 6 without skips (given).

    x: (T, B, D), params: W_c{l}, W_r{l}, b{l}, W_o, b_o; h_init: (L, H) or None (zeros)
    ->  y: (T, B, O), cache: dict with
        "x": x, "params": params, "h_init": (L, H) array,
        "h": list of L arrays (T, B, H), cache["h"][l-1][t] = h^(l)[t]
    """
    L = num_layers(params)
    B = x.shape[1]
    H = params["W_r1"].shape[0]
    if h_init is None:
        h_init = np.zeros((L, H))
    states = []
    layer_input = x
    for l in range(1, L + 1):
        start = np.broadcast_to(h_init[l - 1], (B, H))
        layer_input = layer_forward(layer_input, start, params[f"W_c{l}"], params[f"W_r{l}"],
                                    params[f"b{l}"])
        states.append(layer_input)
    y = states[-1] @ params["W_o"].T + params["b_o"]
    return y, {"x": x, "params": params, "h_init": h_init, "h": states}
''')

# -- Parts 1-4 ------------------------------------------------------------------------

nb.instructions("layer_text", r"""
## Parts 1-4: BPTT through one layer

Take one layer, $\mathbf{z}[t] = \mathbf{W}_c\,\mathbf{u}[t] + \mathbf{W}_r\,\mathbf{h}[t-1]
+ \mathbf{b}$, $\mathbf{h}[t] = \tanh(\mathbf{z}[t])$, where $\mathbf{u}[t]$ is the layer's
input (the network input $\mathbf{x}[t]$ for layer 1, the state of the layer below
otherwise). Suppose someone outside the layer (the output layer, or the layer above)
hands you

$$
\mathbf{g}[t] = \frac{\partial\,\mathrm{DIV}}{\partial\mathbf{h}[t]}\Big|_{\text{outside}},
\qquad t = 0, \dots, T-1,
$$

the part of the gradient of the state that does **not** go through the recurrence. The
state $\mathbf{h}[t]$ also feeds $\mathbf{z}[t+1]$ through $\mathbf{W}_r$, so its full gradient
collects that path too. Going backwards in time, $t = T-1, T-2, \dots, 0$:

$$
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{h}[t]} = \mathbf{g}[t]
  + \mathbf{W}_r^\top\,\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{z}[t+1]}
  \quad\Big(\text{no second term at } t = T-1\Big),
\qquad
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{z}[t]} =
  \frac{\partial\,\mathrm{DIV}}{\partial\mathbf{h}[t]} \odot \big(1 - \mathbf{h}[t]^2\big).
$$

Every step uses the same $\mathbf{W}_c$, $\mathbf{W}_r$ and $\mathbf{b}$, so their gradients
are **pooled**: added up over all steps (and, with a batch, over all sequences):

$$
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{W}_c} = \sum_t
  \frac{\partial\,\mathrm{DIV}}{\partial\mathbf{z}[t]}\,\mathbf{u}[t]^\top,\qquad
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{W}_r} = \sum_t
  \frac{\partial\,\mathrm{DIV}}{\partial\mathbf{z}[t]}\,\mathbf{h}[t-1]^\top,\qquad
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{b}} = \sum_t
  \frac{\partial\,\mathrm{DIV}}{\partial\mathbf{z}[t]} .
$$

Finally the input and the initial state:
$\partial\,\mathrm{DIV}/\partial\mathbf{u}[t] = \mathbf{W}_c^\top\,\partial\,\mathrm{DIV}/\partial\mathbf{z}[t]$,
and $\mathbf{h}[-1]$ is used only by step 0, through $\mathbf{W}_r$.

Write `layer_backward(dh, h, h0, inp, W_c, W_r, k=None)`:

* `dh` `(T, B, H)` is $\mathbf{g}[t]$; `h` `(T, B, H)` are the states from `layer_forward`;
  `h0` `(B, H)` is the initial state; `inp` `(T, B, D)` is the layer's input;
* it returns a dict with `"W_c"` `(H, D)`, `"W_r"` `(H, H)`, `"b"` `(H,)`, `"inp"`
  `(T, B, D)` and `"h0"` `(B, H)`;
* ignore `k` until Part 7 (with `k=None` the result is the full gradient).

In code and in the test messages, `dz[t]` stands for
$\partial\,\mathrm{DIV}/\partial\mathbf{z}[t]$, a `(B, H)` array. You need one loop,
backwards over time; inside it, everything is a matmul over the batch.
You stored $\tanh(\mathbf{z}[t])$ in `h`, which is all the derivative needs. Careful with
$\mathbf{h}[t-1]$ at $t = 0$: it is `h0`.

The four test cells grade the four gradients separately; the gradient of `W_r` is the
heart of BPTT and counts most.
""")

nb.solution("layer_code", '''
def layer_backward(dh, h, h0, inp, W_c, W_r, k=None):
    """BPTT through one tanh layer.

    dh: (T, B, H) gradient reaching h[t] from outside the layer; h: (T, B, H) states;
    h0: (B, H) initial state h[-1]; inp: (T, B, D) the layer's input;
    W_c: (H, D), W_r: (H, H); k: truncation window (Part 7) or None
    ->  {"W_c": (H, D), "W_r": (H, H), "b": (H,), "inp": (T, B, D), "h0": (B, H)}
    """
    ### BEGIN SOLUTION
    T, B, H = h.shape
    dW_c = np.zeros_like(W_c)
    dW_r = np.zeros_like(W_r)
    db = np.zeros(H)
    dinp = np.zeros_like(inp)
    dh_later = np.zeros((B, H))        # what h[t] receives from step t+1 through W_r
    for t in range(T - 1, -1, -1):
        h_prev = h[t - 1] if t > 0 else h0
        dz = (dh[t] + dh_later) * (1.0 - h[t] ** 2)
        dW_c += dz.T @ inp[t]
        dW_r += dz.T @ h_prev
        db += dz.sum(axis=0)
        dinp[t] = dz @ W_c
        if k is not None and t > 0 and t % k == 0:
            dh_later = np.zeros((B, H))            # t starts a window: stop here
        else:
            dh_later = dz @ W_r
    return {"W_c": dW_c, "W_r": dW_r, "b": db, "inp": dinp, "h0": dh_later}
    ### END SOLUTION
''')

nb.readonly("layer_helpers", '''
def _layer_case(T=4, B=2, D=3, H=3, scale=1.0, rec=1.0, seed=2):
    """Inputs of layer_forward. scale shrinks every pre-activation (at 1e-4, tanh is linear
    to 1e-8); rec scales W_r (rec = 0: nothing flows back in time)."""
    r = np.random.default_rng(seed)
    return {"inp": scale * r.standard_normal((T, B, D)),
            "h0": 0.5 * scale * r.standard_normal((B, H)),
            "W_c": r.standard_normal((H, D)) / np.sqrt(D),
            "W_r": rec * r.standard_normal((H, H)) / np.sqrt(H),
            "b": 0.1 * scale * r.standard_normal(H)}


def _fwd(inp, h0, W_c, W_r, b):
    h = layer_forward(inp, h0, W_c, W_r, b)
    return h, (h, h0, inp, W_c, W_r)


def _bwd(dh, cache):
    return layer_backward(dh, *cache)


def _dout(case, step=None):
    """A random upstream gradient; with step, only that step is scored."""
    T, B = case["inp"].shape[:2]
    dout = np.random.default_rng(7).standard_normal((T, B, case["W_r"].shape[0]))
    if step is not None:
        only = np.zeros((T, 1, 1))
        only[step] = 1.0
        dout = dout * only
    return dout


def _err(wrt, step=None, **shape):
    """Relative error of one gradient of your layer_backward."""
    case = _layer_case(**shape)
    return gradient_error(_fwd, _bwd, case, wrt, dout=_dout(case, step))[0]
''')

nb.tests("bptt_W_r", 3, '''
hint = None
bad = first_failure([
    ("one step, tiny inputs", lambda: _err("W_r", T=1, scale=1e-4)),
    ("one step", lambda: _err("W_r", T=1)),
    ("W_r = 0, only step 0 scored", lambda: _err("W_r", T=3, rec=0.0, step=0)),
    ("W_r = 0, only step 2 scored", lambda: _err("W_r", T=3, rec=0.0, step=2)),
    ("W_r = 0, every step scored", lambda: _err("W_r", T=3, rec=0.0)),
    ("only the last step scored", lambda: _err("W_r", T=4, step=3)),
])
if bad == "one step, tiny inputs":
    hint = ("wrong even for a single step: at t = 0, W_r multiplies the initial state h0 = h[-1], "
            "so dW_r pairs dz[0] with h0 (an outer product, summed over the batch)")
elif bad == "one step":
    hint = ("right when tanh is nearly linear (tiny inputs) but wrong otherwise: did you multiply "
            "by the derivative of tanh, 1 - h[t]**2?")
elif bad == "W_r = 0, only step 0 scored":
    hint = "right for T = 1 but not for step 0 of a longer sequence: at t = 0 use h0, at t > 0 use h[t-1]"
elif bad in ("W_r = 0, only step 2 scored", "W_r = 0, every step scored"):
    hint = ("dW_r is right when only step 0 is scored but wrong at step t = 2 (with W_r = 0 nothing "
            "flows back in time, so step 2 contributes only its own term): did you pool the "
            "gradient over time, adding the contribution of every step?")
elif bad == "only the last step scored":
    hint = ("right when W_r = 0 but not otherwise: the gradient must also flow back through the "
            "recurrence. h[t-1] feeds step t, so dDIV/dh[t-1] receives W_r^T dDIV/dz[t] on top of dh[t-1]")
check_gradient("dW_r", _fwd, _bwd, _layer_case(), "W_r", hint=hint)
''')

nb.tests("bptt_W_c_b", 2, '''
def _probe_hint(wrt):
    bad = first_failure([
        ("one step, tiny inputs", lambda: _err(wrt, T=1, scale=1e-4)),
        ("one step", lambda: _err(wrt, T=1)),
        ("W_r = 0, only step 2 scored", lambda: _err(wrt, T=3, rec=0.0, step=2)),
        ("W_r = 0, every step scored", lambda: _err(wrt, T=3, rec=0.0)),
        ("only the last step scored", lambda: _err(wrt, T=4, step=3)),
    ])
    return {
        "one step, tiny inputs": ("wrong even for a single step: dW_c pairs dz[t] with the layer's "
                                  "input inp[t], summed over the batch; db sums dz[t] over the batch"),
        "one step": "right when tanh is nearly linear but wrong otherwise: did you multiply by the derivative of tanh, 1 - h[t]**2?",
        "W_r = 0, only step 2 scored": "wrong at step t = 2: did you pool the gradient over time, adding the contribution of every step?",
        "W_r = 0, every step scored": "did you pool the gradient over time, adding the contribution of every step?",
        "only the last step scored": ("right when W_r = 0 but not otherwise: dz[t] must include what flows back "
                                      "from step t+1 through the recurrence"),
    }.get(bad)

check_gradient("dW_c", _fwd, _bwd, _layer_case(), "W_c", hint=_probe_hint("W_c"))
check_gradient("db", _fwd, _bwd, _layer_case(), "b", hint=_probe_hint("b"))
''')

nb.tests("bptt_h0", 1, '''
h, cache = _fwd(**_layer_case())
check_shape("the gradient of h0", _bwd(np.ones_like(h), cache)["h0"], (2, 3))
hint = None
bad = first_failure([
    ("one step, tiny inputs", lambda: _err("h0", T=1, scale=1e-4)),
    ("one step", lambda: _err("h0", T=1)),
    ("only the last step scored", lambda: _err("h0", T=4, step=3)),
])
if bad == "one step, tiny inputs":
    hint = ("wrong even for a single step: dDIV/dh[-1] is what step 0 sends back through W_r, "
            "exactly like dDIV/dh[t-1] for any other step")
elif bad == "one step":
    hint = "right when tanh is nearly linear but wrong otherwise: did you multiply by the derivative of tanh?"
elif bad == "only the last step scored":
    hint = ("right for one step but not when only the last of four steps is scored: the gradient of h0 "
            "is what is left after flowing back through every step down to t = 0")
check_gradient("dh0", _fwd, _bwd, _layer_case(), "h0", hint=hint)
''')

nb.tests("bptt_input", 2, '''
hint = None
bad = first_failure([
    ("one step, tiny inputs", lambda: _err("inp", T=1, scale=1e-4)),
    ("one step", lambda: _err("inp", T=1)),
    ("W_r = 0", lambda: _err("inp", T=3, rec=0.0)),
    ("only the last step scored", lambda: _err("inp", T=4, step=3)),
])
if bad == "one step, tiny inputs":
    hint = "wrong even for a single step: inp[t] reaches z[t] through W_c, so its gradient is W_c^T dDIV/dz[t]"
elif bad == "one step":
    hint = "right when tanh is nearly linear but wrong otherwise: did you multiply by the derivative of tanh?"
elif bad == "W_r = 0":
    hint = "right for one step but not for several: store the gradient of inp[t] at index t, for every t"
elif bad == "only the last step scored":
    hint = ("right when W_r = 0 but not otherwise: with only the last step scored, earlier inputs still "
            "matter through the recurrence, so dz[t] must include what flows back from step t+1")
check_gradient("dinp", _fwd, _bwd, _layer_case(), "inp", hint=hint)
''')

# -- Parts 5-6 ------------------------------------------------------------------------

nb.instructions("network_text", r"""
## Parts 5-6: the whole network

Now write `rnn_backward(dy, cache, k=None)` for the network of `rnn_forward`, where `dy`
`(T, B, O)` is $\partial\,\mathrm{DIV}/\partial\mathbf{y}[t]$ and `cache` is the dict
`rnn_forward` returned. It returns a dict with

* `"W_o"` `(O, H)`, `"b_o"` `(O,)`: the output layer (pooled over time and batch, as in
  exercise 6);
* `"W_c{l}"`, `"W_r{l}"`, `"b{l}"` for every layer $l = 1, \dots, L$;
* `"x"` `(T, B, D)`: the gradient of the network input;
* `"h_init"` `(L, H)`: the gradient of the learned initial states.

Work from the top down. The output layer sends
$\mathbf{W}_o^\top\,\partial\,\mathrm{DIV}/\partial\mathbf{y}[t]$ to the top layer $L$. Layer
$l$'s states are the input of layer $l+1$, so the input gradient that `layer_backward`
returns for layer $l+1$ is exactly the outside gradient $\mathbf{g}[t]$ of layer $l$; the
input gradient of layer 1 is the gradient of $\mathbf{x}$. Each layer's initial state is
`h_init[l-1]`, the same row for every sequence: pass it to `layer_backward` as a `(B, H)`
array (`np.broadcast_to` helps) and think about how the gradients of the $B$ copies
combine. Pass `k` on to `layer_backward` (it matters only in Part 7).
""")

nb.solution("network_code", '''
def rnn_backward(dy, cache, k=None):
    """BPTT through the deep network of rnn_forward.

    dy: (T, B, O); cache from rnn_forward; k: truncation window or None
    ->  {"W_o", "b_o", "W_c{l}", "W_r{l}", "b{l}" for l = 1..L, "x": (T, B, D), "h_init": (L, H)}
    """
    ### BEGIN SOLUTION
    x, params, h_init, hs = cache["x"], cache["params"], cache["h_init"], cache["h"]
    L = len(hs)
    B, H = x.shape[1], h_init.shape[1]
    grads = {"W_o": np.einsum("tbo,tbh->oh", dy, hs[-1]), "b_o": dy.sum(axis=(0, 1))}
    d_outside = dy @ params["W_o"]
    d_init = np.zeros_like(h_init)
    for l in range(L, 0, -1):
        below = x if l == 1 else hs[l - 2]
        g = layer_backward(d_outside, hs[l - 1], np.broadcast_to(h_init[l - 1], (B, H)),
                           below, params[f"W_c{l}"], params[f"W_r{l}"], k)
        grads[f"W_c{l}"], grads[f"W_r{l}"], grads[f"b{l}"] = g["W_c"], g["W_r"], g["b"]
        d_init[l - 1] = g["h0"].sum(axis=0)
        d_outside = g["inp"]
    grads["x"] = d_outside
    grads["h_init"] = d_init
    return grads
    ### END SOLUTION
''')

nb.readonly("network_helpers", '''
def _net_case(L=2, T=4, B=2, D=3, H=3, O=2, seed=5):
    """Keyword arguments for _net_fwd: x, h_init and every parameter."""
    r = np.random.default_rng(seed)
    case = {"x": r.standard_normal((T, B, D)), "h_init": 0.5 * r.standard_normal((L, H))}
    for l in range(1, L + 1):
        case[f"W_c{l}"] = r.standard_normal((H, D if l == 1 else H)) / np.sqrt(D if l == 1 else H)
        case[f"W_r{l}"] = r.standard_normal((H, H)) / np.sqrt(H)
        case[f"b{l}"] = 0.1 * r.standard_normal(H)
    case["W_o"] = r.standard_normal((O, H))
    case["b_o"] = 0.1 * r.standard_normal(O)
    return case


def _net_fwd(x, h_init, **params):
    return rnn_forward(x, params, h_init)


def _net_bwd(dy, cache):
    return rnn_backward(dy, cache)


def _net_err(wrt, **shape):
    return gradient_error(_net_fwd, _net_bwd, _net_case(**shape), wrt)[0]
''')

nb.tests("rnn_backward_output", 1, '''
hint = None
bad = first_failure([("one step, one sequence", lambda: _net_err("W_o", L=1, T=1, B=1)),
                     ("one step, a batch", lambda: _net_err("W_o", L=1, T=1, B=3)),
                     ("several steps", lambda: _net_err("W_o", L=1, T=4, B=3))])
if bad == "one step, one sequence":
    hint = "wrong already for one step and one sequence: dW_o is the outer product of dy[t] and the top state h^(L)[t]"
elif bad == "one step, a batch":
    hint = "every sequence uses the same W_o: add up the contributions of the batch"
elif bad == "several steps":
    hint = "W_o is shared by all steps: sum its gradient over time"
check_gradient("dW_o", _net_fwd, _net_bwd, _net_case(), "W_o", hint=hint)
hint = None
if _net_err("b_o", T=1) < 1e-6 and _net_err("b_o") > 1e-6:
    hint = "b_o is added at every step: sum its gradient over time as well as over the batch"
check_gradient("db_o", _net_fwd, _net_bwd, _net_case(), "b_o", hint=hint)
''')

nb.tests("rnn_backward_deep", 2, '''
def _layer_keys(L, layers=None):
    return [f"{n}{l}" for l in (layers or range(1, L + 1)) for n in ("W_c", "W_r", "b")]

def _max_err(keys, **shape):
    return max(_net_err(key, **shape) for key in keys)

y, cache = _net_fwd(**_net_case())
grads = rnn_backward(np.ones_like(y), cache)
for key in _layer_keys(2) + ["x", "h_init"]:
    assert key in grads, f"rnn_backward should return the gradient {key!r}; it returned {sorted(grads)}"
check_shape("grads['h_init']", grads["h_init"], (2, 3))
check_shape("grads['x']", grads["x"], (4, 2, 3))

if max(_err(name) for name in ("W_c", "W_r", "b", "inp", "h0")) > 1e-6:
    raise AssertionError("layer_backward does not pass its own gradient checks yet, and rnn_backward "
                         "builds on it: get Parts 1-4 right first")
hint = None
bad = first_failure([
    ("one layer", lambda: _max_err(_layer_keys(1), L=1)),
    ("two layers: the top layer", lambda: _max_err(_layer_keys(2, [2]))),
    ("two layers: the bottom layer", lambda: _max_err(_layer_keys(2, [1]))),
])
if bad == "one layer":
    hint = ("wrong already with one layer, although layer_backward is right: the top layer's outside "
            "gradient is W_o^T dy[t] for every t, and layer 1's input is x")
elif bad == "two layers: the top layer":
    hint = "with two layers, layer 2 gets the output layer's gradient and reads the states of layer 1 as its input"
elif bad == "two layers: the bottom layer":
    hint = ("the top layer is right but layer 1 is not: layer 1's states feed layer 2 through W_c2, so the "
            "input gradient that layer 2's backward returns is layer 1's outside gradient")
for key in _layer_keys(2):
    check_gradient(f"d{key}", _net_fwd, _net_bwd, _net_case(), key, hint=hint)
check_gradient("dx", _net_fwd, _net_bwd, _net_case(), "x",
               hint="the gradient of x is the input gradient of layer 1")

hint = None
if _net_err("h_init", B=1) < 1e-6 and _net_err("h_init", B=3) > 1e-6:
    hint = ("right for one sequence but not for a batch: every sequence starts from the same h_init[l-1], "
            "so its gradient is the sum of the gradients of all B copies")
check_gradient("dh_init", _net_fwd, _net_bwd, _net_case(B=3), "h_init", hint=hint)
''')

# -- Part 7 ---------------------------------------------------------------------------

nb.instructions("truncated_text", r"""
## Part 7: truncated BPTT

On a long sequence, BPTT has to store every state and walk back over every step for each
update. *Truncated* BPTT with window $k$ cuts the sequence into windows of $k$ steps,
$[0, k), [k, 2k), \dots$ (the last one may be shorter). The forward pass is unchanged,
and the state is still carried from one window into the next, but the gradient does not
cross the boundary between two windows: nothing flows from step $t = k, 2k, \dots$ back to
step $t-1$ through $\mathbf{W}_r$. Everything else stays: every step still adds its terms
to the pooled gradients, every input still gets its gradient, and the initial state
$\mathbf{h}[-1]$ still gets the gradient of the first window.

This is exactly the same as running each window on its own, starting from the last state
of the previous window treated as a constant, and adding up the windows' parameter
gradients. The locked helper `_windows` below computes it that way, using your full
`layer_backward`; the tests compare it with your fast version.

Extend `layer_backward` so that `k` (a positive integer, or `None` for full BPTT) does
this. It is a small change inside your loop.
""")

nb.readonly("truncated_helpers", '''
def _windows(dh, h, h0, inp, W_c, W_r, k):
    """Truncated BPTT the slow way, with your full layer_backward: each window [s, s+k)
    starts from the state carried over from the previous window as a constant h0."""
    T = len(h)
    total = {"W_c": 0.0, "W_r": 0.0, "b": 0.0, "inp": np.zeros_like(inp)}
    for s in range(0, T, k):
        w = slice(s, min(s + k, T))
        start = h0 if s == 0 else h[s - 1]
        g = layer_backward(dh[w], h[w], start, inp[w], W_c, W_r)
        for name in ("W_c", "W_r", "b"):
            total[name] = total[name] + g[name]
        total["inp"][w] = g["inp"]
        if s == 0:
            total["h0"] = g["h0"]
    return total


def _truncated_case(T):
    case = _layer_case(T=T, seed=T)
    h = layer_forward(**case)
    dh = np.random.default_rng(T + 1).standard_normal(h.shape)
    return dh, h, case["h0"], case["inp"], case["W_c"], case["W_r"]


_NAMES = ("W_c", "W_r", "b", "inp", "h0")


def _truncation_error(T, k, against_full=False):
    """Largest relative error of layer_backward(..., k) over all five gradients."""
    args = _truncated_case(T)
    mine = layer_backward(*args, k=k)
    ref = layer_backward(*args) if against_full else _windows(*args, k)
    for name in _NAMES:
        check_shape(f"the gradient {name!r} with k = {k}", mine[name], np.shape(ref[name]))
    return max(rel_error(mine[name], ref[name]) for name in _NAMES)
''')

nb.tests("bptt_truncated", 2, '''
hint = None
bad = first_failure([
    ("full BPTT", lambda: max(_err(name) for name in _NAMES)),
    ("k = T", lambda: _truncation_error(6, 6, against_full=True)),
    ("k > T", lambda: _truncation_error(6, 9, against_full=True)),
    ("k = 1", lambda: _truncation_error(5, 1)),
    ("k = 2", lambda: _truncation_error(6, 2)),
    ("k = 3, last window shorter", lambda: _truncation_error(7, 3)),
])
if bad == "full BPTT":
    raise AssertionError("with k=None your layer_backward does not pass its gradient checks yet, and "
                         "the truncated version builds on it: get Parts 1-4 right first")
elif bad in ("k = T", "k > T"):
    hint = ("with k >= T there is a single window, so the result must equal the full BPTT gradient. "
            "The windows are [0, k), [k, 2k), ...: the only cuts are between steps k-1 and k, 2k-1 and 2k, ...")
elif bad == "k = 1":
    hint = ("with k = 1 every step is its own window: nothing flows from any step t >= 1 back to step t-1, "
            "but h[-1] still receives the gradient of step 0")
elif bad is not None:
    hint = ("the windows are [0, k), [k, 2k), ...: the gradient stops between steps k-1 and k, 2k-1 and 2k, "
            "and so on, and crosses every other step as usual")
args = _truncated_case(7)
mine = layer_backward(*args, k=3)
ref = _windows(*args, 3)
for name in _NAMES:
    check_close(f"the truncated gradient {name!r} (T = 7, k = 3)", mine[name], ref[name], hint=hint)
''')

# -- Part 8 ---------------------------------------------------------------------------

nb.instructions("written_text", r"""
## Part 8: in your own words

The cell below trains nothing; it compares the truncated gradient of $\mathbf{W}_r$ with
the full one for a many-to-one loss (only the last output is scored) on a sequence of
$T = 40$ steps, for several windows $k$. Run it, then answer the question below it.
""")

nb.code('''
r = np.random.default_rng(3)
case = _layer_case(T=40, B=4, D=3, H=8, seed=3)
h = layer_forward(**case)
dh = np.zeros_like(h)
dh[-1] = r.standard_normal(dh[-1].shape)           # many-to-one: only h[T-1] is scored
args = (dh, h, case["h0"], case["inp"], case["W_c"], case["W_r"])
full = layer_backward(*args)
for k in (1, 2, 5, 10, 20, 40):
    trunc = layer_backward(*args, k=k)
    reached = np.flatnonzero(np.abs(trunc["inp"]).sum(axis=(1, 2)) > 0)
    print(f"k = {k:2d}: relative error of dW_r {rel_error(trunc['W_r'], full['W_r']):.1e}; "
          f"inputs with a non-zero gradient: t = {reached.min()}..{reached.max()}")
''')

nb.instructions("written_question", r"""
**Question.** A many-to-one task has sequences of $T = 100$ steps and is trained with
truncated BPTT, $k = 20$. Which inputs $\mathbf{x}[t]$ receive a non-zero gradient, and
what does that mean for a task whose label depends on something that happened at
$t = 10$? Why would anyone still use truncation? Three or four sentences.
""")

nb.written_answer("written_truncation", 1, r"""
Only the inputs of the last window, $t = 80, \dots, 99$, get a gradient: the scored
output is at $t = 99$, and the gradient is cut at the boundary between steps 79 and 80,
so the earlier windows contribute nothing (their steps have no scored output of their
own). The weights are therefore never pushed to make the state carry information about
$\mathbf{x}[10]$ across 90 steps, and such a dependency cannot be learned this way, even
though the forward pass could in principle represent it. Truncation is still used
because its cost in memory and time per update grows with $k$ instead of with $T$, it
allows updates before the end of a long (or endless) stream, and for many tasks most of
the useful gradient comes from the recent past anyway, while gradients from far back are
tiny or unstable.
""")

path = nb.write()
print("wrote", path)
