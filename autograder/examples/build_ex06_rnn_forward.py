"""How solutions/ex06_rnn_forward/ex06_rnn_forward.ipynb was written (see build_ex02_tdnn.py).

Run from the repository root to regenerate the notebook:
.venv/bin/python autograder/examples/build_ex06_rnn_forward.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex06_rnn_forward")

nb.instructions("intro", r"""
# Exercise 6: the forward pass of a deep RNN

*Chapter 6, "The fully recurrent network", in the book.*

In this exercise you build, in numpy, the network of chapter 6: a stack of $L$ recurrent
$\tanh$ layers with biases, a learnable initial state, optional skip connections, and a
linear output layer. You then write the first piece of its training: how the scored
outputs are chosen (the input/output *settings*), a masked loss, and the backward pass
of the output layer.

**Learning goals.** After this exercise you can

- compute one step of a recurrent layer and run a deep stack layer by layer over time;
- start every layer from a learned initial state shared by all sequences of a batch;
- add input and output skip connections to the equations and to the code;
- express many-to-many, many-to-one and delayed-output tasks as a mask on the outputs;
- backpropagate through the output layer, pooling the gradients of shared weights over
  time and batch.

**Notation and shapes.** Time runs $t = 0, \dots, T-1$; the state before the first step
is $\mathbf{h}^{(l)}[-1]$ (`h_init` in code). Sequences are time-major: `x` is
`(T, B, D)` (time steps, batch, input features); every layer has `H` units and the
output has `O` components. Weight matrices are `(out_features, in_features)`. With a
batch of row vectors, $\mathbf{W}\mathbf{x}$ is `x @ W.T` in code. The parameters are a
dict whose keys follow the book:

| key | shape | meaning |
|---|---|---|
| `W_c1` | `(H, D)` | current weights, input to layer 1 |
| `W_c{l}`, $l \ge 2$ | `(H, H)` | current weights, layer $l-1$ to layer $l$ |
| `W_r{l}` | `(H, H)` | recurrent weights of layer $l$ |
| `b{l}` | `(H,)` | bias of layer $l$ |
| `W_x{l}`, $l \ge 2$, optional | `(H, D)` | input skip: input to layer $l$ |
| `W_o` | `(O, H)` | output weights, top layer $L$ to the output |
| `W_o{l}`, $l < L$, optional | `(O, H)` | output skip: layer $l$ to the output |
| `b_o` | `(O,)` | output bias |

The number of `W_c` keys is the depth $L$ (the helper `num_layers(params)` counts them),
and a skip exists exactly when its key is in the dict.

| part | what | points |
|---|---|---|
| 1 | `rnn_step`: one step of one layer | 1 |
| 2 | `output_forward`: the output layer, with output skips | 1 |
| 3 | `rnn_forward`: a deep stack | 2 |
| 4 | `rnn_forward`: a learned initial state | 1 |
| 5 | `rnn_forward`: input and output skips | 1 |
| 6 | `io_mask` and `delay_targets`: the settings | 1 |
| 7 | `masked_mse`: a loss on the scored steps | 1 |
| 8 | `output_backward`: gradients of `W_o` and `b_o` | 1 |
| 9 | `output_backward`: gradients of the output skips | 1 |
| 10 | `output_backward`: gradients of the states | 1 |
| 11 | a short written answer | 1 |

**How the tests work.** Each part has a cell of visible tests: run it after writing your
code. When a test fails, its message says by how much, where the first wrong number is,
and often a hint about the likely cause. Most expected values are small enough to check
by hand; the comments show the arithmetic. Gradients are checked against numerical
derivatives of *your own* forward pass. When you submit, the grader also runs hidden
tests on random inputs of other shapes (including a single time step and a single
sequence). Only numpy is allowed; do not change the locked cells. Expect to spend one
to two hours.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import (check_shape, check_close, check_gradient, gradient_error,
                      first_failure, rel_error)

rng = np.random.default_rng(0)


def num_layers(params):
    """The depth L of the network: the number of keys W_c1, W_c2, ... in params."""
    return sum(1 for key in params if key.startswith("W_c"))
''')

# -- Part 1 ---------------------------------------------------------------------------

nb.instructions("step_text", r"""
## Part 1: one step of one layer

A recurrent layer combines the current input and its own previous state:

$$
\mathbf{z}[t] = \mathbf{W}_c\,\mathbf{x}[t] + \mathbf{W}_r\,\mathbf{h}[t-1] + \mathbf{b},
\qquad \mathbf{h}[t] = \tanh\big(\mathbf{z}[t]\big).
$$

Write `rnn_step(x_t, h_prev, W_c, W_r, b)`, which computes $\mathbf{h}[t]$ for a whole
batch at once: `x_t` is `(B, D)`, `h_prev` is `(B, H)` and the result is `(B, H)`, one row
per sequence. No loops are needed.
""")

nb.solution("step_code", '''
def rnn_step(x_t, h_prev, W_c, W_r, b):
    """One step of a tanh recurrent layer.

    x_t: (B, D) input x[t], h_prev: (B, H) state h[t-1],
    W_c: (H, D), W_r: (H, H), b: (H,)  ->  h_t: (B, H)
    """
    ### BEGIN SOLUTION
    return np.tanh(x_t @ W_c.T + h_prev @ W_r.T + b)
    ### END SOLUTION
