"""How solutions/ex09_vanishing/ex09_vanishing.ipynb was written (see build_ex02_tdnn.py).

Run from the repository root to regenerate the notebook:
.venv/bin/python autograder/examples/build_ex09_vanishing.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex09_vanishing")

nb.instructions("intro", r"""
# Exercise 9: vanishing gradients and clipping

*Chapter 9 of the book, "Vanishing and exploding gradients".*

A tanh RNN updates its state with

$$
\mathbf{h}[t] = \tanh\big(\mathbf{W}_c\,\mathbf{x}[t] + \mathbf{W}_r\,\mathbf{h}[t-1] + \mathbf{b}\big).
$$

When the divergence depends on a late state, its gradient reaches an early state only by
passing back through every step in between, and each step multiplies it by a Jacobian
matrix. In this exercise you compute those Jacobians, push a gradient back through time
with them, watch its norm shrink or grow with the lag, and write the two standard ways
of clipping gradients.

**Learning goals.** After this exercise you can

* write the Jacobian $\partial\mathbf{h}[t]/\partial\mathbf{h}[t-1]$ of one step of a tanh RNN;
* backpropagate a gradient from the last state to every earlier state and explain why
  it is a product of Jacobians;
* relate the spectral radius of $\mathbf{W}_r$ to vanishing and exploding gradients, and
  measure the effect;
* implement clipping by value and clipping by global norm, and say which one keeps the
  direction of the update and what neither can repair.

Expect to spend one to two hours.

**Shapes.** Sequences are time-major: `x` is `(T, B, D)` (steps, batch, features) and the
states `h` are `(T, B, H)`, with `h[t]` the state after step `t`. Weights are
`(out_features, in_features)`: `W_c` is `(H, D)`, `W_r` is `(H, H)`, `b` is `(H,)`. With a
batch of row vectors, $\mathbf{W}\mathbf{x}$ is `x @ W.T` in code.

| part | what | points |
|---|---|---|
| 1 | `step_jacobian`: the Jacobian of one step | 2 |
| 2 | `backprop_to_past`: the gradient at every earlier state | 3 |
| 3 | `scale_to_radius`: set the spectral radius of $\mathbf{W}_r$ | 1 |
| 4 | an experiment: gradient norm against lag (nothing to hand in) | 0 |
| 5 | `global_norm` | 1 |
| 6 | `clip_by_value` | 1 |
| 7 | `clip_by_global_norm` | 2 |
| 8 | a short written answer | 1 |

**How the tests work.** Each part has a cell of visible tests: run it after writing your
code. When a test fails, its message says by how much, where the first wrong number is,
and often a hint found by trying simpler cases first (one step, tiny states, ...). The
grader also runs hidden tests on inputs you have not seen, of other shapes (including
`T = 1` and `B = 1`). Only numpy is allowed.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import check_shape, check_close, rel_error, first_failure

rng = np.random.default_rng(0)


def rnn_step(x_t, h_prev, W_c, W_r, b):
    """One step of the tanh RNN (given).

    x_t: (B, D), h_prev: (B, H), W_c: (H, D), W_r: (H, H), b: (H,)  ->  h: (B, H)
    """
    return np.tanh(x_t @ W_c.T + h_prev @ W_r.T + b)


def rnn_forward(x, W_c, W_r, b, h_init):
    """Every state of the tanh RNN (given).

    x: (T, B, D), h_init: (B, H)  ->  h: (T, B, H), h[t] = state after step t
    """
    states = []
    state = h_init
    for x_t in x:
        state = rnn_step(x_t, state, W_c, W_r, b)
        states.append(state)
    return np.array(states)
