"""How solutions/ex10_lstm/ex10_lstm.ipynb was written (see build_ex02_tdnn.py).

Run from the repository root to regenerate the notebook:
.venv/bin/python autograder/examples/build_ex10_lstm.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex10_lstm")

nb.instructions("intro", r"""
# Exercise 10a: the LSTM

*Chapter 10 of the book, "Gated cells: LSTM and GRU".*

An LSTM cell carries two states from step to step: the hidden state $\mathbf{h}[t]$ and
the **cell state** $\mathbf{s}[t]$. Four gates, computed from the input and the previous
hidden state, decide what the cell state forgets, what it takes in and what it shows:

$$
\begin{aligned}
\mathbf{a}[t] &= \mathbf{W}_x\,\mathbf{x}[t] + \mathbf{W}_h\,\mathbf{h}[t-1] + \mathbf{b}
  = \begin{bmatrix}\mathbf{a}_i\\ \mathbf{a}_f\\ \mathbf{a}_g\\ \mathbf{a}_o\end{bmatrix},\\
\mathbf{i} &= \sigma(\mathbf{a}_i), \quad \mathbf{f} = \sigma(\mathbf{a}_f), \quad
\mathbf{g} = \tanh(\mathbf{a}_g), \quad \mathbf{o} = \sigma(\mathbf{a}_o),\\
\mathbf{s}[t] &= \mathbf{f}\odot\mathbf{s}[t-1] + \mathbf{i}\odot\mathbf{g},\\
\mathbf{h}[t] &= \mathbf{o}\odot\tanh(\mathbf{s}[t]),
\end{aligned}
$$

where $\sigma$ is the logistic sigmoid and $\odot$ the element-wise product. $\mathbf{i}$ is the
input gate, $\mathbf{f}$ the forget gate, $\mathbf{g}$ the candidate values and $\mathbf{o}$ the
output gate. Because the cell-state update is a sum,
$\partial\mathbf{s}[t]/\partial\mathbf{s}[t-1] = \mathrm{diag}(\mathbf{f})$: along the cell state
a gradient is only multiplied by the forget gate, never by a weight matrix or a squashed
derivative. You will see this in your own backward pass.

**Learning goals.** After this exercise you can

* implement one LSTM step with the four gates stacked in one weight matrix, in PyTorch's
  order i, f, g, o;
* derive and implement its backward pass, gate by gate, and check it numerically;
* run the cell over a sequence and backpropagate through time carrying *two* gradients,
  one for $\mathbf{h}$ and one for $\mathbf{s}$;
* explain with $\partial\mathbf{s}[t]/\partial\mathbf{s}[t-1] = \mathbf{f}$ why the LSTM can
  keep a gradient alive over many steps.

Expect to spend two to three hours.

**Shapes.** Batches of row vectors: `x` is `(B, D)` for one step and `(T, B, D)` for a
sequence; `h_prev`, `s_prev`, `h_init`, `s_init` are `(B, H)`. The four gates are stacked
in one set of weights, in the order **i, f, g, o**, as in `torch.nn.LSTM`:

| array | shape | rows `0:H` | rows `H:2H` | rows `2H:3H` | rows `3H:4H` |
|---|---|---|---|---|---|
| `W_x` | `(4H, D)` | $\mathbf{W}_{xi}$ | $\mathbf{W}_{xf}$ | $\mathbf{W}_{xg}$ | $\mathbf{W}_{xo}$ |
| `W_h` | `(4H, H)` | $\mathbf{W}_{hi}$ | $\mathbf{W}_{hf}$ | $\mathbf{W}_{hg}$ | $\mathbf{W}_{ho}$ |
| `b` | `(4H,)` | $\mathbf{b}_i$ | $\mathbf{b}_f$ | $\mathbf{b}_g$ | $\mathbf{b}_o$ |

With a batch of row vectors, $\mathbf{W}_x\mathbf{x}$ is `x @ W_x.T`.