''')

nb.tests("rnn_step", 1, '''
# One unit, one input: z = 2*0.5 + (-1)*0.2 + 0.1 = 0.9
h_t = rnn_step(np.array([[0.5]]), np.array([[0.2]]), np.array([[2.0]]), np.array([[-1.0]]),
               np.array([0.1]))
check_shape("h_t", h_t, (1, 1))
check_close("h_t", h_t, np.tanh([[0.9]]), hint="h[t] = tanh(W_c x[t] + W_r h[t-1] + b)")

# Two units, a batch of two sequences, three inputs.
x_t = np.array([[1.0, 0.0, 2.0],
                [0.0, -1.0, 0.0]])        # (B, D) = (2, 3)
h_prev = np.array([[0.5, -0.5],
                   [0.0, 1.0]])           # (B, H) = (2, 2)
W_c = np.array([[1.0, 2.0, 0.0],
                [0.0, 1.0, -1.0]])        # (H, D)
W_r = np.array([[1.0, 0.0],
                [2.0, 1.0]])              # (H, H)
b = np.array([0.1, -0.2])
# sequence 0: W_c x = [1, -2],  W_r h = [0.5, 0.5]  ->  z = [1.6, -1.7]
# sequence 1: W_c x = [-2, -1], W_r h = [0, 1]      ->  z = [-1.9, -0.2]
h_t = rnn_step(x_t, h_prev, W_c, W_r, b)
check_shape("h_t", h_t, (2, 2))
check_close("h_t", h_t, np.tanh([[1.6, -1.7], [-1.9, -0.2]]),
            hint="each row of x_t and h_prev is one sequence: W x becomes x @ W.T")
''')

# -- Part 2 ---------------------------------------------------------------------------

nb.instructions("output_text", r"""
## Part 2: the output layer

The output reads the top layer's state and, through optional output skips, the states of
lower layers (book eqs. `eq-rnn-output` and `eq-rnn-skip`):

$$
\mathbf{y}[t] = \mathbf{W}_o\,\mathbf{h}^{(L)}[t]
  + \sum_{l \in S} \mathbf{W}_o^{(l)}\,\mathbf{h}^{(l)}[t]
  + \mathbf{b}_o ,
$$

where $S$ is the set of layers $l < L$ whose key `W_o{l}` is in `params` (often empty).

$\mathbf{y}[t]$ is linear (the logits); any softmax belongs to the loss.

Write `output_forward(hs, params)`. `hs` is a list of the $L$ layers' states, each
`(T, B, H)`: `hs[l-1][t]` is $\mathbf{h}^{(l)}[t]$, so `hs[-1]` is the top layer. It returns
`y` `(T, B, O)` and a `cache` for `output_backward` in Part 8 (your choice of contents).
""")

nb.solution("output_code", '''
def output_forward(hs, params):
    """The linear output layer with optional output skips.

    hs: list of L arrays (T, B, H), hs[l-1] = h^(l); params: "W_o" (O, H), "b_o" (O,)
    and optional "W_o{l}" (O, H) for l < L  ->  y: (T, B, O), cache
    """
    ### BEGIN SOLUTION
    y = hs[-1] @ params["W_o"].T + params["b_o"]
    for l in range(1, len(hs)):
        if f"W_o{l}" in params:
            y = y + hs[l - 1] @ params[f"W_o{l}"].T
    cache = (hs, params)
    return y, cache
    ### END SOLUTION
''')

nb.tests("output_forward", 1, '''
# Two layers of one unit, T = 2 steps, one sequence, one output.
h1 = np.array([0.5, -0.25]).reshape(2, 1, 1)
h2 = np.array([0.2, 0.4]).reshape(2, 1, 1)
top_only = {"W_o": np.array([[2.0]]), "b_o": np.array([0.1])}
y, _ = output_forward([h1, h2], top_only)
check_shape("y", y, (2, 1, 1))
# y[t] = 2 h2[t] + 0.1 = [0.5, 0.9]
check_close("y without skips", y, np.array([0.5, 0.9]).reshape(2, 1, 1),
            hint="without skips only the top layer, hs[-1], feeds the output through W_o")
with_skip = dict(top_only, W_o1=np.array([[-4.0]]))
# y[t] = 2 h2[t] - 4 h1[t] + 0.1 = [0.4 - 2 + 0.1, 0.8 + 1 + 0.1] = [-1.5, 1.9]
y, _ = output_forward([h1, h2], with_skip)
check_close("y with the output skip W_o1", y, np.array([-1.5, 1.9]).reshape(2, 1, 1),
            hint="every key W_o{l} in params adds W_o^(l) h^(l)[t], the state of layer l")

# Shapes: three layers of H = 2 units, O = 3 outputs, B = 4 sequences, a skip from layer 2 only.
hs = [rng.standard_normal((5, 4, 2)) for _ in range(3)]
out_params = {"W_o": rng.standard_normal((3, 2)), "W_o2": rng.standard_normal((3, 2)),
              "b_o": rng.standard_normal(3)}
