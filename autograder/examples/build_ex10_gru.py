"""How solutions/ex10_gru/ex10_gru.ipynb was written (see build_ex02_tdnn.py).

Run from the repository root to regenerate the notebook:
.venv/bin/python autograder/examples/build_ex10_gru.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex10_gru")

nb.instructions("intro", r"""
# Exercise 10b: the GRU

*Chapter 10 of the book, "Gated cells: LSTM and GRU".*

The gated recurrent unit keeps a single state $\mathbf{h}[t]$ and two gates: the **reset
gate** $\mathbf{r}$ decides how much of the old state the candidate $\mathbf{n}$ may use,
and the **update gate** $\mathbf{z}$ mixes the old state with the candidate. We use
PyTorch's variant (`torch.nn.GRU`), in which the reset gate multiplies the whole hidden-side
term $\mathbf{W}_{hn}\mathbf{h}[t-1] + \mathbf{b}_{hn}$, bias included:

$$
\begin{aligned}
\mathbf{r} &= \sigma\big(\mathbf{W}_{xr}\mathbf{x}[t] + \mathbf{b}_{xr} + \mathbf{W}_{hr}\mathbf{h}[t-1] + \mathbf{b}_{hr}\big),\\
\mathbf{z} &= \sigma\big(\mathbf{W}_{xz}\mathbf{x}[t] + \mathbf{b}_{xz} + \mathbf{W}_{hz}\mathbf{h}[t-1] + \mathbf{b}_{hz}\big),\\
\mathbf{n} &= \tanh\big(\mathbf{W}_{xn}\mathbf{x}[t] + \mathbf{b}_{xn} + \mathbf{r}\odot(\mathbf{W}_{hn}\mathbf{h}[t-1] + \mathbf{b}_{hn})\big),\\
\mathbf{h}[t] &= (1-\mathbf{z})\odot\mathbf{n} + \mathbf{z}\odot\mathbf{h}[t-1].
\end{aligned}
$$

With $\mathbf{z} = 1$ the cell copies its old state; with $\mathbf{z} = 0$ it replaces it by the
candidate. Because $\mathbf{b}_{hn}$ sits inside the reset gate, the two biases of the
candidate are not interchangeable, and the GRU keeps an input-side bias $\mathbf{b}_x$ and a
hidden-side bias $\mathbf{b}_h$. (Cho et al.'s original GRU applies $\mathbf{r}$ to
$\mathbf{h}[t-1]$ *before* the matrix product; it is a different function, and weights do
not carry over between the two.)

**Learning goals.** After this exercise you can

* implement one GRU step in PyTorch's variant, with the gates stacked in the order r, z, n;
* derive its backward pass, including the reset gate inside the candidate and the direct
  path from $\mathbf{h}[t-1]$ to $\mathbf{h}[t]$ through $\mathbf{z}$;
* run the cell over a sequence and backpropagate through time;
* compare the update gate of the GRU with the forget gate of the LSTM.

Expect to spend two to three hours.

**Shapes.** Batches of row vectors: `x` is `(B, D)` for one step and `(T, B, D)` for a
sequence; `h_prev` and `h_init` are `(B, H)`. The gates are stacked in the order **r, z, n**:

| array | shape | rows `0:H` | rows `H:2H` | rows `2H:3H` |
|---|---|---|---|---|
| `W_x` | `(3H, D)` | $\mathbf{W}_{xr}$ | $\mathbf{W}_{xz}$ | $\mathbf{W}_{xn}$ |
| `W_h` | `(3H, H)` | $\mathbf{W}_{hr}$ | $\mathbf{W}_{hz}$ | $\mathbf{W}_{hn}$ |
| `b_x` | `(3H,)` | $\mathbf{b}_{xr}$ | $\mathbf{b}_{xz}$ | $\mathbf{b}_{xn}$ |
| `b_h` | `(3H,)` | $\mathbf{b}_{hr}$ | $\mathbf{b}_{hz}$ | $\mathbf{b}_{hn}$ |

With a batch of row vectors, $\mathbf{W}_x\mathbf{x}$ is `x @ W_x.T`.