| part | what | points |
|---|---|---|
| 1 | `lstm_cell_forward` | 2 |
| 2 | `lstm_cell_backward`: gradients of `W_x`, `W_h`, `b` | 3 |
| 3 | `lstm_cell_backward`: gradients of `x` and `h_prev` | 2 |
| 4 | `lstm_cell_backward`: gradient of `s_prev` | 1 |
| 5 | `lstm_forward` over a sequence | 1 |
| 6 | `lstm_backward`: gradients of `W_x`, `W_h`, `b` | 2 |
| 7 | `lstm_backward`: gradients of `x`, `h_init`, `s_init` | 2 |
| 8 | a short written answer | 1 |

**How the tests work.** Each part has a cell of visible tests: run it after writing your
code. The gradient tests compare your backward pass with numerical derivatives of *your*
forward pass, so get Part 1 right first. When a test fails, its message says by how
much, where the first wrong number is, and often a hint found by probing simpler cases
(one gate at a time, the forget gate forced shut, one time step, ...). The grader also
runs hidden tests on inputs you have not seen, of other shapes (including `T = 1` and
`B = 1`). Only numpy is allowed; `sigmoid` is given.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import (check_shape, check_close, check_gradient, gradient_error, rel_error,
                      first_failure)

rng = np.random.default_rng(0)


def sigmoid(z):
    """Logistic function 1 / (1 + exp(-z)), written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))
''')

nb.instructions("forward_text", r"""
## Part 1: one step forward

Write `lstm_cell_forward(x, h_prev, s_prev, W_x, W_h, b)`. It returns the new hidden state
`h`, the new cell state `s` and a `cache`: whatever your backward pass will need (a tuple
or a dict, your choice). Compute all four pre-activations with one matmul per weight
matrix, then slice the `(B, 4H)` result into the four gates.

Tip: the derivatives you will need are easiest to write with the *outputs* of the
non-linearities, $\sigma' = \sigma(1-\sigma)$ and $\tanh' = 1 - \tanh^2$, so keep the gate
values and $\tanh(\mathbf{s}[t])$ in the cache.
""")

nb.solution("forward_code", '''
def lstm_cell_forward(x, h_prev, s_prev, W_x, W_h, b):
    """One LSTM step, gates stacked in the order i, f, g, o.

    x: (B, D), h_prev: (B, H), s_prev: (B, H), W_x: (4H, D), W_h: (4H, H), b: (4H,)
    ->  h: (B, H), s: (B, H), cache
    """
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ W_x.T + h_prev @ W_h.T + b          # (B, 4H): blocks i, f, g, o
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    s = f * s_prev + i * g
    tanh_s = np.tanh(s)
    h = o * tanh_s
    cache = (x, h_prev, s_prev, W_x, W_h, i, f, g, o, tanh_s)
    return h, s, cache
    ### END SOLUTION
''')

nb.readonly("forward_helpers", '''
def _stacked(i, f, g, o, H):
    """A (4H,) bias with the same value for every unit of a gate, in the order i, f, g, o."""
    return np.repeat(np.array([i, f, g, o], dtype=float), H)


def _zeros(H, D):
    """Zero weights for an LSTM with H units and D inputs: (W_x, W_h)."""
    return np.zeros((4 * H, D)), np.zeros((4 * H, H))
''')

nb.tests("lstm_cell_forward", 2, '''
H, D = 2, 1
x = np.array([[0.7]])
h_prev = np.array([[0.3, -0.4]])
s_prev = np.array([[2.0, -1.0]])
order = ("gate order i, f, g, o: rows 0:H of W_x, W_h and b belong to the input gate, H:2H "
         "to the forget gate, 2H:3H to g and 3H:4H to the output gate")

# Zero weights and biases: i = f = o = 1/2 and g = tanh(0) = 0.
h, s, _ = lstm_cell_forward(x, h_prev, s_prev, *_zeros(H, D), np.zeros(4 * H))
check_shape("h", h, (1, H))
check_shape("s", s, (1, H))
check_close("s (zero weights: i = f = o = 1/2, g = 0)", s, np.array([[1.0, -0.5]]),
            hint="s[t] = f * s[t-1] + i * g")
hint = "h[t] = o * tanh(s[t])"
if np.allclose(h, 0.5 * s):
    hint = "the output gate multiplies tanh(s[t]), not s[t] itself"
check_close("h (zero weights: i = f = o = 1/2, g = 0)", h, 0.5 * np.tanh(np.array([[1.0, -0.5]])),
            hint=hint)

# One gate at a time, through the biases (sigmoid(30) = 1 and sigmoid(-30) = 0 to 1e-13).
h, s, _ = lstm_cell_forward(x, h_prev, s_prev, *_zeros(H, D), _stacked(-30, 30, 0, 30, H))
check_close("s (forget gate open, input gate shut)", s, s_prev,
            hint="with f = 1 and i = 0 the cell must keep s[t-1]; " + order)
check_close("h (forget gate open, input gate shut, output gate open)", h, np.tanh(s_prev),
            hint="with o = 1, h[t] = tanh(s[t]); " + order)
h, s, _ = lstm_cell_forward(x, h_prev, s_prev, *_zeros(H, D), _stacked(30, -30, 1.0, -30, H))
check_close("s (forget gate shut, input gate open, g = tanh(1))", s, np.full((1, H), np.tanh(1.0)),
            hint="with f = 0 and i = 1 the cell state is replaced by g; " + order)
assert np.abs(h).max() < 1e-9, "h (output gate shut) is wrong: with o = 0, h[t] must be 0\\nHint: " + order

# Every weight used once: D = 1, H = 1, pre-activations worked out by hand.
W_x = np.array([[1.0], [2.0], [3.0], [4.0]])
W_h = np.array([[0.5], [-0.5], [1.0], [0.0]])
b = np.array([0.1, 0.2, 0.3, 0.4])
h, s, _ = lstm_cell_forward(np.array([[0.5]]), np.array([[-1.0]]), np.array([[0.5]]), W_x, W_h, b)
a_i, a_f, a_g, a_o = 0.1, 1.7, 0.8, 2.4       # = 0.5 W_x - W_h + b, gate by gate
s_hand = sigmoid(a_f) * 0.5 + sigmoid(a_i) * np.tanh(a_g)
check_close("s (D = H = 1)", s, np.array([[s_hand]]),
            hint="a = W_x x + W_h h[t-1] + b, i.e. x @ W_x.T + h_prev @ W_h.T + b; " + order)
check_close("h (D = H = 1)", h, np.array([[sigmoid(a_o) * np.tanh(s_hand)]]), hint=hint)
''')

nb.instructions("backward_text", r"""
## Parts 2-4: one step backward