y, _ = output_forward(hs, out_params)
check_shape("y", y, (5, 4, 3))
y_zero_skip, _ = output_forward(hs, dict(out_params, W_o2=np.zeros((3, 2))))
y_no_skip, _ = output_forward(hs, {"W_o": out_params["W_o"], "b_o": out_params["b_o"]})
check_close("y with W_o2 = 0", y_zero_skip, y_no_skip,
            hint="a skip whose weights are zero must change nothing")
''')

# -- Parts 3-5 ------------------------------------------------------------------------

nb.instructions("forward_text", r"""
## Parts 3-5: the deep network

With $\mathbf{h}^{(0)}[t] = \mathbf{x}[t]$, layer $l = 1, \dots, L$ computes (book eqs.
`eq-rnn-layer` and `eq-rnn-skip`)

$$
\mathbf{h}^{(l)}[t] = \tanh\big(\mathbf{W}_c^{(l)}\,\mathbf{h}^{(l-1)}[t]
  + \mathbf{W}_x^{(l)}\,\mathbf{x}[t]
  + \mathbf{W}_r^{(l)}\,\mathbf{h}^{(l)}[t-1] + \mathbf{b}^{(l)}\big),
$$

where the input-skip term $\mathbf{W}_x^{(l)}\mathbf{x}[t]$ is there only if the key
`W_x{l}` is in `params` (never for $l = 1$). Each layer starts from its own initial state
$\mathbf{h}^{(l)}[-1]$.

Write `rnn_forward(x, params, h_init=None)`:

* `x` is `(T, B, D)`; `params` is a dict as in the table at the top;
* `h_init` is `(L, H)`: `h_init[l-1]` is the learned initial state of layer $l$, the
  **same for every sequence of the batch**; `None` means zeros;
* it returns `y` `(T, B, O)` (use your `output_forward`) and `hs`, the list of the $L$
  layers' states, each `(T, B, H)`, with `hs[l-1][t]` $= \mathbf{h}^{(l)}[t]$.

Use `rnn_step` for the update. Layer $l$ at step $t$ needs only layer $l-1$ at step $t$
and layer $l$ at step $t-1$, so you may finish layer 1 for all steps before starting
layer 2. Two tips: an input skip is the same as feeding the concatenation
$[\mathbf{h}^{(l-1)}[t];\ \mathbf{x}[t]]$ into the matrix
$[\mathbf{W}_c^{(l)}\ \ \mathbf{W}_x^{(l)}]$; and `np.broadcast_to` turns an `(H,)` state
into a `(B, H)` one without a loop.

The three test cells grade separately: Part 3 a deep stack without skips from zero
initial states, Part 4 a given `h_init`, Part 5 skips.
""")

nb.solution("forward_code", '''
def rnn_forward(x, params, h_init=None):
    """Forward pass of an L-layer tanh RNN with optional skips and a linear output layer.

    x: (T, B, D); params: dict (keys in the table at the top);
    h_init: (L, H), one initial state per layer shared by the batch, or None for zeros
    ->  y: (T, B, O), hs: list of L arrays (T, B, H) with hs[l-1][t] = h^(l)[t]
    """
    ### BEGIN SOLUTION
    T, B, D = x.shape
    L = num_layers(params)
    H = params["W_r1"].shape[0]
    if h_init is None:
        h_init = np.zeros((L, H))
    hs = []
    below = x
    for l in range(1, L + 1):
        W_c, W_r, b = params[f"W_c{l}"], params[f"W_r{l}"], params[f"b{l}"]
        if f"W_x{l}" in params:
            below = np.concatenate([below, x], axis=-1)
            W_c = np.concatenate([W_c, params[f"W_x{l}"]], axis=1)
        h = np.empty((T, B, H))
        state = np.broadcast_to(h_init[l - 1], (B, H))
        for t in range(T):
            state = rnn_step(below[t], state, W_c, W_r, b)
            h[t] = state
        hs.append(h)
        below = h
    y, _ = output_forward(hs, params)
    return y, hs
    ### END SOLUTION
''')

nb.readonly("forward_helpers", '''
# Scalar networks (D = H = O = 1) whose outputs can be worked out by hand.
def _scalar_net(L, **extra):
    """L = 1: W_c1 = 2, W_r1 = 0.5, b1 = 0.1; L = 2 adds W_c2 = -1, W_r2 = 0.3, b2 = 0;
    output W_o = 1.5, b_o = 0.2. Extra keys (skips) are given as numbers."""
    p = {"W_c1": [[2.0]], "W_r1": [[0.5]], "b1": [0.1], "W_o": [[1.5]], "b_o": [0.2]}
    if L == 2:
        p.update(W_c2=[[-1.0]], W_r2=[[0.3]], b2=[0.0])
    p.update({k: [[v]] for k, v in extra.items()})
    return {k: np.array(v, dtype=float) for k, v in p.items()}

_x2 = np.array([1.0, -1.0]).reshape(2, 1, 1)      # x[0] = 1, x[1] = -1


def _run(L, T, h_init=None, **extra):
    """Your y and hs on the scalar network with the first T inputs of _x2."""
    return rnn_forward(_x2[:T], _scalar_net(L, **extra), h_init)