| part | what | points |
|---|---|---|
| 1 | `gru_cell_forward` | 2 |
| 2 | `gru_cell_backward`: input side, `W_x` and `b_x` | 2 |
| 3 | `gru_cell_backward`: hidden side, `W_h` and `b_h` | 2 |
| 4 | `gru_cell_backward`: `x` and `h_prev` | 2 |
| 5 | `gru_forward` over a sequence | 1 |
| 6 | `gru_backward`: gradients of `W_x`, `W_h`, `b_x`, `b_h` | 2 |
| 7 | `gru_backward`: gradients of `x` and `h_init` | 2 |
| 8 | a short written answer | 1 |

**How the tests work.** Each part has a cell of visible tests: run it after writing your
code. The gradient tests compare your backward pass with numerical derivatives of *your*
forward pass, so get Part 1 right first. When a test fails, its message says by how
much, where the first wrong number is, and often a hint found by probing simpler cases
(one gate block at a time, the update gate forced to 1, one time step, ...). The grader
also runs hidden tests on inputs you have not seen, of other shapes (including `T = 1`
and `B = 1`). Only numpy is allowed; `sigmoid` is given.
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

Write `gru_cell_forward(x, h_prev, W_x, W_h, b_x, b_h)`. It returns the new state `h` and
a `cache` with whatever your backward pass will need. Compute the input side
`x @ W_x.T + b_x` and the hidden side `h_prev @ W_h.T + b_h` with one matmul each, as
`(B, 3H)` arrays, then combine their blocks as in the equations. Keep the hidden-side
block of the candidate, $\mathbf{W}_{hn}\mathbf{h}[t-1] + \mathbf{b}_{hn}$, in the cache: the
backward pass needs it.
""")

nb.solution("forward_code", '''
def gru_cell_forward(x, h_prev, W_x, W_h, b_x, b_h):
    """One GRU step (PyTorch's variant), gates stacked in the order r, z, n.

    x: (B, D), h_prev: (B, H), W_x: (3H, D), W_h: (3H, H), b_x: (3H,), b_h: (3H,)
    ->  h: (B, H), cache
    """
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    ax = x @ W_x.T + b_x                        # input side, (B, 3H): blocks r, z, n
    ah = h_prev @ W_h.T + b_h                   # hidden side, (B, 3H)
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    hn = ah[:, 2 * H:]                          # W_hn h[t-1] + b_hn
    n = np.tanh(ax[:, 2 * H:] + r * hn)
    h = (1.0 - z) * n + z * h_prev
    cache = (x, h_prev, W_x, W_h, r, z, n, hn)
    return h, cache
    ### END SOLUTION
''')

nb.readonly("forward_helpers", '''
def _stacked(r, z, n, H):
    """A (3H,) bias with the same value for every unit of a block, in the order r, z, n."""
    return np.repeat(np.array([r, z, n], dtype=float), H)


def _zeros(H, D):
    """Zero weights for a GRU with H units and D inputs: (W_x, W_h)."""
    return np.zeros((3 * H, D)), np.zeros((3 * H, H))
''')

nb.tests("gru_cell_forward", 2, '''
H, D = 2, 1
x = np.array([[0.7]])
h_prev = np.array([[0.6, -0.4]])
no_bias = np.zeros(3 * H)

# Zero weights and biases: r = z = 1/2 and n = tanh(0) = 0, so h[t] = h[t-1] / 2.
h, _ = gru_cell_forward(x, h_prev, *_zeros(H, D), no_bias, no_bias)
check_shape("h", h, (1, H))
check_close("h (zero weights: r = z = 1/2, n = 0)", h, h_prev / 2,
            hint="h[t] = (1 - z) * n + z * h[t-1]")

# The update gate alone (sigmoid(30) = 1 and sigmoid(-30) = 0 up to 1e-13).
h, _ = gru_cell_forward(x, h_prev, *_zeros(H, D), _stacked(0, 30, 0, H), no_bias)
hint = ("gate order r, z, n: rows 0:H belong to the reset gate, H:2H to the update gate, "
        "2H:3H to the candidate")
if np.allclose(h, 0.0, atol=1e-9):
    hint = ("with z = 1 your cell returns the candidate: the roles are swapped; "
            "h[t] = (1 - z) * n + z * h[t-1], so z = 1 keeps the old state")
check_close("h (update gate z = 1: the cell must copy h[t-1])", h, h_prev, hint=hint)
h, _ = gru_cell_forward(x, h_prev, *_zeros(H, D), _stacked(0, -30, 1.0, H), no_bias)
check_close("h (update gate z = 0, b_xn = 1: h[t] = n = tanh(1))", h, np.full((1, H), np.tanh(1.0)),
            hint=hint)

# The candidate's two biases: b_xn is outside the reset gate, b_hn inside (r = 1/2 here).
h, _ = gru_cell_forward(x, h_prev, *_zeros(H, D), _stacked(0, -30, 0, H), _stacked(0, 0, 1.0, H))
check_close("h (z = 0, r = 1/2, b_hn = 1: h[t] = tanh(1/2))", h, np.full((1, H), np.tanh(0.5)),
            hint=("PyTorch's variant: the reset gate multiplies the whole hidden-side term "
                  "W_hn h[t-1] + b_hn, bias included"))

# Every weight used once: D = 1, H = 1, worked out by hand.
W_x = np.array([[1.0], [2.0], [3.0]])
W_h = np.array([[0.5], [-0.5], [1.0]])
b_x = np.array([0.1, 0.2, 0.3])
b_h = np.array([0.0, 0.1, -0.2])
h, _ = gru_cell_forward(np.array([[0.5]]), np.array([[-1.0]]), W_x, W_h, b_x, b_h)
r_hand = sigmoid(0.6 - 0.5)                    # input side 0.5 * 1 + 0.1, hidden side -0.5 + 0
z_hand = sigmoid(1.2 + 0.6)
n_hand = np.tanh(1.8 + r_hand * (-1.0 - 0.2))  # the reset gate scales W_hn h[t-1] + b_hn
check_close("h (D = H = 1)", h, np.array([[(1 - z_hand) * n_hand - z_hand]]),
            hint=("the reset gate multiplies W_hn h[t-1] + b_hn (PyTorch's variant), not "
                  "h[t-1] before the matrix product; " + hint))
''')

nb.instructions("backward_text", r"""
## Parts 2-4: one step backward

Write `gru_cell_backward(dh, cache)`, where `dh` $=\nabla_{\mathbf{h}[t]}\mathrm{DIV}$ is
`(B, H)`. It returns a dict with the gradients

| key | shape | |
|---|---|---|
| `"W_x"`, `"b_x"` | `(3H, D)`, `(3H,)` | input side, summed over the batch |
| `"W_h"`, `"b_h"` | `(3H, H)`, `(3H,)` | hidden side, summed over the batch |
| `"x"`, `"h_prev"` | `(B, D)`, `(B, H)` | one row per sequence |

Work backwards through the equations:

1. $\mathbf{h}[t] = (1-\mathbf{z})\odot\mathbf{n} + \mathbf{z}\odot\mathbf{h}[t-1]$ gives the
   gradients at $\mathbf{n}$, at $\mathbf{z}$ and a first, *direct* part of the gradient at
   $\mathbf{h}[t-1]$.
2. Through the tanh of $\mathbf{n}$ to its pre-activation; through $\mathbf{r}\odot(\dots)$ to
   the reset gate; through the sigmoids to the pre-activations of $\mathbf{r}$ and
   $\mathbf{z}$.
3. Stack the three pre-activation gradients `(B, 3H)` in the order r, z, n for the input
   side. The hidden side is the same except for the candidate's block: there the
   hidden-side term is multiplied by $\mathbf{r}$ before it enters the tanh.
4. Each side is a plain linear layer: the weights, the biases, `x` and (the second part
   of) `h_prev` follow from the stacked gradients.

The three test cells grade the input side (Part 2), the hidden side (Part 3) and `x`,
`h_prev` (Part 4) separately.
""")

nb.solution("backward_code", '''
def gru_cell_backward(dh, cache):
    """Backward pass of gru_cell_forward.

    dh: (B, H)  ->  {"W_x": (3H, D), "W_h": (3H, H), "b_x": (3H,), "b_h": (3H,),
                     "x": (B, D), "h_prev": (B, H)}
    """
    ### BEGIN SOLUTION
    x, h_prev, W_x, W_h, r, z, n, hn = cache
    da_n = dh * (1.0 - z) * (1.0 - n * n)         # at the pre-activation of n
    da_r = da_n * hn * r * (1.0 - r)
    da_z = dh * (h_prev - n) * z * (1.0 - z)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)          # input side, (B, 3H)
    dah = np.concatenate([da_r, da_z, da_n * r], axis=1)      # hidden side, (B, 3H)
    return {"W_x": dax.T @ x, "b_x": dax.sum(axis=0),
            "W_h": dah.T @ h_prev, "b_h": dah.sum(axis=0),
            "x": dax @ W_x, "h_prev": dh * z + dah @ W_h}
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
def _cell_case(B=2, D=3, H=2, gates=None, seed=1):
    """Random inputs of gru_cell_forward; gates = (b_r, b_z, b_n) fixes b_x (and b_h = 0)."""
    r = np.random.default_rng(seed)
    return {"x": r.standard_normal((B, D)),
            "h_prev": r.standard_normal((B, H)),
            "W_x": r.standard_normal((3 * H, D)) / np.sqrt(D),
            "W_h": r.standard_normal((3 * H, H)) / np.sqrt(H),
            "b_x": 0.5 * r.standard_normal(3 * H) if gates is None else _stacked(*gates, H),
            "b_h": 0.5 * r.standard_normal(3 * H) if gates is None else np.zeros(3 * H)}


def _cell_err(wrt, gate=None, **kw):
    """Relative error of one gradient of your gru_cell_backward (optionally one gate block)."""
    case = _cell_case(**kw)
    _, yours, numerical = gradient_error(gru_cell_forward, gru_cell_backward, case, wrt)
    if gate is not None:
        H = case["h_prev"].shape[1]
        k = "rzn".index(gate)
        yours, numerical = yours[k * H:(k + 1) * H], numerical[k * H:(k + 1) * H]
    return rel_error(yours, numerical)


def _forward_ok():
    """Does gru_cell_forward pass the bias-only cases of Part 1?"""
    x, h_prev = np.array([[0.7]]), np.array([[0.6, -0.4]])
    cases = [((0, 0, 0), (0, 0, 0), h_prev / 2),
             ((0, 30, 0), (0, 0, 0), h_prev),
             ((0, -30, 0), (0, 0, 1.0), np.full((1, 2), np.tanh(0.5)))]
    for b_x, b_h, want in cases:
        h, _ = gru_cell_forward(x, h_prev, *_zeros(2, 1), _stacked(*b_x, 2), _stacked(*b_h, 2))
        if not np.allclose(h, want):
            return False
    return True


def _wrong_blocks(wrt):
    return {gate for gate in "rzn" if not _cell_err(wrt, gate=gate) <= 1e-6}


def _cell_hint(part):
    if not _forward_ok():
        return ("gru_cell_forward fails its tests (Part 1): fix it first, the gradient checks "
                "differentiate your forward pass")
    wrong = _wrong_blocks("W_x")
    if wrong == {"r", "z"}:
        return ("the blocks of the two sigmoid gates r and z are wrong but the candidate's "
                "block is right: check the derivative of the sigmoid; written with its output "
                "y = sigmoid(a) it is y * (1 - y)")
    if wrong == {"r"}:
        return ("only the reset-gate block (rows 0:H) is wrong: r multiplies "
                "W_hn h[t-1] + b_hn (keep it from the forward pass) inside the tanh of n")
    if wrong == {"z"}:
        return ("only the update-gate block (rows H:2H) is wrong: from "
                "h[t] = (1 - z) * n + z * h[t-1], the derivative with respect to z is h[t-1] - n")
    if wrong == {"n"}:
        return ("only the candidate's block (rows 2H:3H) is wrong: n enters h[t] with the "
                "weight 1 - z, and tanh' = 1 - n**2")
    if wrong == {"r", "n"}:
        return ("the blocks of r and n are wrong while z is right: the gradient at the "
                "candidate n is dh times (1 - z); both blocks start from it")
    if wrong:
        return (f"the blocks {', '.join(sorted(wrong))} of dW_x are wrong (order r, z, n: "
                "rows 0:H, H:2H, 2H:3H)")
    if part == "input side":
        return "dW_x's blocks are right: b_x is added for every sequence of the batch"
    hidden = _wrong_blocks("W_h")
    if hidden == {"n"}:
        return ("the input side is right but the candidate's block of dW_h (rows 2H:3H) is "
                "wrong: on the hidden side W_hn h[t-1] + b_hn is multiplied by the reset gate "
                "r before it enters the tanh, so its gradient is multiplied by r too")
    if hidden:
        return (f"the input side is right but the blocks {', '.join(sorted(hidden))} of dW_h "
                "are wrong: W_h multiplies h[t-1]")
    if part == "hidden side":
        return "dW_h's blocks are right: b_h is added for every sequence of the batch"
    if not _cell_err("h_prev", gates=(0.0, 30.0, 0.0)) <= 1e-6:
        return ("with the update gate at z = 1 the cell copies h[t-1], so the gradient at "
                "h[t-1] must be dh itself: you are missing the direct path through z * h[t-1]")
    return ("both weight gradients are right, so your gradients of the pre-activations are "
            "right: x reaches the gates through W_x, and h[t-1] through W_h plus directly "
            "through z * h[t-1]")
''')

nb.tests("gru_cell_backward_input_side", 2, '''
hint = _cell_hint("input side")
for name in ("W_x", "b_x"):
    check_gradient(f'grads["{name}"]', gru_cell_forward, gru_cell_backward, _cell_case(), name,
                   hint=hint)
check_gradient('grads["W_x"] (B = 1)', gru_cell_forward, gru_cell_backward, _cell_case(B=1),
               "W_x", hint=hint)
''')

nb.tests("gru_cell_backward_hidden_side", 2, '''
hint = _cell_hint("hidden side")
for name in ("W_h", "b_h"):
    check_gradient(f'grads["{name}"]', gru_cell_forward, gru_cell_backward, _cell_case(), name,
                   hint=hint)
''')

nb.tests("gru_cell_backward_inputs", 2, '''
hint = _cell_hint("inputs")
check_gradient('grads["x"]', gru_cell_forward, gru_cell_backward, _cell_case(), "x", hint=hint)
check_gradient('grads["h_prev"] (z = 1)', gru_cell_forward, gru_cell_backward,
               _cell_case(gates=(0.0, 30.0, 0.0)), "h_prev", hint=hint)
check_gradient('grads["h_prev"]', gru_cell_forward, gru_cell_backward, _cell_case(), "h_prev",
               hint=hint)
''')

nb.instructions("sequence_forward_text", r"""
## Part 5: a whole sequence forward

Write `gru_forward(x, W_x, W_h, b_x, b_h, h_init)`, which runs your cell over the `T` steps
of `x` `(T, B, D)` starting from `h_init` (the state at $t = -1$), and returns the states
`h` `(T, B, H)` (`h[t]` is the state after step `t`) and a `cache` for the backward pass.
""")

nb.solution("sequence_forward_code", '''
def gru_forward(x, W_x, W_h, b_x, b_h, h_init):
    """The GRU over a sequence.

    x: (T, B, D), W_x: (3H, D), W_h: (3H, H), b_x, b_h: (3H,), h_init: (B, H)
    ->  h: (T, B, H), cache
    """
    ### BEGIN SOLUTION
    h_t = h_init
    states, caches = [], []
    for x_t in x:
        h_t, step_cache = gru_cell_forward(x_t, h_t, W_x, W_h, b_x, b_h)
        states.append(h_t)
        caches.append(step_cache)
    return np.stack(states), caches
    ### END SOLUTION
''')

nb.readonly("sequence_helpers", '''
def _seq_case(T=4, B=2, D=3, H=2, seed=2):
    """Random inputs of gru_forward."""
    r = np.random.default_rng(seed)
    return {"x": r.standard_normal((T, B, D)),
            "W_x": r.standard_normal((3 * H, D)) / np.sqrt(D),
            "W_h": r.standard_normal((3 * H, H)) / np.sqrt(H),
            "b_x": 0.5 * r.standard_normal(3 * H),
            "b_h": 0.5 * r.standard_normal(3 * H),
            "h_init": r.standard_normal((B, H))}
''')

nb.tests("gru_forward", 1, '''
assert _forward_ok(), "gru_cell_forward fails its tests (Part 1): fix it first"
# Zero weights and biases: r = z = 1/2 and n = 0, so h[t] = h_init / 2**(t+1).
T, B, D, H = 3, 1, 2, 2
h_init = np.array([[4.0, -2.0]])
h, _ = gru_forward(rng.standard_normal((T, B, D)), *_zeros(H, D), np.zeros(3 * H),
                   np.zeros(3 * H), h_init)
check_shape("h", h, (T, B, H))
check_close("h (zero weights)", h, h_init / 2.0 ** np.arange(1, T + 1)[:, None, None],
            hint="carry the state from step to step, starting from h_init")

case = _seq_case(T=3)
h, _ = gru_forward(**case)
check_shape("h", h, (3, 2, 2))
args = (case["W_x"], case["W_h"], case["b_x"], case["b_h"])
h0, _ = gru_cell_forward(case["x"][0], case["h_init"], *args)
check_close("h[0]", h[0], h0, hint="step 0 starts from h_init")
h1, _ = gru_cell_forward(case["x"][1], h0, *args)
check_close("h[1]", h[1], h1, hint="step t starts from the state that step t-1 produced")
''')

nb.instructions("sequence_backward_text", r"""
## Parts 6-7: backpropagation through time

Write `gru_backward(dh, cache)`. Here `dh` `(T, B, H)` holds the gradients that the
divergence sends to each state directly. It returns a dict with `"W_x"`, `"W_h"`, `"b_x"`,
`"b_h"` (summed over all steps), `"x"` `(T, B, D)` and `"h_init"` `(B, H)`.

Loop over the steps from `T-1` down to `0`, calling your `gru_cell_backward` once per
step: the gradient at $\mathbf{h}[t]$ is `dh[t]` plus what comes back from step $t+1$, and
what is left over after step 0 is the gradient at the initial state.
""")

nb.solution("sequence_backward_code", '''
def gru_backward(dh, cache):
    """Backpropagation through time for gru_forward.

    dh: (T, B, H)  ->  {"W_x": (3H, D), "W_h": (3H, H), "b_x": (3H,), "b_h": (3H,),
                        "x": (T, B, D), "h_init": (B, H)}
    """
    ### BEGIN SOLUTION
    T, B, H = dh.shape
    dh_next = np.zeros((B, H))          # gradient at h[t] coming back from step t+1
    totals = {"W_x": 0.0, "W_h": 0.0, "b_x": 0.0, "b_h": 0.0}
    dx = [None] * T
    for t in range(T - 1, -1, -1):
        step = gru_cell_backward(dh[t] + dh_next, cache[t])
        for name in totals:
            totals[name] = totals[name] + step[name]
        dx[t] = step["x"]
        dh_next = step["h_prev"]
    return {**totals, "x": np.stack(dx), "h_init": dh_next}
    ### END SOLUTION
''')

nb.readonly("sequence_backward_helpers", '''
def _seq_err(names, last_only=False, **kw):
    """Largest relative error of the gradients `names` of your gru_backward."""
    case = _seq_case(**kw)
    T, B = case["x"].shape[:2]
    dout = np.random.default_rng(8).standard_normal((T, B, case["h_init"].shape[1]))
    if last_only:
        dout[:-1] = 0.0                 # the divergence looks at the last state only
    return max(gradient_error(gru_forward, gru_backward, case, name, dout=dout)[0]
               for name in names)


def _seq_hint(names):
    if not max(_cell_err(n) for n in ("W_x", "W_h", "x", "h_prev")) <= 1e-6:
        return ("gru_cell_backward fails its tests above: fix it first (gru_backward calls "
                "it once per step)")
    bad = first_failure([
        ("T = 1", lambda: _seq_err(names, T=1)),
        ("loss on the last step only", lambda: _seq_err(names, last_only=True)),
        ("loss at every step", lambda: _seq_err(names)),
    ])
    if bad == "T = 1":
        return ("wrong already for T = 1, where gru_backward is a single call of "
                "gru_cell_backward with dh[0]; the gradient at h_init is what it returns "
                "for h_prev")
    if bad == "loss on the last step only":
        return ("right for T = 1 but not over several steps: the gradient at h[t-1] that a "
                "step returns must be added to dh[t-1] before the step t-1 is processed, and "
                "the shared weights collect a contribution from every step")
    if bad == "loss at every step":
        return ("right when only the last step is scored but wrong when every step is: the "
                "gradient at h[t] is dh[t] plus what comes back from step t+1")
    return None
''')

nb.tests("gru_backward_params", 2, '''
hint = _seq_hint(("W_x", "W_h", "b_x", "b_h"))
for name in ("W_x", "W_h", "b_x", "b_h"):
    check_gradient(f'grads["{name}"]', gru_forward, gru_backward, _seq_case(), name, hint=hint)
''')

nb.tests("gru_backward_inputs", 2, '''
hint = _seq_hint(("x", "h_init"))
for name in ("x", "h_init"):
    check_gradient(f'grads["{name}"]', gru_forward, gru_backward, _seq_case(), name, hint=hint)
check_gradient('grads["x"] (T = 1, B = 1)', gru_forward, gru_backward, _seq_case(T=1, B=1),
               "x", hint=hint)
''')

nb.instructions("experiment_text", r"""
## How far back does a gradient reach? (run it; nothing to hand in)

The cell below scores only the last state and prints the size of the gradient at `h_init`
for several sequence lengths and three values of the update gate's bias $b_{xz}$ (all
other weights random). It uses your `gru_forward` and `gru_backward`. Use what you see in
Part 8.
""")

nb.code('''
B, D, H = 4, 3, 8
r = np.random.default_rng(0)
W_x = r.standard_normal((3 * H, D)) / np.sqrt(D)
W_h = r.standard_normal((3 * H, H)) / np.sqrt(H)
lengths = (1, 10, 25, 50)
print("update bias  sigmoid(b_z)" + "".join(f"   T = {T:<4}" for T in lengths))
for b_z in (-2.0, 0.0, 3.0):
    b_x = np.zeros(3 * H)
    b_x[H:2 * H] = b_z
    sizes = []
    for T in lengths:
        x = r.standard_normal((T, B, D))
        h, cache = gru_forward(x, W_x, W_h, b_x, np.zeros(3 * H), np.zeros((B, H)))
        dh = np.zeros_like(h)
        dh[-1] = 1.0
        sizes.append(np.linalg.norm(gru_backward(dh, cache)["h_init"]) / np.sqrt(B))
    print(f"{b_z:11.1f}  {1 / (1 + np.exp(-b_z)):12.2f}" + "".join(f"{v:11.2e}" for v in sizes))
''')

nb.instructions("written_text", r"""
## Part 8: in your own words

Suppose the update gate stays close to $\mathbf{z} = 1$ for many steps. What does the cell
compute during those steps, and what is $\partial\mathbf{h}[t]/\partial\mathbf{h}[t-1]$,
approximately? Which gate of the LSTM plays the same role, and what can the LSTM do that
the GRU cannot (think of what the LSTM's output gate allows)? Three to five sentences; the
table above may help.
""")

nb.written_answer("written_update_gate", 1, """
With z close to 1 the cell copies its state, h[t] = h[t-1], and ignores the candidate, so
dh[t]/dh[t-1] is close to the identity (diag(z) plus small terms through the gates): the
gradient passes back many steps almost unchanged, as the table shows for b_z = 3. This is
the role of the LSTM's forget gate on the cell state, ds[t]/ds[t-1] = f, except that the
GRU ties forgetting and writing together (1 - z versus z) while the LSTM has separate
forget and input gates. The LSTM also keeps a private memory s[t] and shows only
o * tanh(s[t]); the GRU's memory is its output, so it cannot store something without also
exposing it to the next layer and to its own gates.
""")

path = nb.write()
print("wrote", path)