Write `lstm_cell_backward(dh, ds, cache)`. Its inputs are the gradients that reach the
step's two outputs from above and from the future: `dh` $=\nabla_{\mathbf{h}[t]}\mathrm{DIV}$
and `ds` $=\nabla_{\mathbf{s}[t]}\mathrm{DIV}$, both `(B, H)`. It returns a dict with the
gradients

| key | shape | |
|---|---|---|
| `"W_x"`, `"W_h"`, `"b"` | `(4H, D)`, `(4H, H)`, `(4H,)` | summed over the batch |
| `"x"`, `"h_prev"`, `"s_prev"` | `(B, D)`, `(B, H)`, `(B, H)` | one row per sequence |

Work backwards through the forward equations:

1. $\mathbf{s}[t]$ reaches the divergence twice: directly (`ds`) and through
   $\mathbf{h}[t] = \mathbf{o}\odot\tanh(\mathbf{s}[t])$. Add the two to get the *total*
   gradient at $\mathbf{s}[t]$.
2. From it and from `dh`, get the gradients of the four gate values $\mathbf{i}$,
   $\mathbf{f}$, $\mathbf{g}$, $\mathbf{o}$ (each multiplies something in the forward pass),
   then of their pre-activations $\mathbf{a}_i, \mathbf{a}_f, \mathbf{a}_g, \mathbf{a}_o$
   (sigmoid or tanh derivative). Stack those four into one `(B, 4H)` array in the order
   i, f, g, o, exactly like the forward pass.
3. The weights, the bias, `x` and `h_prev` all meet the stacked pre-activations through
   $\mathbf{a} = \mathbf{W}_x\mathbf{x} + \mathbf{W}_h\mathbf{h}[t-1] + \mathbf{b}$, a plain
   linear layer.