def _check_states(hs, L, T, B=1, H=1):
    assert isinstance(hs, (list, tuple)) and len(hs) == L, \\
        f"hs should be a list with one array per layer (L = {L}), got {type(hs).__name__}" \\
        + (f" of length {len(hs)}" if isinstance(hs, (list, tuple)) else "")
    for l, h in enumerate(hs, 1):
        check_shape(f"hs[{l - 1}] (the states of layer {l})", h, (T, B, H))


def _random_net(T=5, B=3, D=2, H=4, O=3, L=3, skips=(), seed=1):
    """Random parameters; skips is a list of keys like 'W_x2' or 'W_o1'."""
    r = np.random.default_rng(seed)
    p = {}
    for layer in range(1, L + 1):
        p[f"W_c{layer}"] = r.standard_normal((H, D if layer == 1 else H)) / 2
        p[f"W_r{layer}"] = r.standard_normal((H, H)) / 2
        p[f"b{layer}"] = r.standard_normal(H) / 4
    p["W_o"] = r.standard_normal((O, H))
    p["b_o"] = r.standard_normal(O)
    for key in skips:
        p[key] = r.standard_normal((H, D) if key.startswith("W_x") else (O, H)) / 2
    return r.standard_normal((T, B, D)), p
''')

nb.tests("rnn_forward_deep", 2, '''
# By hand, with h[-1] = 0. Layer 1 (W_c1 = 2, W_r1 = 0.5, b1 = 0.1), inputs x = [1, -1]:
a0 = np.tanh(2 * 1 + 0.1)                   # h1[0]
a1 = np.tanh(2 * -1 + 0.5 * a0 + 0.1)       # h1[1]
# Layer 2 (W_c2 = -1, W_r2 = 0.3, b2 = 0) reads layer 1 at the same step:
c0 = np.tanh(-1 * a0)                       # h2[0]
c1 = np.tanh(-1 * a1 + 0.3 * c0)            # h2[1]
# Output: y = 1.5 h_top + 0.2
expect = {(1, 1): [1.5 * a0 + 0.2], (1, 2): [1.5 * a0 + 0.2, 1.5 * a1 + 0.2],
          (2, 1): [1.5 * c0 + 0.2], (2, 2): [1.5 * c0 + 0.2, 1.5 * c1 + 0.2]}

def _probe(L, T):
    y = _run(L, T)[0]
    check_shape("y", y, (T, 1, 1))
    return rel_error(y, np.reshape(expect[L, T], (T, 1, 1)))

hint = None
bad = first_failure([("one layer, one step", lambda: _probe(1, 1)),
                     ("one layer, two steps", lambda: _probe(1, 2)),
                     ("two layers, one step", lambda: _probe(2, 1)),
                     ("two layers, two steps", lambda: _probe(2, 2))])
if bad == "one layer, one step":
    hint = "wrong already for one layer and one step: y[0] = W_o tanh(W_c1 x[0] + b1) + b_o when h[-1] = 0"
elif bad == "one layer, two steps":
    hint = "step 0 is right but step 1 is not: step t must use the state of step t-1 through W_r1"
elif bad == "two layers, one step":
    hint = "one layer works but two do not: layer 2 reads the state of layer 1 at the same step through W_c2, not x"
elif bad == "two layers, two steps":
    hint = "each layer has its own recurrence: W_r2 multiplies layer 2's own previous state h2[t-1]"
y, hs = _run(2, 2)
_check_states(hs, L=2, T=2)
check_close("hs[0] (layer 1)", hs[0], np.reshape([a0, a1], (2, 1, 1)), hint=hint)
check_close("hs[1] (layer 2)", hs[1], np.reshape([c0, c1], (2, 1, 1)), hint=hint)
check_close("y", y, np.reshape(expect[2, 2], (2, 1, 1)), hint=hint)

# Shapes: 3 layers, T = 5, B = 3, D = 2, H = 4, O = 3.
x, params = _random_net()
y_big, hs = rnn_forward(x, params)
check_shape("y", y_big, (5, 3, 3))
_check_states(hs, L=3, T=5, B=3, H=4)

# Causality: changing x[3] must not change any output before step 3.
x2 = x.copy()
x2[3] += 1.0
y2, _ = rnn_forward(x2, params)
assert np.allclose(y2[:3], y_big[:3]), "y[t] for t < 3 changed when only x[3] changed: the network must not look ahead"
assert not np.allclose(y2[3:], y_big[3:]), "changing x[3] must change y[3] and later outputs"
''')

nb.tests("rnn_forward_init", 1, '''
# One layer, h_init = 0.4:  h[0] = tanh(2*1 + 0.5*0.4 + 0.1) = tanh(2.3)
y, hs = _run(1, 1, h_init=np.array([[0.4]]))
_check_states(hs, L=1, T=1)
check_close("hs[0] with h_init = [[0.4]]", hs[0], np.tanh([[[2.3]]]),
            hint="the first step uses the initial state: W_r1 h[-1] = W_r1 h_init[0]")