''')

nb.instructions("jacobian_text", r"""
## Part 1: the Jacobian of one step

The state after step $t$ depends on the state before it through $\mathbf{W}_r$ and the
tanh. By the chain rule, with $\tanh'(z) = 1 - \tanh(z)^2$,

$$
\mathbf{J}[t] = \frac{\partial \mathbf{h}[t]}{\partial \mathbf{h}[t-1]}
= \mathrm{diag}\big(1 - \mathbf{h}[t]^2\big)\,\mathbf{W}_r ,
\qquad
J[t]_{ij} = \frac{\partial h_i[t]}{\partial h_j[t-1]} .
$$

Row $i$ belongs to component $i$ of the *new* state $\mathbf{h}[t]$, column $j$ to
component $j$ of the old one. Note that the derivative of tanh only needs the state
$\mathbf{h}[t]$ that the step produced.

Write `step_jacobian(h_t, W_r)`, which returns one Jacobian per sequence of the batch:
`J[b]` is the `(H, H)` matrix $\mathbf{J}[t]$ of sequence `b`. Do not modify the inputs.
""")

nb.solution("jacobian_code", '''
def step_jacobian(h_t, W_r):
    """Jacobian of one tanh RNN step with respect to the previous state.

    h_t: (B, H), the states h[t] produced by the step; W_r: (H, H)
    ->  J: (B, H, H) with J[b, i, j] = d h[t][b, i] / d h[t-1][b, j]
    """
    ### BEGIN SOLUTION
    slope = 1.0 - h_t * h_t                       # tanh'(z) for every unit, (B, H)
    return slope[:, :, None] * W_r[None, :, :]
    ### END SOLUTION
''')

nb.readonly("jacobian_helpers", '''
def _step_case(B=2, D=2, H=3, scale=1.0, seed=3):
    r = np.random.default_rng(seed)
    # scale shrinks the inputs, the bias and the previous state: at scale 1e-4 the new
    # state is tiny too, tanh is linear there and the Jacobian is W_r itself.
    return {"x_t": scale * r.standard_normal((B, D)),
            "h_prev": scale * r.standard_normal((B, H)),
            "W_c": r.standard_normal((H, D)),
            "W_r": r.standard_normal((H, H)),
            "b": scale * r.standard_normal(H)}