4. $\mathbf{s}[t-1]$ only enters through $\mathbf{f}\odot\mathbf{s}[t-1]$.

The three test cells below grade the weights (Part 2), `x` and `h_prev` (Part 3) and
`s_prev` (Part 4) separately.
""")

nb.solution("backward_code", '''
def lstm_cell_backward(dh, ds, cache):
    """Backward pass of lstm_cell_forward.

    dh, ds: (B, H), gradients at h[t] and s[t]
    ->  {"W_x": (4H, D), "W_h": (4H, H), "b": (4H,), "x": (B, D), "h_prev": (B, H),
         "s_prev": (B, H)}
    """
    ### BEGIN SOLUTION
    x, h_prev, s_prev, W_x, W_h, i, f, g, o, tanh_s = cache
    ds_total = ds + dh * o * (1.0 - tanh_s * tanh_s)   # s[t] also reaches DIV through h[t]
    da_i = ds_total * g * i * (1.0 - i)
    da_f = ds_total * s_prev * f * (1.0 - f)
    da_g = ds_total * i * (1.0 - g * g)
    da_o = dh * tanh_s * o * (1.0 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)      # (B, 4H)
    return {"W_x": da.T @ x, "W_h": da.T @ h_prev, "b": da.sum(axis=0),
            "x": da @ W_x, "h_prev": da @ W_h, "s_prev": ds_total * f}
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
def _cell_case(B=2, D=3, H=2, gates=None, seed=1):
    """Random inputs of lstm_cell_forward; gates = (b_i, b_f, b_g, b_o) fixes the biases."""
    r = np.random.default_rng(seed)
    return {"x": r.standard_normal((B, D)),
            "h_prev": r.standard_normal((B, H)),
            "s_prev": r.standard_normal((B, H)),
            "W_x": r.standard_normal((4 * H, D)) / np.sqrt(D),
            "W_h": r.standard_normal((4 * H, H)) / np.sqrt(H),
            "b": 0.5 * r.standard_normal(4 * H) if gates is None else _stacked(*gates, H)}


def _cell_fwd(x, h_prev, s_prev, W_x, W_h, b):
    """Your cell with its two outputs side by side, [h | s]: (B, 2H)."""
    h, s, cache = lstm_cell_forward(x, h_prev, s_prev, W_x, W_h, b)
    return np.concatenate([h, s], axis=1), (cache, h.shape[1])


def _cell_bwd(dout, cache):
    cache, H = cache
    return lstm_cell_backward(dout[:, :H].copy(), dout[:, H:].copy(), cache)


def _cell_err(wrt, path="both", gate=None, **kw):
    """Relative error of one gradient of your lstm_cell_backward.

    path: "h" (loss through h[t] only), "s" (through s[t] only) or "both";
    gate: compare only that gate's block of rows (for W_x, W_h, b).
    """
    case = _cell_case(**kw)
    B, H = case["h_prev"].shape
    dout = np.random.default_rng(7).standard_normal((B, 2 * H))
    if path == "h":
        dout[:, H:] = 0.0
    if path == "s":
        dout[:, :H] = 0.0
    _, yours, numerical = gradient_error(_cell_fwd, _cell_bwd, case, wrt, dout=dout)
    if gate is not None:
        k = "ifgo".index(gate)
        yours, numerical = yours[k * H:(k + 1) * H], numerical[k * H:(k + 1) * H]
    return rel_error(yours, numerical)


def _forward_ok():
    """Does lstm_cell_forward pass the bias-only cases of Part 1?"""
    x, h_prev, s_prev = np.array([[0.7]]), np.array([[0.3, -0.4]]), np.array([[2.0, -1.0]])
    cases = [((0, 0, 0, 0), s_prev / 2, np.tanh(s_prev / 2) / 2),
             ((-30, 30, 0, 30), s_prev, np.tanh(s_prev)),
             ((30, -30, 1.0, -30), np.full((1, 2), np.tanh(1.0)), np.zeros((1, 2)))]
    for gates, s_want, h_want in cases:
        h, s, _ = lstm_cell_forward(x, h_prev, s_prev, *_zeros(2, 1), _stacked(*gates, 2))
        if not (np.allclose(s, s_want) and np.allclose(h, h_want, atol=1e-9)):
            return False
    return True


def _cell_hint(part):
    """A hint from the gate blocks of dW_x, which show which pre-activation is wrong."""
    if not _forward_ok():
        return ("lstm_cell_forward fails its tests (Part 1): fix it first, the gradient checks "
                "differentiate your forward pass")
    if part == "s_prev":
        if _cell_err("s_prev", path="s") <= 1e-6 and not _cell_err("s_prev") <= 1e-6:
            return ("right when the loss reaches the cell only through s[t] but wrong when it "
                    "also comes through h[t]: multiply the *total* gradient at s[t] (ds plus "
                    "the part arriving through h[t] = o * tanh(s[t])) by f")
        return None
    wrong = {gate for gate in "ifgo" if not _cell_err("W_x", gate=gate) <= 1e-6}
    if wrong == {"i", "f", "o"}:
        return ("the blocks of the three sigmoid gates i, f, o are wrong but the tanh block g "
                "is right: check the derivative of the sigmoid; written with its output "
                "y = sigmoid(a) it is y * (1 - y)")
    if wrong == {"f"}:
        return ("only the forget-gate block (rows H:2H) is wrong: f multiplies s[t-1] in "
                "s[t] = f * s[t-1] + i * g, so the forget gate's pre-activation receives a "
                "gradient whenever s[t-1] is not zero")
    if wrong == {"i"}:
        return "only the input-gate block (rows 0:H) is wrong: i multiplies g in s[t] = f * s[t-1] + i * g"
    if wrong == {"g"}:
        return ("only the block of g (rows 2H:3H) is wrong: g = tanh(a_g) has derivative "
                "1 - g**2 and is multiplied by i")
    if wrong == {"o"}:
        return ("only the output-gate block (rows 3H:4H) is wrong: o multiplies tanh(s[t]) in "
                "h[t] = o * tanh(s[t]), so its gradient comes from dh alone")
    if wrong == {"i", "f", "g"}:
        return ("the blocks that act through the cell state (i, f, g) are wrong while o is "
                "right: the total gradient at s[t] is ds plus what arrives from "
                "h[t] = o * tanh(s[t]), i.e. dh times o times the derivative of tanh at s[t]")
    if wrong:
        if _cell_err("W_x", path="s") <= 1e-6:
            return ("right when the loss reaches the cell only through s[t] (dh = 0) but wrong "
                    "through h[t]: check how dh reaches the output gate and the cell state")
        return (f"the gate blocks {', '.join(sorted(wrong))} of dW_x are wrong (order i, f, g, o: "
                "rows 0:H, H:2H, 2H:3H, 3H:4H); stack the four gradients in the order of the "
                "forward pass")
    if part == "params":
        return ("dW_x is right, so your gradients of the pre-activations are right: W_h "
                "multiplies h[t-1], and b is added for every sequence of the batch")
    if part == "inputs":
        return ("dW_x is right, so your gradients of the pre-activations are right: x and "
                "h[t-1] reach all four gates, through W_x and W_h respectively")
    return None
''')

nb.tests("lstm_cell_backward_params", 3, '''
hint = _cell_hint("params")
for name in ("W_x", "W_h", "b"):
    check_gradient(f'grads["{name}"]', _cell_fwd, _cell_bwd, _cell_case(), name, hint=hint)
check_gradient('grads["W_x"] (B = 1)', _cell_fwd, _cell_bwd, _cell_case(B=1), "W_x", hint=hint)
''')

nb.tests("lstm_cell_backward_inputs", 2, '''
hint = _cell_hint("inputs")
check_gradient('grads["x"]', _cell_fwd, _cell_bwd, _cell_case(), "x", hint=hint)
check_gradient('grads["h_prev"]', _cell_fwd, _cell_bwd, _cell_case(), "h_prev", hint=hint)
''')

nb.tests("lstm_cell_backward_s_prev", 1, '''
# ds[t]/ds[t-1] = f: with dh = 0 and ds = 1, the gradient at s[t-1] is the forget gate itself.
case = _cell_case()
B, H = case["h_prev"].shape
_, _, cache = lstm_cell_forward(**case)
grads = lstm_cell_backward(np.zeros((B, H)), np.ones((B, H)), cache)
check_shape('grads["s_prev"]', grads["s_prev"], (B, H))
rows = slice(H, 2 * H)                                   # the forget gate's block
f = sigmoid(case["x"] @ case["W_x"][rows].T + case["h_prev"] @ case["W_h"][rows].T + case["b"][rows])
check_close('grads["s_prev"] with dh = 0 and ds = 1', grads["s_prev"], f,
            hint="ds[t]/ds[t-1] = f: s[t-1] reaches s[t] only through f * s[t-1]"
            if _forward_ok() else _cell_hint("s_prev"))
hint = _cell_hint("s_prev")
check_gradient('grads["s_prev"]', _cell_fwd, _cell_bwd, _cell_case(), "s_prev", hint=hint)
''')

nb.instructions("sequence_forward_text", r"""
## Part 5: a whole sequence forward