# Two layers, h_init = [[0.4], [-0.6]]: layer 2 starts from -0.6.
a0 = np.tanh(2.3)
c0 = np.tanh(-1 * a0 + 0.3 * -0.6)
y, hs = _run(2, 1, h_init=np.array([[0.4], [-0.6]]))
check_close("hs[1] with h_init = [[0.4], [-0.6]]", hs[1], np.reshape([c0], (1, 1, 1)),
            hint="h_init[l-1] is the initial state of layer l: each layer starts from its own row")
check_close("y", y, np.reshape([1.5 * c0 + 0.2], (1, 1, 1)))

# Shared by the batch: h_init is (L, H) and every sequence starts from the same state,
# so three copies of the same input sequence give three copies of the same outputs.
x, params = _random_net(T=4, B=1, L=2)
h_init = rng.standard_normal((2, 4))
y1, _ = rnn_forward(x, params, h_init)
y3, hs3 = rnn_forward(np.repeat(x, 3, axis=1), params, h_init)
check_shape("y", y3, (4, 3, 3))
_check_states(hs3, L=2, T=4, B=3, H=4)
for b in range(3):
    check_close(f"y[:, {b}] (batch of 3 copies)", y3[:, b:b + 1], y1,
                hint="h_init[l-1] (shape (H,)) is the start of every sequence in the batch")
y0, _ = rnn_forward(x, params)
assert not np.allclose(y0[0], y1[0]), "the initial state must change the first output"
''')

nb.tests("rnn_forward_skip", 1, '''
# Two scalar layers plus an input skip W_x2 = 0.7 and an output skip W_o1 = -0.5.
a0 = np.tanh(2 * 1 + 0.1)
a1 = np.tanh(2 * -1 + 0.5 * a0 + 0.1)
# Layer 2 now also reads x directly: h2[t] = tanh(-h1[t] + 0.7 x[t] + 0.3 h2[t-1])
c0 = np.tanh(-a0 + 0.7 * 1)
c1 = np.tanh(-a1 + 0.7 * -1 + 0.3 * c0)
# Without the skip the layer-2 states would be:
n0 = np.tanh(-a0)
n1 = np.tanh(-a1 + 0.3 * n0)

y, hs = _run(2, 2, W_x2=0.7)
_check_states(hs, L=2, T=2)
check_close("hs[1] with the input skip W_x2", hs[1], np.reshape([c0, c1], (2, 1, 1)),
            hint="with the key W_x2, layer 2 adds W_x2 x[t] (the network input, not layer 1's state)")
check_close("y with the input skip W_x2", y, np.reshape([1.5 * c0 + 0.2, 1.5 * c1 + 0.2], (2, 1, 1)))

y, hs = _run(2, 2, W_o1=-0.5)
# y[t] = 1.5 h2[t] - 0.5 h1[t] + 0.2
check_close("y with the output skip W_o1", y,
            np.reshape([1.5 * n0 - 0.5 * a0 + 0.2, 1.5 * n1 - 0.5 * a1 + 0.2], (2, 1, 1)),
            hint="the output skip W_o1 adds W_o1 h1[t] to y[t]: pass all layers' states to output_forward")

# Shapes with D != H and skips into both upper layers of three.
x, params = _random_net(skips=["W_x2", "W_x3", "W_o1", "W_o2"])
y, hs = rnn_forward(x, params)
check_shape("y", y, (5, 3, 3))
_check_states(hs, L=3, T=5, B=3, H=4)
zeroed = {k: (np.zeros_like(v) if k in ("W_x2", "W_x3", "W_o1", "W_o2") else v) for k, v in params.items()}
plain = {k: v for k, v in params.items() if k not in ("W_x2", "W_x3", "W_o1", "W_o2")}
check_close("y with all skips set to zero", rnn_forward(x, zeroed)[0], rnn_forward(x, plain)[0],
            hint="skips whose weights are zero must change nothing")
''')

# -- Parts 6-7 ------------------------------------------------------------------------

nb.instructions("settings_text", r"""
## Part 6: input/output settings as masks

The network always produces an output at every step. A task decides which of them are
*scored* (compared with a target). We describe this with a mask of shape `(T,)`: 1 for a
scored step, 0 for an ignored one.

* `"many_to_many"`: every step is scored (a label for every input);
* `"many_to_one"`: only the last step, $t = T-1$ (one label for the whole sequence);
* `"delayed"`: steps `delay, ..., T-1` (the outputs lag the inputs by `delay` steps,
  many-to-many type III).

For the delayed setting, output $\mathbf{y}[t]$ is compared with the target of step
$t - \text{delay}$. `delay_targets(d, delay)` builds that shifted target sequence: row
$t$ of the result is `d[t - delay]`; the first `delay` rows have no target and hold copies
of `d[0]` as placeholders (the mask makes sure they are never scored).

Write `io_mask(T, setting, delay=0)` (a float array of 0.0 and 1.0; `delay` matters only
for `"delayed"`, where $0 \le$ `delay` $< T$) and `delay_targets(d, delay)` (`d` is
`(T, B, O)`, the result has the same shape; do not modify `d`).
""")

nb.solution("settings_code", '''
def io_mask(T, setting, delay=0):
    """Which outputs are scored: (T,) array of 0.0 / 1.0.

    setting: "many_to_many", "many_to_one" or "delayed" (steps delay, ..., T-1).
    """
    ### BEGIN SOLUTION
    mask = np.zeros(T)
    if setting == "many_to_many":
        mask[:] = 1.0
    elif setting == "many_to_one":
        mask[-1] = 1.0
    elif setting == "delayed":
        mask[delay:] = 1.0
    else:
        raise ValueError(f"unknown setting {setting!r}")
    return mask
    ### END SOLUTION


