"""How solutions/ex08_brnn/ex08_brnn.ipynb was written (see build_ex02_tdnn.py).

Run from the repository root to regenerate the notebook:
.venv/bin/python autograder/examples/build_ex08_brnn.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex08_brnn")

nb.instructions("intro", r"""
# Exercise 8: a bidirectional block

*Chapter 8, "Bidirectional RNNs", in the book.*

When the whole input sequence is available before any output is needed (a recorded
utterance, a finished sentence, a protein), the state at step $t$ can summarize the
future as well as the past. A *bidirectional block* runs two recurrent nets over the same
input: a **forward net** from $t = 0$ up to $T-1$ and a **backward net** from $T-1$ down
to $0$, and concatenates their states. You will write its forward pass and its backward
pass (backpropagation through both nets) in numpy.

**Learning goals.** After this exercise you can

- run the backward net with an ordinary (forward-in-time) RNN by flipping time, and say
  which arrays live in flipped time;
- concatenate the two nets' states into the block output;
- split the gradient of the block output between the two nets and backpropagate each;
- explain why the input gradient is the *sum* of the two nets' input gradients, and
  flip the backward net's contribution back to straight time;
- decide when a bidirectional network can be used at all.

**The block.** Both nets are one-layer $\tanh$ RNNs with their own weights (the
lecture's names, `f` for the forward net, `b` for the backward net):

$$
\mathbf{h}_f[t] = \tanh\big(\mathbf{W}_{fc}\,\mathbf{x}[t] + \mathbf{W}_{fr}\,\mathbf{h}_f[t-1] + \mathbf{b}_f\big),
\qquad t = 0, 1, \dots, T-1,
$$
$$
\mathbf{h}_b[t] = \tanh\big(\mathbf{W}_{bc}\,\mathbf{x}[t] + \mathbf{W}_{br}\,\mathbf{h}_b[t+1] + \mathbf{b}_b\big),
\qquad t = T-1, T-2, \dots, 0,
$$
$$
\mathbf{h}[t] = \begin{bmatrix}\mathbf{h}_f[t] \\ \mathbf{h}_b[t]\end{bmatrix}
\qquad \text{(book eq. eq-brnn-concat)}.
$$

The forward net starts from $\mathbf{h}_f[-1]$ (`h0_f`), the backward net from the state
"after the end", $\mathbf{h}_b[T]$ (`h0_b`; the lecture calls it $h_b(\infty)$). So
$\mathbf{h}_f[t]$ has seen $\mathbf{x}[0], \dots, \mathbf{x}[t]$ and $\mathbf{h}_b[t]$ has seen
$\mathbf{x}[t], \dots, \mathbf{x}[T-1]$.

**Shapes.** `x` is `(T, B, D)`; both nets have `H` units; the block output `h` is
`(T, B, 2H)`, forward net first. `params` is a dict with `W_fc1`, `W_bc1` `(H, D)`,
`W_fr1`, `W_br1` `(H, H)`, `b_f1`, `b_b1` `(H,)` (the `1` is the layer number, as in the
library). `h0_f` and `h0_b` are `(B, H)`, one row per sequence.

**Given.** A locked cell provides a one-direction, one-layer RNN: `rnn_forward` and its
backpropagation through time `rnn_bptt` (you wrote the latter as `layer_backward` in
exercise 7). Use them; this exercise is about what goes around them: flips, the split
and the sum.

| part | what | points |
|---|---|---|
| 1 | `flip_time` | 1 |
| 2 | `brnn_forward` | 2 |
| 3 | `brnn_backward`: the forward net's gradients | 2 |
| 4 | `brnn_backward`: the backward net's gradients | 3 |
| 5 | `brnn_backward`: the gradient of the input | 2 |
| 6 | a short written answer | 1 |

**How the tests work.** Each part has a cell of visible tests: run it after writing your
code. Gradients are compared with numerical derivatives of *your* `brnn_forward`, so
Part 2 must pass first. When a test fails, its message gives the relative error, the
first wrong entry and, where it can tell, a hint; it tries simple cases first (one time
step, where flipping changes nothing; a gradient on one half of the output only). When
you submit, the grader also runs hidden tests on random inputs of other shapes
(including $T = 1$ and $B = 1$). Only numpy is allowed; do not change the locked cells.
Expect to spend one to two hours.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import (check_shape, check_close, check_gradient, gradient_error,
                      first_failure, rel_error)

rng = np.random.default_rng(0)


def rnn_forward(x, h0, W_c, W_r, b):
    """One-layer tanh RNN, forward in time (given).

    x: (T, B, D), h0: (B, H) the state before step 0, W_c: (H, D), W_r: (H, H), b: (H,)
    ->  h: (T, B, H) with h[t] = tanh(W_c x[t] + W_r h[t-1] + b), h[-1] = h0
    """
    h = np.empty((x.shape[0], x.shape[1], W_r.shape[0]))
    drive = x @ W_c.T + b
    state = h0
    for t in range(x.shape[0]):
        state = np.tanh(drive[t] + state @ W_r.T)
        h[t] = state
    return h


def rnn_bptt(dh, h, h0, x, W_c, W_r):
    """Backpropagation through time for rnn_forward (given).

    dh: (T, B, H) gradient of the divergence with respect to h[t], for every t;
    h, h0, x, W_c, W_r: as in rnn_forward (h is its output)
    ->  {"W_c": (H, D), "W_r": (H, H), "b": (H,), "x": (T, B, D), "h0": (B, H)}
    """
    T = h.shape[0]
    slope = 1.0 - h * h
    dz = np.empty_like(h)
    carry = np.zeros_like(h0)              # gradient arriving at h[t] from step t+1
    for t in reversed(range(T)):
        dz[t] = (dh[t] + carry) * slope[t]
        carry = dz[t] @ W_r
    previous = np.concatenate([h0[None], h[:-1]])      # h[t-1] for every t
    return {"W_c": np.einsum("tbi,tbj->ij", dz, x),
            "W_r": np.einsum("tbi,tbj->ij", dz, previous),
            "b": dz.sum(axis=(0, 1)),
            "x": dz @ W_c,
            "h0": carry}
''')

# -- Part 1 ---------------------------------------------------------------------------

nb.instructions("flip_text", r"""
## Part 1: flipping time

Write `flip_time(a)`, which reverses a sequence in time: `a` is `(T, B, ...)` and row $t$
of the result is `a[T-1-t]`. Do not modify `a`.

A warning about the lecture's pseudocode: it writes `fliplr(x)` because there a sequence
is a matrix with one *column* per time step. Our arrays are time-major, so time is axis 0.
""")

nb.solution("flip_code", '''
def flip_time(a):
    """Reverse a sequence in time. a: (T, B, ...) -> same shape, row t = a[T-1-t]."""
    ### BEGIN SOLUTION
    return a[::-1].copy()
    ### END SOLUTION
''')

nb.tests("flip_time", 1, '''
a = np.arange(6.0).reshape(3, 2, 1)          # a[t, b, 0] = 2 t + b
flipped = flip_time(a)
check_shape("flip_time(a)", flipped, (3, 2, 1))
hint = "row t of the result is a[T-1-t]: reverse axis 0 (time) and nothing else"
if np.array_equal(flipped, a[:, ::-1]):
    hint = ("you reversed the batch axis: np.fliplr reverses axis 1, which in our time-major arrays "
            "is the batch, not time")
check_close("flip_time(a)", flipped, np.array([[4.0, 5.0], [2.0, 3.0], [0.0, 1.0]]).reshape(3, 2, 1),
            hint=hint)
check_close("flip_time(flip_time(a))", flip_time(flipped), a)
assert np.array_equal(a.ravel(), np.arange(6.0)), "flip_time must not modify its input"
check_shape("flip_time of a (5, 1, 4) array", flip_time(np.zeros((5, 1, 4))), (5, 1, 4))
''')

# -- Part 2 ---------------------------------------------------------------------------

nb.instructions("forward_text", r"""
## Part 2: the forward pass of the block

The backward net needs no code of its own: its recursion is the ordinary one run on the
input in reverse order. Run `rnn_forward` on the flipped input (starting from `h0_b`);
the result is the backward net's states in *flipped* time, $\mathbf{h}_b[T-1], \dots,
\mathbf{h}_b[0]$; flip it back and concatenate it with the forward net's states along
the last axis.

Write `brnn_forward(x, params, h0_f, h0_b)`. It returns `h` `(T, B, 2H)` and a `cache`
with whatever your backward pass will need (your choice).
""")

nb.solution("forward_code", '''
def brnn_forward(x, params, h0_f, h0_b):
    """Bidirectional block.

    x: (T, B, D); params: W_fc1, W_bc1 (H, D), W_fr1, W_br1 (H, H), b_f1, b_b1 (H,);
    h0_f, h0_b: (B, H)  ->  h: (T, B, 2H) = [h_f[t]; h_b[t]], cache
    """
    ### BEGIN SOLUTION
    h_f = rnn_forward(x, h0_f, params["W_fc1"], params["W_fr1"], params["b_f1"])
    x_rev = flip_time(x)
    h_b_rev = rnn_forward(x_rev, h0_b, params["W_bc1"], params["W_br1"], params["b_b1"])
    h = np.concatenate([h_f, flip_time(h_b_rev)], axis=-1)
    cache = {"x": x, "x_rev": x_rev, "params": params, "h0_f": h0_f, "h0_b": h0_b,
             "h_f": h_f, "h_b_rev": h_b_rev}
    return h, cache
    ### END SOLUTION
''')

nb.readonly("forward_helpers", '''
def _scalar_block():
    """D = H = 1: W_fc1 = 1, W_fr1 = 0.5, b_f1 = 0; W_bc1 = 2, W_br1 = -0.5, b_b1 = 0.1."""
    return {k: np.array(v, dtype=float) for k, v in {
        "W_fc1": [[1.0]], "W_fr1": [[0.5]], "b_f1": [0.0],
        "W_bc1": [[2.0]], "W_br1": [[-0.5]], "b_b1": [0.1]}.items()}


def _block_case(T=4, B=2, D=3, H=2, seed=4):
    """Keyword arguments for _blk_fwd: x, both initial states and every parameter."""
    r = np.random.default_rng(seed)
    case = {"x": r.standard_normal((T, B, D)),
            "h0_f": 0.5 * r.standard_normal((B, H)), "h0_b": 0.5 * r.standard_normal((B, H))}
    for d in "fb":
        case[f"W_{d}c1"] = r.standard_normal((H, D)) / np.sqrt(D)
        case[f"W_{d}r1"] = r.standard_normal((H, H)) / np.sqrt(H)
        case[f"b_{d}1"] = 0.1 * r.standard_normal(H)
    return case


def _blk_fwd(x, h0_f, h0_b, **params):
    return brnn_forward(x, params, h0_f, h0_b)


def _blk_bwd(dh, cache):
    return brnn_backward(dh, cache)
''')

nb.tests("brnn_forward", 2, '''
# By hand: D = H = 1, T = 3, one sequence, x = [1, 0, -1], h0_f = 0, h0_b = 0.2.
x = np.array([1.0, 0.0, -1.0]).reshape(3, 1, 1)
# forward net, t = 0, 1, 2:  h_f[t] = tanh(1 x[t] + 0.5 h_f[t-1])
f0 = np.tanh(1.0)
f1 = np.tanh(0.0 + 0.5 * f0)
f2 = np.tanh(-1.0 + 0.5 * f1)
# backward net, t = 2, 1, 0:  h_b[t] = tanh(2 x[t] - 0.5 h_b[t+1] + 0.1), h_b[3] = h0_b = 0.2
g2 = np.tanh(-2.0 - 0.5 * 0.2 + 0.1)
g1 = np.tanh(0.0 - 0.5 * g2 + 0.1)
g0 = np.tanh(2.0 - 0.5 * g1 + 0.1)
h, _ = brnn_forward(x, _scalar_block(), np.zeros((1, 1)), np.array([[0.2]]))
check_shape("h", h, (3, 1, 2))
check_close("h[..., :H] (the forward net)", h[..., :1], np.reshape([f0, f1, f2], (3, 1, 1)),
            hint="the first H columns are the forward net, run on x as it is, from h0_f")
hint = ("the last H columns are the backward net: it reads x from the end, starting from h0_b, "
        "so run rnn_forward on flip_time(x) and flip its states back")
if np.allclose(h[::-1, :, 1:], np.reshape([g0, g1, g2], (3, 1, 1))):
    hint = "your backward-net states come out in reversed order: flip them back to straight time"
elif np.allclose(h[..., 1:], rnn_forward(x, np.array([[0.2]]), np.array([[2.0]]), np.array([[-0.5]]),
                                         np.array([0.1]))):
    hint = ("your backward net read x from the start: it must run on the input reversed in time, "
            "x[T-1] first; check that flip_time reverses axis 0")
check_close("h[..., H:] (the backward net)", h[..., 1:], np.reshape([g0, g1, g2], (3, 1, 1)), hint=hint)

# Who sees what: change x[3] of sequence 0 only (T = 6, B = 2, H = 2).
case = _block_case(T=6)
h, _ = _blk_fwd(**case)
check_shape("h", h, (6, 2, 4))
case["x"][3, 0] += 1.0
h2, _ = _blk_fwd(**case)
f_changed = ~np.isclose(h2[..., :2], h[..., :2]).all(axis=-1)    # (T, B)
b_changed = ~np.isclose(h2[..., 2:], h[..., 2:]).all(axis=-1)
assert not f_changed[:, 1].any() and not b_changed[:, 1].any(), \\
    "changing sequence 0 changed the states of sequence 1: flip time (axis 0), never the batch (axis 1)"
assert list(f_changed[:, 0]) == [False, False, False, True, True, True], \\
    f"h_f[t] must change exactly for t >= 3 when x[3] changes; it changed at t = {list(np.flatnonzero(f_changed[:, 0]))}"
assert list(b_changed[:, 0]) == [True, True, True, True, False, False], \\
    (f"h_b[t] has seen x[t], ..., x[T-1], so it must change exactly for t <= 3 when x[3] changes; it changed at "
     f"t = {list(np.flatnonzero(b_changed[:, 0]))}. Did you flip time (axis 0) both before and after the backward net?")
''')

# -- Parts 3-5 ------------------------------------------------------------------------

nb.instructions("backward_text", r"""
## Parts 3-5: backpropagation through the block

You receive `dh` `(T, B, 2H)`, the gradient of the divergence with respect to the block
output $\mathbf{h}[t]$. Three steps:

1. **Split.** The first $H$ components of $\partial\,\mathrm{DIV}/\partial\mathbf{h}[t]$ are
   $\partial\,\mathrm{DIV}/\partial\mathbf{h}_f[t]$, the last $H$ are
   $\partial\,\mathrm{DIV}/\partial\mathbf{h}_b[t]$.
2. **Backpropagate each net.** The forward net is an ordinary RNN: `rnn_bptt` does it.
   The backward net was run by `rnn_forward` on the *flipped* input, so for `rnn_bptt` it
   is an ordinary RNN in flipped time: give it its states, its input and its output
   gradient all in flipped time. (Backpropagating the backward net goes *forward* in
   straight time, from $t = 0$ up to $T-1$; flipping lets `rnn_bptt` do that for you.)
3. **Combine.** Each net's weights get only that net's gradients. The input
   $\mathbf{x}[t]$ feeds both nets, so its gradient has two parts (book eq.
   `eq-brnn-dx`):

$$
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{x}[t]} =
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{x}[t]}\Big|_{\text{forward net}} +
\frac{\partial\,\mathrm{DIV}}{\partial\mathbf{x}[t]}\Big|_{\text{backward net}},
$$

   where the backward net's part comes out of `rnn_bptt` in flipped time.

Write `brnn_backward(dh, cache)`. It returns a dict with the gradients `"W_fc1"`,
`"W_fr1"`, `"b_f1"`, `"h0_f"` (forward net), `"W_bc1"`, `"W_br1"`, `"b_b1"`, `"h0_b"`
(backward net) and `"x"` `(T, B, D)`, each with the shape of the array it belongs to.
""")

nb.solution("backward_code", '''
def brnn_backward(dh, cache):
    """Backward pass of brnn_forward. dh: (T, B, 2H) -> dict of gradients (see above)."""
    ### BEGIN SOLUTION
    p = cache["params"]
    H = cache["h_f"].shape[-1]
    dh_f, dh_b = dh[..., :H], dh[..., H:]
    g_f = rnn_bptt(dh_f, cache["h_f"], cache["h0_f"], cache["x"], p["W_fc1"], p["W_fr1"])
    g_b = rnn_bptt(flip_time(dh_b), cache["h_b_rev"], cache["h0_b"], cache["x_rev"],
                   p["W_bc1"], p["W_br1"])
    return {"W_fc1": g_f["W_c"], "W_fr1": g_f["W_r"], "b_f1": g_f["b"], "h0_f": g_f["h0"],
            "W_bc1": g_b["W_c"], "W_br1": g_b["W_r"], "b_b1": g_b["b"], "h0_b": g_b["h0"],
            "x": g_f["x"] + flip_time(g_b["x"])}
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
def _dout(case, half=None):
    """A random gradient for the block output; half = "f" or "b" keeps only that net's half."""
    T, B = case["x"].shape[:2]
    H = case["W_fr1"].shape[0]
    dout = np.random.default_rng(9).standard_normal((T, B, 2 * H))
    if half == "f":
        dout[..., H:] = 0.0
    elif half == "b":
        dout[..., :H] = 0.0
    return dout


def _blk_grad(wrt, half=None, **shape):
    """(relative error, yours, numerical) for one gradient of your brnn_backward."""
    case = _block_case(**shape)
    return gradient_error(_blk_fwd, _blk_bwd, case, wrt, dout=_dout(case, half))


def _blk_err(keys, half=None, **shape):
    return max(_blk_grad(key, half, **shape)[0] for key in keys)
''')

nb.tests("brnn_backward_forward_net", 2, '''
keys = ("W_fc1", "W_fr1", "b_f1", "h0_f")
hint = None
bad = first_failure([("one step", lambda: _blk_err(keys, T=1)),
                     ("several steps", lambda: _blk_err(keys, T=4))])
if bad is not None:
    hint = ("the forward net is an ordinary RNN: give rnn_bptt the first H columns of dh, dh[..., :H], "
            "with the forward net's own states, input and initial state")
for key in keys:
    check_gradient(f"d{key}", _blk_fwd, _blk_bwd, _block_case(), key, dout=_dout(_block_case()), hint=hint)
''')

nb.tests("brnn_backward_backward_net", 3, '''
keys = ("W_bc1", "W_br1", "b_b1", "h0_b")
hint = None
bad = first_failure([
    ("one step", lambda: _blk_err(keys, T=1)),
    ("several steps: b_b1, W_br1, h0_b", lambda: _blk_err(("b_b1", "W_br1", "h0_b"), T=4)),
    ("several steps: W_bc1", lambda: _blk_err(("W_bc1",), T=4)),
])
if bad == "one step":
    hint = ("wrong even for T = 1, where flipping changes nothing: the backward net receives the last "
            "H columns of dh, dh[..., H:], and uses its own weights and initial state h0_b")
elif bad == "several steps: b_b1, W_br1, h0_b":
    hint = ("right for T = 1 but not for longer sequences: the backward net ran in flipped time, so its "
            "output gradient must be flipped too before rnn_bptt (states, input and output gradient all "
            "in the same, flipped, order)")
elif bad == "several steps: W_bc1":
    hint = ("only W_bc1 is wrong: rnn_bptt pairs each step's dz with the input the net read at that step, "
            "and the backward net read the flipped input")
for key in keys:
    check_gradient(f"d{key}", _blk_fwd, _blk_bwd, _block_case(), key, dout=_dout(_block_case()), hint=hint)
''')

nb.tests("brnn_backward_x", 2, '''
hint = None
err_f, _, _ = _blk_grad("x", "f")
err_b, mine_b, num_b = _blk_grad("x", "b")
if err_f > 1e-6:
    hint = ("with only the forward half of dh non-zero, dx should be the forward net's input gradient "
            "alone, and it is not: check that each net receives only its own half of dh, and Part 3")
elif err_b > 1e-6:
    if np.allclose(mine_b, 0.0):
        hint = ("with only the backward half of dh non-zero, your dx is zero: x feeds both nets, so add the "
                "backward net's input gradient to the forward net's")
    elif rel_error(mine_b, num_b[::-1]) < 1e-6:
        hint = ("the backward net's input gradient comes out of rnn_bptt in flipped time: flip it back "
                "before you add it")
    else:
        hint = "with only the backward half of dh non-zero, dx is the backward net's input gradient alone, and it is wrong"
check_gradient("dx", _blk_fwd, _blk_bwd, _block_case(), "x", dout=_dout(_block_case()), hint=hint)
''')

# -- Part 6 ---------------------------------------------------------------------------

nb.instructions("written_text", r"""
## Part 6: in your own words

Two teams want to use your block. Team A tags every word of finished sentences with its
part of speech (noun, verb, ...). Team B trains a network on ten years of daily prices
to decide each evening which stocks to buy the next morning, and reports excellent
results on held-out years. For which team is a bidirectional block appropriate? What is
wrong with the other team's setup, and how would it show once the system runs live? Two
to four sentences.
""")

nb.written_answer("written_when", 1, r"""
The block suits Team A: a finished sentence is available as a whole, and the tag of a
word often depends on the words after it, which only the backward net $\mathbf{h}_b[t]$ can
see. Team B cannot use it: to decide on day $t$, the backward net needs
$\mathbf{x}[t+1], \dots, \mathbf{x}[T-1]$, the future prices. On historical data those are in
the file, so the network silently uses tomorrow's prices and the back-test looks
excellent; run live, the future inputs do not exist yet, the block cannot be evaluated
(or must be fed placeholders), and the performance collapses. A causal (one-directional)
network is required.
""")

path = nb.write()
print("wrote", path)