def _numeric_jacobian(x_t, h_prev, W_c, W_r, b, eps=1e-6):
    """Central differences of rnn_step with respect to h_prev: (B, H, H)."""
    B, H = h_prev.shape
    J = np.zeros((B, H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = eps
        J[:, :, j] = (rnn_step(x_t, h_prev + e, W_c, W_r, b)
                      - rnn_step(x_t, h_prev - e, W_c, W_r, b)) / (2 * eps)
    return J


def _jacobian_pair(**kw):
    """(yours, numerical) on a random case."""
    case = _step_case(**kw)
    J = step_jacobian(rnn_step(**case), case["W_r"])
    B, H = case["h_prev"].shape
    check_shape("J", J, (B, H, H))
    return J, _numeric_jacobian(**case)
''')

nb.tests("step_jacobian", 2, '''
hint = None
J_tiny, num_tiny = _jacobian_pair(scale=1e-4)
J, num = _jacobian_pair()
if rel_error(J_tiny, num_tiny) > 1e-6:
    if rel_error(J_tiny, num_tiny.transpose(0, 2, 1)) < 1e-6:
        hint = ("your Jacobian is transposed: J[b, i, j] is the derivative of component i of "
                "h[t] (the row) with respect to component j of h[t-1] (the column)")
    else:
        hint = ("wrong even for tiny states, where tanh is linear and J[b] is just W_r for "
                "every sequence b")
elif rel_error(J, num) > 1e-6:
    hint = ("right for tiny states (where tanh' = 1) but not otherwise: row i must be "
            "multiplied by tanh' of component i of the new state h[t]")

# A hand-checkable case: H = 2, one sequence with h[t] = (0.5, 0), so tanh' = (0.75, 1).
W_r = np.array([[1.0, 2.0], [3.0, 4.0]])
h_t = np.array([[0.5, 0.0]])
J_hand = step_jacobian(h_t, W_r)
check_shape("J", J_hand, (1, 2, 2))
check_close("J (hand-checkable case)", J_hand, np.array([[[0.75, 1.5], [3.0, 4.0]]]), hint=hint)
check_close("J (tiny states)", J_tiny, num_tiny, hint=hint)
check_close("J", J, num, hint=hint)
assert np.array_equal(h_t, [[0.5, 0.0]]), "step_jacobian must not modify its inputs"
''')

nb.instructions("past_text", r"""
## Part 2: the gradient at every earlier state

Suppose the divergence depends only on the last state $\mathbf{h}[T-1]$ (a many-to-one
task), and you are given $\nabla_{\mathbf{h}[T-1]}\mathrm{DIV}$. By the chain rule, the
gradient at a state $k$ steps earlier is a product of $k$ Jacobians:

$$
\nabla_{\mathbf{h}[T-1-k]}\mathrm{DIV}
= \Big(\mathbf{J}[T-1]\,\mathbf{J}[T-2]\cdots\mathbf{J}[T-k]\Big)^{\!\top}
\nabla_{\mathbf{h}[T-1]}\mathrm{DIV} .
$$

Computed one step at a time, from the end backwards: the gradient at $\mathbf{h}[t-1]$ is
$\mathbf{J}[t]^\top$ times the gradient at $\mathbf{h}[t]$. In code, where each gradient is a
row vector of a `(B, H)` array, that is the row vector times $\mathbf{J}[t]$ on the right.

Write `backprop_to_past(dh_last, h, W_r)`. It returns `g` of shape `(T, B, H)` with
`g[t]` $= \nabla_{\mathbf{h}[t]}\mathrm{DIV}$, so `g[T-1]` is `dh_last` and `g[T-1-k]` is the
gradient at lag `k`. You may call `step_jacobian`, but you do not need to: forming
`(H, H)` matrices is wasteful when you only need a vector times each of them.
""")

nb.solution("past_code", '''
def backprop_to_past(dh_last, h, W_r):
    """Gradient of a divergence that depends only on h[T-1], at every state.

    dh_last: (B, H), the gradient at h[T-1]; h: (T, B, H), the states from rnn_forward;
    W_r: (H, H)  ->  g: (T, B, H) with g[t] = dDIV/dh[t]
    """
    ### BEGIN SOLUTION
    T = h.shape[0]
    g = np.empty_like(h)
    g[T - 1] = dh_last
    for t in range(T - 1, 0, -1):
        dz = g[t] * (1.0 - h[t] * h[t])          # through the tanh of step t
        g[t - 1] = dz @ W_r
    return g
    ### END SOLUTION
''')

nb.readonly("past_helpers", '''
def _past_case(T=6, B=2, D=2, H=3, scale=1.0, seed=4):
    r = np.random.default_rng(seed)
    # at scale 1e-4 every state is tiny, so every tanh' is 1 up to 1e-8
    return {"x": scale * r.standard_normal((T, B, D)),
            "W_c": r.standard_normal((H, D)),
            "W_r": r.standard_normal((H, H)) / np.sqrt(H),
            "b": scale * r.standard_normal(H),
            "h_init": scale * r.standard_normal((B, H)),
            "dh_last": r.standard_normal((B, H))}


def _numeric_past(x, W_c, W_r, b, h_init, dh_last, eps=1e-6):
    """Central differences of DIV = sum(h[T-1] * dh_last) with respect to every h[t]."""
    h = rnn_forward(x, W_c, W_r, b, h_init)
    T, B, H = h.shape

    def div_from(t, state):          # per-sequence DIV when h[t] is replaced by state
        for u in range(t + 1, T):
            state = rnn_step(x[u], state, W_c, W_r, b)
        return (state * dh_last).sum(axis=1)

    g = np.zeros_like(h)
    for t in range(T):
        for j in range(H):
            e = np.zeros(H)
            e[j] = eps
            g[t, :, j] = (div_from(t, h[t] + e) - div_from(t, h[t] - e)) / (2 * eps)
    return g


def _past_pair(**kw):
    case = _past_case(**kw)
    dh_last = case.pop("dh_last")
    h = rnn_forward(**case)
    g = backprop_to_past(dh_last, h, case["W_r"])
    check_shape("g", g, h.shape)
    return g, _numeric_past(dh_last=dh_last, **case)
''')

nb.tests("backprop_to_past", 3, '''
hint = None
bad = first_failure([
    ("T = 1", lambda: rel_error(*_past_pair(T=1))),
    ("T = 2, tiny states", lambda: rel_error(*_past_pair(T=2, scale=1e-4))),
    ("T = 2", lambda: rel_error(*_past_pair(T=2))),
    ("T = 6", lambda: rel_error(*_past_pair(T=6))),
])
if bad == "T = 1":
    hint = "with T = 1 there is nothing to backpropagate: g[0] is dh_last itself"
elif bad == "T = 2, tiny states":
    hint = ("one step back is wrong even where tanh is linear (tiny states, J[t] = W_r): "
            "with row vectors the gradient at h[t-1] is the gradient at h[t] times J[t] on "
            "the right, which sums over the row index i of W_r. Did you transpose W_r?")
elif bad == "T = 2":
    hint = ("right where tanh is linear but not otherwise: the factor 1 - h**2 of the step "
            "t -> t-1 uses the state h[t] that step produced, not h[t-1]")
elif bad == "T = 6":
    hint = ("one step back is right but several are not: every step multiplies by its own "
            "Jacobian J[t], from t = T-1 down to t = 1")

g, num = _past_pair(T=1)
check_close("g (T = 1)", g, num, hint=hint)
g, num = _past_pair(T=2, scale=1e-4)
check_close("g (T = 2, tiny states)", g, num, hint=hint)
g, num = _past_pair(T=6)
check_close("g[T-1]", g[-1], num[-1], hint=hint)
check_close("g", g, num, hint=hint)
''')

nb.instructions("radius_text", r"""
## Part 3: the spectral radius of $\mathbf{W}_r$

Where tanh is nearly linear (small states), every Jacobian is close to $\mathbf{W}_r$, and
$k$ steps back the gradient has been multiplied by roughly $(\mathbf{W}_r^\top)^k$. Its
size then follows the **spectral radius** $\rho(\mathbf{W}_r) = \max_i |\lambda_i|$, the
largest absolute value of an eigenvalue: below 1 the gradient shrinks geometrically with
the lag, above 1 it can grow geometrically.

Write `scale_to_radius(W, rho)`, which returns a rescaled copy of the square matrix `W`
whose spectral radius is `rho`. Use `np.linalg.eigvals`; remember that a real matrix can
have complex eigenvalues. Do not modify `W`.
""")

nb.solution("radius_code", '''
def scale_to_radius(W, rho):
    """W: (H, H), rho > 0  ->  (H, H), a multiple of W with spectral radius rho."""
    ### BEGIN SOLUTION
    radius = np.abs(np.linalg.eigvals(W)).max()
    return W * (rho / radius)
    ### END SOLUTION
''')

nb.tests("scale_to_radius", 1, '''
W = np.array([[1.0, 4.0], [0.0, 2.0]])         # triangular: eigenvalues 1 and 2
R = np.array([[0.0, -3.0], [3.0, 0.0]])        # 3 x a rotation by 90 degrees: eigenvalues 3i and -3i
hint = None
W1 = scale_to_radius(W, 1.0)
check_shape("scale_to_radius(W, 1.0)", W1, (2, 2))
if np.allclose(W1, W / np.linalg.norm(W, 2)):
    hint = ("you divided by the largest singular value (the spectral norm). The spectral "
            "radius is the largest absolute value of an eigenvalue; the two differ for "
            "non-symmetric matrices")
check_close("scale_to_radius(W, 1.0)", W1, W / 2.0, hint=hint)
check_close("scale_to_radius(W, 3.0)", scale_to_radius(W, 3.0), 1.5 * W, hint=hint)
check_close("scale_to_radius(R, 1.0)", np.real(scale_to_radius(R, 1.0)), R / 3.0,
            hint="the eigenvalues of R are complex (3i and -3i): take their absolute values")
assert np.array_equal(W, [[1.0, 4.0], [0.0, 2.0]]), "scale_to_radius must not modify W"
''')

nb.instructions("lag_text", r"""
## Part 4: gradient norm against lag (run it; nothing to hand in)

The cell below builds one random $\mathbf{W}_r$, rescales it to several spectral radii,
runs the RNN on small random inputs and prints the average norm of
$\nabla_{\mathbf{h}[T-1-k]}\mathrm{DIV}$ at several lags $k$. It uses your `scale_to_radius`
and `backprop_to_past`. Read the table row by row, then change `input_scale` to 1.0 and
run it again: what happens to the large radii when the states saturate? You need these
observations for Part 8.
""")

nb.code('''
T, B, D, H = 60, 8, 3, 16
input_scale = 0.1
r = np.random.default_rng(0)
W0 = r.standard_normal((H, H))
W_c = r.standard_normal((H, D)) / np.sqrt(D)
x = input_scale * r.standard_normal((T, B, D))
dh_last = r.standard_normal((B, H)) / np.sqrt(H)
lags = [0, 5, 10, 20, 40, 59]

print("radius " + "".join(f"   lag {k:<4}" for k in lags) + "  mean |h|")
for rho in (0.5, 0.9, 1.0, 1.5, 3.0):
    W_r = scale_to_radius(W0, rho)
    h = rnn_forward(x, W_c, W_r, np.zeros(H), np.zeros((B, H)))
    g = backprop_to_past(dh_last, h, W_r)
    norms = np.linalg.norm(g, axis=2).mean(axis=1)      # average over the batch
    print(f"{rho:6.1f} " + "".join(f"{norms[T - 1 - k]:10.2e}" for k in lags)
          + f"{np.abs(h).mean():10.2f}")
''')

nb.instructions("clip_text", r"""
## Parts 5-7: clipping

An exploding gradient makes one update so large that training jumps far away from where it
was. Clipping limits the update. Gradients come as a dict of arrays, one per parameter,
e.g. `{"W_c": ..., "W_r": ..., "b": ...}`; think of all the entries together as one long
vector $\mathbf{g}$.

* **Part 5.** `global_norm(grads)` returns $\|\mathbf{g}\|$, the Euclidean norm of all
  entries of all arrays together, as a float.
* **Part 6.** `clip_by_value(grads, c)` clips every entry into $[-c, c]$.
* **Part 7.** `clip_by_global_norm(grads, max_norm)` rescales the whole gradient when it is
  too long. With $c$ = `max_norm`,

$$
\mathbf{g} \leftarrow
\begin{cases}
\mathbf{g} & \text{if } \|\mathbf{g}\| \le c,\\[2pt]
\dfrac{c}{\|\mathbf{g}\|}\,\mathbf{g} & \text{otherwise,}
\end{cases}
$$

  and returns the pair `(clipped, norm)`, where `norm` is $\|\mathbf{g}\|$ *before*
  clipping (worth logging during training).

All three leave their input untouched: the clipping functions return a **new** dict of
new arrays with the same keys.
""")

nb.solution("global_norm_code", '''
def global_norm(grads):
    """grads: dict name -> array (any shapes)  ->  float, the norm of all entries together."""
    ### BEGIN SOLUTION
    total = 0.0
    for g in grads.values():
        total += float(np.sum(g * g))
    return float(np.sqrt(total))
    ### END SOLUTION
''')

nb.tests("global_norm", 1, '''
grads = {"W": np.array([[3.0, 0.0], [0.0, 0.0]]), "b": np.array([4.0])}
value = global_norm(grads)
hint = None
if np.isclose(value, 7.0):
    hint = "you added the norms of the arrays; square the entries of all arrays, add, then take one square root"
check_close("global_norm(grads)", np.array(float(value)), np.array(5.0), hint=hint)
check_close("global_norm (one array)", np.array(float(global_norm({"a": np.full((2, 2), 0.5)}))),
            np.array(1.0))
assert np.array_equal(grads["W"], [[3.0, 0.0], [0.0, 0.0]]), "global_norm must not modify its input"
''')

nb.solution("clip_value_code", '''
def clip_by_value(grads, c):
    """grads: dict name -> array, c > 0  ->  new dict, every entry clipped into [-c, c]."""
    ### BEGIN SOLUTION
    return {name: np.clip(g, -c, c) for name, g in grads.items()}
    ### END SOLUTION
''')

nb.tests("clip_by_value", 1, '''
grads = {"W": np.array([[-3.0, 0.5], [2.0, -0.2]]), "b": np.array([10.0])}
before = {k: v.copy() for k, v in grads.items()}
out = clip_by_value(grads, 1.0)
assert isinstance(out, dict) and sorted(out) == ["W", "b"], \\
    f"clip_by_value should return a dict with the keys of grads, got {out!r}"
for k in before:
    assert np.array_equal(grads[k], before[k]), \\
        f"clip_by_value must not modify its input (grads[{k!r}] changed): return new arrays"
check_close('clip_by_value(grads, 1.0)["W"]', out["W"], np.array([[-1.0, 0.5], [1.0, -0.2]]))
check_close('clip_by_value(grads, 1.0)["b"]', out["b"], np.array([1.0]))
''')

nb.solution("clip_norm_code", '''
def clip_by_global_norm(grads, max_norm):
    """grads: dict name -> array, max_norm > 0  ->  (new dict, norm before clipping).

    If the global norm exceeds max_norm, every array is multiplied by max_norm / norm.
    """
    ### BEGIN SOLUTION
    norm = global_norm(grads)
    factor = max_norm / norm if norm > max_norm else 1.0
    return {name: g * factor for name, g in grads.items()}, norm
    ### END SOLUTION
''')

nb.tests("clip_by_global_norm", 2, '''
g1 = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}   # global norm 5
g2 = {"W": np.array([[0.8]]), "b": np.array([0.6])}        # global norm 1, each array below 0.9
g3 = {"W": np.array([[3.0, 4.0]])}                         # a single array of norm 5
c1, n1 = clip_by_global_norm(g1, 1.0)
c2, n2 = clip_by_global_norm(g2, 0.9)
c3, n3 = clip_by_global_norm(g3, 1.0)
assert isinstance(c1, dict) and sorted(c1) == ["W", "b"], \\
    "clip_by_global_norm should return (a dict with the keys of grads, the norm)"
check_shape('clipped["W"]', c1["W"], (1, 2))
hint = None
if not np.isclose(global_norm(g1), 5.0):
    hint = "global_norm fails its tests (Part 5): fix it first"
elif not np.isclose(c3["W"][0, 0] * 4.0, c3["W"][0, 1] * 3.0):
    hint = ("the clipped gradient must point in the same direction as the original (here "
            "3 : 4): scale all entries by one common factor instead of limiting entries "
            "separately")
elif np.allclose(c2["W"], g2["W"]) and np.allclose(c2["b"], g2["b"]):
    hint = ("each array's own norm is below max_norm = 0.9, but their global norm is 1.0: the "
            "norm is one number taken over all arrays together, and all arrays are scaled by "
            "the same factor")
elif not np.isclose(c1["W"][0, 0] * g1["b"][0], c1["b"][0] * g1["W"][0, 0]):
    hint = ("the clipped gradient must point in the same direction as the original (here "
            "W : b = 3 : 4): scale all arrays by one common factor")
check_close("norm", np.array(float(n1)), np.array(5.0), hint=hint or "return the global norm before clipping")
check_close('clipped["W"]', c1["W"], np.array([[0.6, 0.0]]), hint=hint)
check_close('clipped["b"]', c1["b"], np.array([0.8]), hint=hint)
check_close('clipped["W"] (one array)', c3["W"], np.array([[0.6, 0.8]]), hint=hint)
check_close('clipped["W"] (global norm 1 > 0.9)', c2["W"], np.array([[0.72]]), hint=hint)
c4, n4 = clip_by_global_norm(g1, 10.0)
check_close('clipped["W"] (norm 5 below max_norm 10: unchanged)', c4["W"], g1["W"])
assert np.array_equal(g1["W"], [[3.0, 0.0]]) and np.array_equal(g1["b"], [4.0]), \\
    "clip_by_global_norm must not modify its input: return new arrays"
''')

nb.instructions("written_text", r"""
## Part 8: in your own words

Gradient clipping is often presented as the cure for unstable RNN training. Using the
table of Part 4, explain in three to five sentences: what clipping by global norm does to
an exploding gradient (and why keeping its direction matters), why no clipping can repair
a vanishing gradient, and what would help with the vanishing one instead.
""")

nb.written_answer("written_clipping", 1, """
With radius 3 the gradient at lag 59 is thousands of times larger than at lag 0; an update
of that size would throw the weights far away. Clipping by global norm shrinks the whole
gradient to length max_norm but keeps its direction, so the step is still a descent
direction, only shorter (clipping by value changes the direction). A vanishing gradient
is the opposite problem: with radius 0.5 the lag-40 gradient is about 1e-13 of the last
one, so the contribution of distant steps is already lost in the sum, and rescaling
cannot bring back information that is not there (clipping never makes anything larger).
What helps is changing the path the gradient travels: a recurrence whose Jacobian stays
close to the identity, as in the LSTM's cell state (ds[t]/ds[t-1] = f) or a GRU, a
careful initialization of W_r near radius 1, or skip connections through time.
""")

path = nb.write()
print("wrote", path)