def delay_targets(d, delay):
    """Targets for delayed outputs. d: (T, B, O) -> (T, B, O), row t = d[t - delay],
    rows t < delay are copies of d[0]."""
    ### BEGIN SOLUTION
    shifted = np.empty_like(d)
    shifted[delay:] = d[:len(d) - delay]
    shifted[:delay] = d[0]
    return shifted
    ### END SOLUTION
''')

nb.tests("settings", 1, '''
check_close('io_mask(4, "many_to_many")', io_mask(4, "many_to_many"), [1.0, 1.0, 1.0, 1.0])
check_close('io_mask(4, "many_to_one")', io_mask(4, "many_to_one"), [0.0, 0.0, 0.0, 1.0],
            hint="many-to-one scores only the last output, t = T-1")
check_close('io_mask(1, "many_to_one")', io_mask(1, "many_to_one"), [1.0])
check_close('io_mask(5, "delayed", 2)', io_mask(5, "delayed", 2), [0.0, 0.0, 1.0, 1.0, 1.0],
            hint="with delay 2 the first two outputs have no target yet")
check_close('io_mask(3, "delayed", 0)', io_mask(3, "delayed", 0), [1.0, 1.0, 1.0])

d = np.arange(5.0).reshape(5, 1, 1)             # the target of step t is the number t
shifted = delay_targets(d, 2)
check_close("delay_targets(d, 2)", shifted, np.reshape([0.0, 0.0, 0.0, 1.0, 2.0], (5, 1, 1)),
            hint="row t of the result is d[t - delay], so y[t] is compared with the target of step t - delay; rows t < delay copy d[0]")
check_close("delay_targets(d, 0)", delay_targets(d, 0), d)
assert np.array_equal(d.ravel(), np.arange(5.0)), "delay_targets must not modify d"
d3 = rng.standard_normal((4, 2, 3))
check_shape("delay_targets(d3, 1)", delay_targets(d3, 1), (4, 2, 3))
''')

nb.instructions("mse_text", r"""
## Part 7: a loss on the scored steps only

The divergence of a batch is the half squared error on the scored steps, summed over time
and outputs and averaged over the $B$ sequences:

$$
\mathrm{DIV} = \frac{1}{B}\sum_{b=0}^{B-1}\sum_{t=0}^{T-1} m[t]\;\tfrac12\,
\big\lVert \mathbf{y}_b[t] - \mathbf{d}_b[t] \big\rVert^2 .
$$

Write `masked_mse(y, d, mask)`: `y` and `d` are `(T, B, O)`, `mask` is `(T,)`. It returns
the loss (a Python float) and `dy`, the gradient $\partial\,\mathrm{DIV}/\partial\mathbf{y}[t]$
of shape `(T, B, O)`: the starting point of every backward pass.
""")

nb.solution("mse_code", '''
def masked_mse(y, d, mask):
    """Masked half squared error. y, d: (T, B, O), mask: (T,) -> (loss: float, dy: (T, B, O))."""
    ### BEGIN SOLUTION
    B = y.shape[1]
    err = y - d
    weighted = err * mask[:, None, None]
    loss = 0.5 * np.sum(weighted * err) / B
    return float(loss), weighted / B
    ### END SOLUTION
''')

nb.tests("masked_mse", 1, '''
# One sequence, one output, only the last step scored: DIV = 0.5 * (4 - 0)^2 = 8.
y = np.array([1.0, 2.0, 4.0]).reshape(3, 1, 1)
d = np.zeros((3, 1, 1))
loss, dy = masked_mse(y, d, np.array([0.0, 0.0, 1.0]))
check_close("loss (many-to-one)", np.array(loss), np.array(8.0),
            hint="only steps with mask 1 count")
check_shape("dy", dy, (3, 1, 1))
check_close("dy (many-to-one)", dy, np.reshape([0.0, 0.0, 4.0], (3, 1, 1)),
            hint="an unscored step (mask 0) does not enter the loss, so its gradient is zero")

# Two sequences: the loss is averaged over the batch. Errors 1 and 3 at the one scored step:
# DIV = (0.5 * 1 + 0.5 * 9) / 2 = 2.5,  dy = error / 2
y = np.array([[[1.0], [3.0]], [[5.0], [5.0]]])       # (T, B, O) = (2, 2, 1)
d = np.zeros((2, 2, 1))
loss, dy = masked_mse(y, d, np.array([1.0, 0.0]))
check_close("loss (batch of two)", np.array(loss), np.array(2.5),
            hint="sum over time and outputs, but average over the batch (divide by B)")
check_close("dy (batch of two)", dy, np.array([[[0.5], [1.5]], [[0.0], [0.0]]]))