Write `lstm_forward(x, W_x, W_h, b, h_init, s_init)`, which runs your cell over the `T`
steps of `x` `(T, B, D)`, starting from `h_init` and `s_init` (the states at $t = -1$), and
returns the hidden states `h` `(T, B, H)` (with `h[t]` the state after step `t`) and a
`cache` for the backward pass, e.g. the list of the cells' caches.
""")

nb.solution("sequence_forward_code", '''
def lstm_forward(x, W_x, W_h, b, h_init, s_init):
    """The LSTM over a sequence.

    x: (T, B, D), W_x: (4H, D), W_h: (4H, H), b: (4H,), h_init, s_init: (B, H)
    ->  h: (T, B, H), cache
    """
    ### BEGIN SOLUTION
    h_t, s_t = h_init, s_init
    states, caches = [], []
    for x_t in x:
        h_t, s_t, step_cache = lstm_cell_forward(x_t, h_t, s_t, W_x, W_h, b)
        states.append(h_t)
        caches.append(step_cache)
    return np.stack(states), caches
    ### END SOLUTION
''')

nb.readonly("sequence_helpers", '''
def _seq_case(T=4, B=2, D=3, H=2, gates=None, seed=2):
    """Random inputs of lstm_forward; gates = (b_i, b_f, b_g, b_o) fixes the biases."""
    r = np.random.default_rng(seed)
    return {"x": r.standard_normal((T, B, D)),
            "W_x": r.standard_normal((4 * H, D)) / np.sqrt(D),
            "W_h": r.standard_normal((4 * H, H)) / np.sqrt(H),
            "b": 0.5 * r.standard_normal(4 * H) if gates is None else _stacked(*gates, H),
            "h_init": r.standard_normal((B, H)),
            "s_init": r.standard_normal((B, H))}
''')

nb.tests("lstm_forward", 1, '''
assert _forward_ok(), "lstm_cell_forward fails its tests (Part 1): fix it first"
# Zero weights and biases: every gate is 1/2 and g = 0, so s[t] = s_init / 2**(t+1).
T, B, D, H = 3, 1, 2, 2
s_init = np.array([[4.0, -2.0]])
h, _ = lstm_forward(rng.standard_normal((T, B, D)), *_zeros(H, D), np.zeros(4 * H),
                    np.zeros((B, H)), s_init)
check_shape("h", h, (T, B, H))
s_hand = s_init / 2.0 ** np.arange(1, T + 1)[:, None, None]
check_close("h (zero weights)", h, 0.5 * np.tanh(s_hand),
            hint="carry the cell state from step to step, starting from s_init")

case = _seq_case(T=3)
h, _ = lstm_forward(**case)
check_shape("h", h, (3, 2, 2))
args = (case["W_x"], case["W_h"], case["b"])
h0, s0, _ = lstm_cell_forward(case["x"][0], case["h_init"], case["s_init"], *args)
check_close("h[0]", h[0], h0, hint="step 0 starts from h_init and s_init")
h1, s1, _ = lstm_cell_forward(case["x"][1], h0, s0, *args)
check_close("h[1]", h[1], h1, hint="step t starts from the h and s that step t-1 produced")
''')

nb.instructions("sequence_backward_text", r"""
## Parts 6-7: backpropagation through time