# dy is the derivative of the loss: compare with central differences.
y = rng.standard_normal((4, 3, 2))
d = rng.standard_normal((4, 3, 2))
mask = np.array([0.0, 1.0, 0.0, 1.0])
numeric = np.zeros_like(y)
for i in np.ndindex(*y.shape):
    old = y[i]
    y[i] = old + 1e-6
    up = masked_mse(y, d, mask)[0]
    y[i] = old - 1e-6
    down = masked_mse(y, d, mask)[0]
    y[i] = old
    numeric[i] = (up - down) / 2e-6
check_close("dy (numerical check)", masked_mse(y, d, mask)[1], numeric, tol=1e-6,
            hint="dy must be the derivative of the loss you return")
''')

# -- Parts 8-10 -----------------------------------------------------------------------

nb.instructions("backward_text", r"""
## Parts 8-10: backpropagation through the output layer

Training starts at the top. Given `dy`, the gradient
$\partial\,\mathrm{DIV}/\partial\mathbf{y}[t]$ for every step (shape `(T, B, O)`), write
`output_backward(dy, cache)`, where `cache` is what your `output_forward` returned. It
returns a dict with

* `"W_o"` `(O, H)` and `"b_o"` `(O,)`: the gradients of the output weights and bias;
* `"W_o{l}"` `(O, H)` for every output skip that exists in `params`;
* `"h"`: a list of $L$ arrays `(T, B, H)`, the gradient
  $\partial\,\mathrm{DIV}/\partial\mathbf{h}^{(l)}[t]$ that the output layer sends to
  each layer's states (an array of zeros for a layer that does not feed the output).

Two facts to use:

* $\mathbf{W}_o$ and $\mathbf{b}_o$ are shared: the same matrix produces $\mathbf{y}[t]$
  at every step for every sequence, so its gradient collects one contribution per step
  and per sequence. For one step and one sequence the contribution to
  $\partial\,\mathrm{DIV}/\partial\mathbf{W}_o$ is the outer product of
  $\partial\,\mathrm{DIV}/\partial\mathbf{y}[t]$ (length $O$) and $\mathbf{h}^{(L)}[t]$
  (length $H$).
* $\mathbf{y}[t] = \mathbf{W}_o\mathbf{h}^{(L)}[t] + \dots$, so the gradient reaching
  $\mathbf{h}^{(L)}[t]$ is $\mathbf{W}_o^\top\,\partial\,\mathrm{DIV}/\partial\mathbf{y}[t]$;
  with a batch of row vectors, think about which side the matrix goes on.

This is only the part of $\partial\,\mathrm{DIV}/\partial\mathbf{h}^{(l)}[t]$ that comes
*directly* from the output layer; chapter 7 and exercise 7 add what comes back through
time. The tests compare your gradients with numerical derivatives of your
`output_forward`, so Part 2 must pass first.
""")

nb.solution("backward_code", '''
def output_backward(dy, cache):
    """Backward pass of output_forward.

    dy: (T, B, O)  ->  {"W_o": (O, H), "b_o": (O,), "W_o{l}": (O, H) per output skip,
                        "h": list of L arrays (T, B, H)}
    """
    ### BEGIN SOLUTION
    hs, params = cache
    grads = {"W_o": np.einsum("tbo,tbh->oh", dy, hs[-1]),
             "b_o": dy.sum(axis=(0, 1))}
    dhs = [np.zeros_like(h) for h in hs]
    dhs[-1] = dy @ params["W_o"]
    for l in range(1, len(hs)):
        if f"W_o{l}" in params:
            grads[f"W_o{l}"] = np.einsum("tbo,tbh->oh", dy, hs[l - 1])
            dhs[l - 1] = dy @ params[f"W_o{l}"]
    grads["h"] = dhs
    return grads
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
def _out_case(T=4, B=3, H=2, O=3, skip=True, seed=3):
    """Two layers of states and output weights, as keyword arguments of _out_fwd."""
    r = np.random.default_rng(seed)
    case = {"h1": r.uniform(-1, 1, (T, B, H)), "h2": r.uniform(-1, 1, (T, B, H)),
            "W_o": r.standard_normal((O, H)), "b_o": r.standard_normal(O)}
    if skip:
        case["W_o1"] = r.standard_normal((O, H))
    return case


def _out_fwd(h1, h2, W_o, b_o, W_o1=None):
    params = {"W_o": W_o, "b_o": b_o}
    if W_o1 is not None:
        params["W_o1"] = W_o1
    return output_forward([h1, h2], params)


def _out_bwd(dy, cache):
    """Your output_backward, with grads["h"] unpacked into "h1" and "h2"."""
    grads = output_backward(dy, cache)
    assert isinstance(grads, dict), f"output_backward should return a dict, got {type(grads).__name__}"
    grads = dict(grads)
    dhs = grads.pop("h", None)
    if dhs is not None:
        assert isinstance(dhs, (list, tuple)) and len(dhs) == 2, \\
            "grads['h'] should be a list with one array per layer (two layers here)"
        grads["h1"], grads["h2"] = dhs
    return grads


def _out_err(wrt, **shape):
    return gradient_error(_out_fwd, _out_bwd, _out_case(**shape), wrt)[0]