Write `lstm_backward(dh, cache)`. Here `dh` `(T, B, H)` holds the gradients that the
divergence sends to each hidden state directly (from the output layer at step `t`). It
returns a dict with `"W_x"`, `"W_h"`, `"b"` (summed over all steps), `"x"` `(T, B, D)`,
`"h_init"` and `"s_init"` `(B, H)`.

Loop over the steps from `T-1` down to `0`, calling your `lstm_cell_backward` once per
step. Two gradients travel backwards from step to step: the one at $\mathbf{h}[t-1]$ and
the one at $\mathbf{s}[t-1]$. At step $t$, the gradient at $\mathbf{h}[t]$ is what the
divergence sends directly, `dh[t]`, plus what comes back from step $t+1$; the gradient at
$\mathbf{s}[t]$ only comes back from step $t+1$ (zero at the last step). What is left
over after step 0 is the gradient at the initial states.
""")

nb.solution("sequence_backward_code", '''
def lstm_backward(dh, cache):
    """Backpropagation through time for lstm_forward.

    dh: (T, B, H)  ->  {"W_x": (4H, D), "W_h": (4H, H), "b": (4H,), "x": (T, B, D),
                        "h_init": (B, H), "s_init": (B, H)}
    """
    ### BEGIN SOLUTION
    T, B, H = dh.shape
    dh_next = np.zeros((B, H))          # gradient at h[t] coming back from step t+1
    ds_next = np.zeros((B, H))          # gradient at s[t] coming back from step t+1
    totals = {"W_x": 0.0, "W_h": 0.0, "b": 0.0}
    dx = [None] * T
    for t in range(T - 1, -1, -1):
        step = lstm_cell_backward(dh[t] + dh_next, ds_next, cache[t])
        for name in totals:
            totals[name] = totals[name] + step[name]
        dx[t] = step["x"]
        dh_next, ds_next = step["h_prev"], step["s_prev"]
    return {**totals, "x": np.stack(dx), "h_init": dh_next, "s_init": ds_next}
    ### END SOLUTION
''')

nb.readonly("sequence_backward_helpers", '''
def _seq_err(names, last_only=False, **kw):
    """Largest relative error of the gradients `names` of your lstm_backward."""
    case = _seq_case(**kw)
    T, B = case["x"].shape[:2]
    dout = np.random.default_rng(8).standard_normal((T, B, case["h_init"].shape[1]))
    if last_only:
        dout[:-1] = 0.0                 # the divergence looks at the last state only
    return max(gradient_error(lstm_forward, lstm_backward, case, name, dout=dout)[0]
               for name in names)


def _seq_hint(names):
    if not max(_cell_err(n) for n in ("W_x", "x", "h_prev", "s_prev")) <= 1e-6:
        return ("lstm_cell_backward fails its tests above: fix it first (lstm_backward calls "
                "it once per step)")
    bad = first_failure([
        ("T = 1", lambda: _seq_err(names, T=1)),
        # (with f = 0 the gradient at s_init is 0 up to 1e-13: too small to compare)
        ("forget gate shut", lambda: _seq_err([n for n in names if n != "s_init"],
                                              gates=(0.0, -30.0, 0.0, 0.0))),
        ("loss on the last step only", lambda: _seq_err(names, last_only=True)),
        ("loss at every step", lambda: _seq_err(names)),
    ])
    if bad == "T = 1":
        return ("wrong already for T = 1, where lstm_backward is a single call of "
                "lstm_cell_backward with dh[0] and a zero gradient at s[0]; the gradients at "
                "h_init and s_init are what it returns for h_prev and s_prev")
    if bad == "forget gate shut":
        return ("wrong even with the forget gate shut (f = 0), where only the hidden state "
                "links the steps: the gradient at h[t-1] that a step returns must be added "
                "to dh[t-1] before the step t-1 is processed")
    if bad == "loss on the last step only":
        return ("right when the forget gate is shut (f = 0) but wrong when it lets the cell "
                "state through: carry the cell state's gradient from step t to step t-1 "
                "too, not only the hidden state's")
    if bad == "loss at every step":
        return ("right when only the last step is scored but wrong when every step is: the "
                "gradient at h[t] is dh[t] plus what comes back from step t+1")
    return None
''')

nb.tests("lstm_backward_params", 2, '''
hint = _seq_hint(("W_x", "W_h", "b"))
for name in ("W_x", "W_h", "b"):
    check_gradient(f'grads["{name}"]', lstm_forward, lstm_backward, _seq_case(), name, hint=hint)
''')

nb.tests("lstm_backward_inputs", 2, '''
hint = _seq_hint(("x", "h_init", "s_init"))
for name in ("x", "h_init", "s_init"):
    check_gradient(f'grads["{name}"]', lstm_forward, lstm_backward, _seq_case(), name, hint=hint)
check_gradient('grads["x"] (T = 1, B = 1)', lstm_forward, lstm_backward, _seq_case(T=1, B=1),
               "x", hint=hint)
''')

nb.instructions("experiment_text", r"""
## How far back does a gradient reach? (run it; nothing to hand in)