''')

nb.tests("output_backward_W", 1, '''
hint = None
bad = first_failure([("one step, one sequence", lambda: _out_err("W_o", T=1, B=1)),
                     ("one step, a batch", lambda: _out_err("W_o", T=1, B=3)),
                     ("several steps", lambda: _out_err("W_o", T=4, B=3))])
if bad == "one step, one sequence":
    hint = "wrong already for one step and one sequence: there dDIV/dW_o is the outer product of dy[t] and h^(L)[t]"
elif bad == "one step, a batch":
    hint = "every sequence of the batch uses the same W_o: add up the contributions of all sequences"
elif bad == "several steps":
    hint = "right for one step but not for several: W_o is shared by all steps, so sum its gradient over time"
check_gradient("dW_o", _out_fwd, _out_bwd, _out_case(), "W_o", hint=hint)

hint = None
if _out_err("b_o", T=1) < 1e-6 and _out_err("b_o") > 1e-6:
    hint = "b_o is added at every step: sum its gradient over time as well as over the batch"
check_gradient("db_o", _out_fwd, _out_bwd, _out_case(), "b_o", hint=hint)
''')

nb.tests("output_backward_skip", 1, '''
case = _out_case()
y, cache = _out_fwd(**case)
grads = output_backward(np.ones_like(y), cache)
assert "W_o1" in grads, ("the gradient 'W_o1' is missing: every output skip in params is a "
                         "weight matrix that needs its own gradient")
hint = None
if _out_err("W_o1", T=1, B=1) < 1e-6 and _out_err("W_o1") > 1e-6:
    hint = "W_o1 is shared by all steps and sequences: pool its gradient over time and batch"
elif _out_err("W_o1", T=1, B=1) > 1e-6:
    hint = "W_o1 multiplies the states of layer 1, hs[0], not those of the top layer"
check_gradient("dW_o1", _out_fwd, _out_bwd, _out_case(), "W_o1", hint=hint)
''')

nb.tests("output_backward_h", 1, '''
case = _out_case()
y, cache = _out_fwd(**case)
grads = _out_bwd(np.ones_like(y), cache)
assert "h1" in grads, "output_backward should return 'h', a list of L arrays (T, B, H)"
check_shape("grads['h'][0]", grads["h1"], (4, 3, 2))
check_shape("grads['h'][1]", grads["h2"], (4, 3, 2))
check_gradient("dDIV/dh^(2) (top layer)", _out_fwd, _out_bwd, _out_case(), "h2",
               hint="the top layer feeds y[t] through W_o: its gradient is W_o transposed times dy[t], for every t")
check_gradient("dDIV/dh^(1) (layer with an output skip)", _out_fwd, _out_bwd, _out_case(), "h1",
               hint="layer 1 reaches the output through the skip W_o1, so it receives a gradient through the skip as well")
y, cache = _out_fwd(**_out_case(skip=False))
grads = _out_bwd(np.ones_like(y), cache)
check_close("grads['h'][0] without an output skip", grads["h1"], np.zeros((4, 3, 2)),
            hint="without W_o1 layer 1 does not feed the output directly: its gradient from the output layer is zero")
''')

# -- Part 11 --------------------------------------------------------------------------

nb.instructions("written_text", r"""
## Part 11: in your own words

Run the cell below. It builds a two-layer network for a many-to-one task, computes the
masked loss and backpropagates it through the output layer, then prints, for each step
$t$, the size of the gradient that the output layer sends to the top layer's state
$\mathbf{h}^{(2)}[t]$.
""")

nb.code('''
r = np.random.default_rng(11)
T, B, D, H, O = 6, 4, 3, 5, 2
x, params = _random_net(T=T, B=B, D=D, H=H, O=O, L=2, seed=11)
d = r.standard_normal((T, B, O))
y, hs = rnn_forward(x, params, h_init=np.zeros((2, H)))
loss, dy = masked_mse(y, d, io_mask(T, "many_to_one"))
_, cache = output_forward(hs, params)
grads = output_backward(dy, cache)
print("loss:", round(loss, 4))
print("|dDIV/dh^(2)[t]| from the output layer, t = 0..T-1:",
      np.round(np.abs(grads["h"][-1]).sum(axis=(1, 2)), 4))
''')

nb.instructions("written_question", r"""
**Question.** In this many-to-one task the output layer sends a zero gradient to
$\mathbf{h}^{(2)}[t]$ for every $t < T-1$. Does that mean that the first input
$\mathbf{x}[0]$ cannot affect the loss, and that $\mathbf{W}_c^{(1)}$ gets no gradient from
the early steps? Explain in two or three sentences, and say what the backward pass must
do besides the output layer. Write your answer in the cell below.
""")

nb.written_answer("written_many_to_one", 1, r"""
No. The scored output $\mathbf{y}[T-1]$ depends on $\mathbf{h}^{(2)}[T-1]$, which depends
through the recurrent weights on all earlier states of both layers and therefore on every
input, including $\mathbf{x}[0]$. The zeros are only the *direct* part of the gradient;
the full gradient of an early state also collects what flows back from later steps
through $\mathbf{W}_r$ (and from the layer above), so the backward pass must follow the
recurrence back through time (BPTT) and pool the contributions of every step into the
shared weights such as $\mathbf{W}_c^{(1)}$.
""")

path = nb.write()
print("wrote", path)