The cell below scores only the last hidden state and prints the size of the gradient that
arrives at the initial cell state `s_init`, for several sequence lengths and three values
of the forget-gate bias $b_f$ (all other weights random). It uses your `lstm_forward` and
`lstm_backward`. Use what you see in Part 8.
""")

nb.code('''
B, D, H = 4, 3, 8
r = np.random.default_rng(0)
W_x = r.standard_normal((4 * H, D)) / np.sqrt(D)
W_h = r.standard_normal((4 * H, H)) / np.sqrt(H)
lengths = (1, 10, 25, 50)
print("forget bias  sigmoid(b_f)" + "".join(f"   T = {T:<4}" for T in lengths))
for b_f in (-2.0, 0.0, 3.0):
    b = np.zeros(4 * H)
    b[H:2 * H] = b_f
    sizes = []
    for T in lengths:
        x = r.standard_normal((T, B, D))
        h, cache = lstm_forward(x, W_x, W_h, b, np.zeros((B, H)), np.zeros((B, H)))
        dh = np.zeros_like(h)
        dh[-1] = 1.0
        sizes.append(np.linalg.norm(lstm_backward(dh, cache)["s_init"]) / np.sqrt(B))
    print(f"{b_f:11.1f}  {1 / (1 + np.exp(-b_f)):12.2f}" + "".join(f"{v:11.2e}" for v in sizes))
''')

nb.instructions("written_text", r"""
## Part 8: in your own words

Along the cell state alone, the gradient that reaches $\mathbf{s}[t-k]$ from $\mathbf{s}[t]$ is
multiplied by $\mathbf{f}[t]\odot\mathbf{f}[t-1]\odot\cdots\odot\mathbf{f}[t-k+1]$. Suppose the
forget gates sit near 0.95. Roughly what fraction of the gradient survives 50 steps?
And near 0.5? Compare with the plain tanh RNN of Exercise 9, where every step multiplies
by $\mathrm{diag}(1-\mathbf{h}^2)\,\mathbf{W}_r$, and explain why LSTMs are often initialized
with a positive forget-gate bias (the table above helps). Three to five sentences.
""")

nb.written_answer("written_forget", 1, """
0.95^50 is about 0.08, so roughly 8 % of the gradient reaches a state 50 steps back;
with f near 0.5 it is 0.5^50, about 1e-15, as good as nothing. The difference to the plain
RNN is that the factor per step is the gate value itself, chosen by the network for each
unit and each step, with no weight matrix and no tanh' in it: if the network learns that
a unit should remember, f close to 1 keeps the gradient (and the information) alive. In
the RNN the factor is fixed by W_r and shrunk by tanh' wherever the state saturates.
A positive forget bias (1 to 3) starts every gate near f = 0.73-0.95, so at the start of
training gradients from distant steps arrive at all (see the table: b_f = 3 keeps
s_init's gradient many orders of magnitude larger at T = 50), and the network can learn
long dependencies instead of having to discover them through a vanishing signal.
""")

path = nb.write()
print("wrote", path)
