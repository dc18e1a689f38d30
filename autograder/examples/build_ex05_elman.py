"""How solutions/ex05_elman/ex05_elman.ipynb was written (see build_ex02_tdnn.py for the pattern).

Run from the repository root to regenerate the notebook: .venv/bin/python autograder/examples/build_ex05_elman.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex05_elman")

nb.instructions("intro", r"""
# Exercise 5: Elman's approximation versus the exact gradient

*Chapter 5, "Elman networks and Elman's approximation", in the book.*

An Elman network copies its hidden state into context units and reads it at the next step:

$$
\mathbf{h}[t] = \tanh\big(\mathbf{W}_c\,\mathbf{x}[t] + \mathbf{W}_r\,\mathbf{h}[t-1] + \mathbf{b}\big),
\qquad \mathbf{h}[-1] = \mathbf{h}_{\text{init}},
\qquad
\mathbf{y}[t] = \mathbf{W}_o\,\mathbf{h}[t] + \mathbf{b}_o ,
$$

for $t = 0, \dots, T-1$ (a linear output layer, as in `rnn_ref.elman`).

Elman trained it with an approximation: he treated the context $\mathbf{h}[t-1]$ as a
constant input (book eq. `eq-elman-approx`), so the error of step $t$ stops at the context
unit and never reaches earlier steps. The exact gradient, backpropagation through time,
follows it all the way back. You will implement both, and then measure how much of the
gradient the approximation throws away.

**Learning goals.** After this exercise you can

- implement the Elman forward pass;
- implement Elman's approximation and the exact gradient through time, and say in one
  line of the backward recursion where they differ;
- test an approximate gradient as the exact gradient of another function (one-step
  networks with a frozen context);
- measure the part of the gradient the approximation loses, and explain how it depends on
  the sequence length and on the recurrent weights.

**Shapes.** `x` is `(T, B, D)`, `y` is `(T, B, O)`, `h_init` is `(B, H)`. Weights:
`W_c` `(H, D)`, `W_r` `(H, H)`, `b` `(H,)`, `W_o` `(O, H)`, `b_o` `(O,)`. With a batch of
row vectors, $\mathbf{W}\mathbf{x}$ is `x @ W.T` in code.

| part | what | points |
|---|---|---|
| 1 | `elman_forward` | 2 |
| 2 | `elman_backward`: the output layer, both modes | 1 |
| 3 | `elman_backward`, Elman's approximation: `W_c`, `W_r`, `b` | 2 |
| 4 | `elman_backward`, Elman's approximation: `x`, `h_init` | 1 |
| 5 | `elman_backward`, exact: `W_c`, `W_r`, `b` | 3 |
| 6 | `elman_backward`, exact: `x`, `h_init` | 1 |
| 7 | `approximation_gap`: how much gradient is lost | 1 |
| 8 | an experiment and a short written answer | 1 |

Each programming part has a cell of visible tests: run it after writing your code. When a test fails,
its message says by how much, where the first wrong number is, and often a hint found by
trying simpler cases first (one step, a loss on the last step only, tiny inputs, ...). The
gradient tests compare your backward pass with numerical derivatives of *your own*
forward pass. The grader also runs hidden tests on inputs you have not seen. Only numpy
is allowed. Expect to spend one to three hours.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import check_shape, check_close, check_gradient, gradient_error, first_failure

rng = np.random.default_rng(0)
''')

nb.instructions("forward_text", r"""
## Part 1: the forward pass

Write `elman_forward(x, W_c, W_r, b, W_o, b_o, h_init)`. It returns `y` `(T, B, O)` and a
`cache` (a tuple or a dict, your choice) with whatever your backward pass will need. Each
step needs the hidden state of the step before, so loop over the steps; the input part
$\mathbf{W}_c\,\mathbf{x}[t] + \mathbf{b}$ and the output layer can be computed for all
steps at once. Do not modify the arguments.
""")

nb.solution("forward_code", '''
def elman_forward(x, W_c, W_r, b, W_o, b_o, h_init):
    """Elman network: tanh hidden layer with context h[t-1], linear output layer.

    x: (T, B, D), W_c: (H, D), W_r: (H, H), b: (H,), W_o: (O, H), b_o: (O,),
    h_init: (B, H)  ->  y: (T, B, O), cache
    """
    ### BEGIN SOLUTION
    T, B, _ = x.shape
    hidden = np.zeros((T, B, len(b)))
    from_input = x @ W_c.T + b
    context = h_init
    for t in range(T):
        hidden[t] = np.tanh(from_input[t] + context @ W_r.T)
        context = hidden[t]
    y = hidden @ W_o.T + b_o
    cache = {"x": x, "h": hidden, "h_init": h_init, "W_c": W_c, "W_r": W_r, "W_o": W_o}
    return y, cache
    ### END SOLUTION
''')

nb.tests("elman_forward", 2, '''
# One input, one hidden unit, one output: W_c = 1, W_r = 0.5, b = 0, W_o = 2, b_o = 0.1.
one = dict(W_c=np.ones((1, 1)), W_r=np.full((1, 1), 0.5), b=np.zeros(1),
           W_o=np.full((1, 1), 2.0), b_o=np.full(1, 0.1))
y, _ = elman_forward(np.array([1.0, 0.0, -1.0]).reshape(3, 1, 1), h_init=np.full((1, 1), 0.4), **one)
check_shape("y", y, (3, 1, 1))
h0 = np.tanh(1.0 + 0.5 * 0.4)          # h[-1] = h_init = 0.4
h1 = np.tanh(0.0 + 0.5 * h0)
h2 = np.tanh(-1.0 + 0.5 * h1)
check_close("y", y, (2.0 * np.array([h0, h1, h2]) + 0.1).reshape(3, 1, 1),
            hint="h[t] = tanh(W_c x[t] + W_r h[t-1] + b) with h[-1] = h_init, and the output is "
                 "linear: y[t] = W_o h[t] + b_o")

# General shapes. With W_r = 0 there is no memory: the steps can be run one at a time.
T, B, D, H, O = 6, 3, 2, 4, 2
W = dict(W_c=rng.standard_normal((H, D)), b=rng.standard_normal(H),
         W_o=rng.standard_normal((O, H)), b_o=rng.standard_normal(O))
x = rng.standard_normal((T, B, D))
h_init = rng.standard_normal((B, H))
y, _ = elman_forward(x, W_r=np.zeros((H, H)), h_init=h_init, **W)
check_shape("y", y, (T, B, O))
steps = [elman_forward(x[t:t + 1], W_r=np.zeros((H, H)), h_init=h_init, **W)[0] for t in range(T)]
check_close("y (W_r = 0)", y, np.concatenate(steps), hint="with W_r = 0 each step depends on its own input only")

# With recurrent weights, a pulse at t = 0 still changes the last output.
W_r = rng.standard_normal((H, H)) / np.sqrt(H)
pulse = np.zeros((T, B, D))
pulse[0] = 1.0
y_pulse, _ = elman_forward(pulse, W_r=W_r, h_init=np.zeros((B, H)), **W)
y_zero, _ = elman_forward(np.zeros((T, B, D)), W_r=W_r, h_init=np.zeros((B, H)), **W)
assert np.abs(y_pulse[-1] - y_zero[-1]).max() > 1e-8, \\
    "a pulse at t = 0 must still reach y[T-1] through the chain of hidden states"
''')

nb.instructions("backward_text", r"""
## Parts 2 to 6: the backward pass

Write `elman_backward(dy, cache, mode="exact")`. Its argument `dy` `(T, B, O)` holds
$\nabla_{\mathbf{y}[t]}\mathrm{DIV}$. Return a dict with the gradients `"W_c"`, `"W_r"`,
`"b"`, `"W_o"`, `"b_o"`, `"x"` `(T, B, D)` and `"h_init"` `(B, H)`.

Write $\mathbf{z}[t]$ for the argument of $\tanh$ and
$\boldsymbol{\delta}[t] = \nabla_{\mathbf{z}[t]}\mathrm{DIV}$. The output layer is linear
and its output is not fed back, so
$\nabla_{\mathbf{W}_o}\mathrm{DIV} = \sum_t \texttt{dy}[t]\,\mathbf{h}[t]^\top$ in both modes.
Go through the steps backwards, from $t = T-1$ down to $0$:

$$
\boldsymbol{\delta}[t] = \big(1 - \mathbf{h}[t]^2\big) \odot
\Big(\mathbf{W}_o^\top\,\texttt{dy}[t] + \mathbf{r}[t]\Big),
$$

where $\mathbf{r}[t]$ is the gradient that reaches $\mathbf{h}[t]$ from step $t+1$, which
reads $\mathbf{h}[t]$ as its context:

* **`mode="exact"`** (backpropagation through time): $\mathbf{r}[t] = \mathbf{W}_r^\top\boldsymbol{\delta}[t+1]$,
  and $\mathbf{r}[T-1] = \mathbf{0}$.
* **`mode="blocked"`** (Elman's approximation): the context is a constant input, so
  $\mathbf{r}[t] = \mathbf{0}$ for every $t$.

Then every weight gradient adds up the contributions of all steps and sequences:
$\nabla_{\mathbf{W}_c}\mathrm{DIV} = \sum_t \boldsymbol{\delta}[t]\,\mathbf{x}[t]^\top$,
$\nabla_{\mathbf{W}_r}\mathrm{DIV} = \sum_t \boldsymbol{\delta}[t]\,\mathbf{h}[t-1]^\top$
(with $\mathbf{h}[-1] = \mathbf{h}_{\text{init}}$), and so on. The input gradient is
$\nabla_{\mathbf{x}[t]}\mathrm{DIV} = \mathbf{W}_c^\top\boldsymbol{\delta}[t]$, and
$\mathbf{h}_{\text{init}}$, the context of step 0, gets $\mathbf{W}_r^\top\boldsymbol{\delta}[0]$
(in blocked mode this is only the direct term of step 0, because $\boldsymbol{\delta}[0]$
contains nothing from later steps).

The blocked gradient is not the derivative of your forward pass, so the tests check it
against the exact gradient of another function: $T$ separate one-step networks whose
contexts are frozen at the hidden states of the forward pass (built from your
`elman_forward`).
""")

nb.solution("backward_code", '''
def elman_backward(dy, cache, mode="exact"):
    """Backward pass of elman_forward; mode is "exact" or "blocked" (Elman's approximation).

    dy: (T, B, O)  ->  {"W_c": (H, D), "W_r": (H, H), "b": (H,), "W_o": (O, H), "b_o": (O,),
                        "x": (T, B, D), "h_init": (B, H)}
    """
    ### BEGIN SOLUTION
    x, h, W_c, W_r, W_o = cache["x"], cache["h"], cache["W_c"], cache["W_r"], cache["W_o"]
    context = np.concatenate([cache["h_init"][None], h[:-1]])    # h[t-1] for every t
    dh_out = dy @ W_o                       # what each h[t] gets from its own output
    dz = np.zeros_like(h)
    from_next = np.zeros_like(h[0])         # what h[t] gets from step t+1
    for t in range(len(x) - 1, -1, -1):
        dz[t] = (dh_out[t] + from_next) * (1.0 - h[t] ** 2)
        if mode == "exact":
            from_next = dz[t] @ W_r
    return {"W_c": np.einsum("tbh,tbd->hd", dz, x),
            "W_r": np.einsum("tbh,tbk->hk", dz, context),
            "b": dz.sum(axis=(0, 1)),
            "W_o": np.einsum("tbo,tbh->oh", dy, h), "b_o": dy.sum(axis=(0, 1)),
            "x": dz @ W_c, "h_init": dz[0] @ W_r}
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
RECURRENT = ("W_c", "W_r", "b")


def _case(T=4, B=2, D=2, H=3, O=2, rho=0.9, scale=1.0, seed=1):
    """Random inputs for elman_forward; W_r has spectral radius rho. scale shrinks everything
    that is not a weight: at scale 1e-4 tanh is linear to about 1e-8."""
    r = np.random.default_rng(seed)
    W_r = r.standard_normal((H, H))
    return {"x": scale * r.standard_normal((T, B, D)),
            "W_c": r.standard_normal((H, D)) / np.sqrt(D),
            "W_r": rho * W_r / np.max(np.abs(np.linalg.eigvals(W_r))),
            "b": 0.1 * scale * r.standard_normal(H),
            "W_o": r.standard_normal((O, H)) / np.sqrt(H),
            "b_o": 0.1 * scale * r.standard_normal(O),
            "h_init": scale * r.standard_normal((B, H))}


def _hidden_states(case):
    """h[0..T-1] from your elman_forward: with W_o = I and b_o = 0 the output is h itself."""
    H = len(case["b"])
    return elman_forward(case["x"], case["W_c"], case["W_r"], case["b"], np.eye(H), np.zeros(H),
                         case["h_init"])[0]


def _frozen(case):
    """A forward function for Elman's approximation: T one-step networks whose contexts are
    frozen at the hidden states of the forward pass (step 0 reads h_init). At the given
    inputs it returns the same outputs as elman_forward, with elman_forward's cache."""
    frozen = _hidden_states(case)
    def forward(x, W_c, W_r, b, W_o, b_o, h_init):
        _, cache = elman_forward(x, W_c, W_r, b, W_o, b_o, h_init)
        steps = [elman_forward(x[t:t + 1], W_c, W_r, b, W_o, b_o, h_init if t == 0 else frozen[t - 1])[0]
                 for t in range(len(x))]
        return np.concatenate(steps), cache
    return forward


def _err(wrt, mode, last_only=False, **shape):
    """Relative error of one of your gradients in the given mode.
    last_only: the loss scores the output of the last step only."""
    case = _case(**shape)
    T, B, _ = case["x"].shape
    dout = np.random.default_rng(7).standard_normal((T, B, case["W_o"].shape[0]))
    if last_only:
        dout[:-1] = 0.0
    forward = elman_forward if mode == "exact" else _frozen(case)
    return gradient_error(forward, lambda d, c: elman_backward(d, c, mode=mode), case, wrt, dout=dout)[0]


def _worst(keys, mode, **kw):
    return max(_err(key, mode, **kw) for key in keys)


def _check(name, mode, wrt, hint, **shape):
    case = _case(**shape)
    forward = elman_forward if mode == "exact" else _frozen(case)
    check_gradient(f"{name} ({mode})", forward, lambda d, c: elman_backward(d, c, mode=mode),
                   case, wrt, hint=hint)


def _first_step_hint(bad):
    """Hints for the probes that every backward test starts with."""
    if bad == "one step, tiny inputs":
        return ("even one step with tiny inputs is wrong: dW_c pairs delta with x, db sums delta over "
                "steps and sequences, dx[t] is W_c^T delta[t]")
    if bad == "dW_r, one step, tiny inputs":
        return ("dW_c is right but dW_r is not: W_r multiplies the context h[t-1] (h_init at t = 0), "
                "so pair delta[t] with the context h[t-1], not with h[t]")
    if bad == "one step":
        return ("right when tanh is nearly linear (tiny inputs) but wrong otherwise: did you multiply "
                "by the derivative of tanh, 1 - h**2?")
    return None


BLOCKED_HINT = ("with only the last output scored, nothing before the last step may change under "
                "Elman's approximation: the context h[t-1] is a constant input, so the error of step t "
                "must stop at the context unit")
EXACT_HINT = ("right for one step but not when only the last output is scored: h[t-1] was computed "
              "with the same weights, so the error of step t flows back through the context into "
              "h[t-1] and on to every earlier step. Did you pass the gradient back through W_r?")
''')

nb.tests("output_layer", 1, '''
hint = None
bad = first_failure([
    ("one step", lambda: _worst(("W_o", "b_o"), "exact", T=1)),
    ("several steps", lambda: _worst(("W_o", "b_o"), "exact")),
])
if bad == "one step":
    hint = "the output layer is linear: dW_o pairs dy[t] with h[t], db_o sums dy"
elif bad == "several steps":
    hint = "right for one step but not for several: W_o and b_o are shared, so sum over every step"
case = _case()
check_gradient("dW_o (exact)", elman_forward, elman_backward, case, "W_o", hint=hint)
check_gradient("db_o (exact)", elman_forward, elman_backward, case, "b_o", hint=hint)
y, cache = elman_forward(**case)
dy = np.random.default_rng(3).standard_normal(y.shape)
exact, approx = elman_backward(dy, cache, mode="exact"), elman_backward(dy, cache, mode="blocked")
for key in ("W_o", "b_o"):
    check_close(f"d{key} (blocked)", approx[key], exact[key],
                hint="the output is not fed back, so Elman's approximation does not change the output layer")
''')

nb.tests("approx_weights", 2, '''
bad = first_failure([
    ("one step, tiny inputs", lambda: _worst(("W_c", "b"), "blocked", T=1, scale=1e-4)),
    ("dW_r, one step, tiny inputs", lambda: _err("W_r", "blocked", T=1, scale=1e-4)),
    ("one step", lambda: _worst(RECURRENT, "blocked", T=1)),
    ("loss on the last step only", lambda: _worst(RECURRENT, "blocked", last_only=True)),
    ("every step scored", lambda: _worst(RECURRENT, "blocked")),
])
hint = _first_step_hint(bad)
if bad == "loss on the last step only":
    hint = BLOCKED_HINT
elif bad == "every step scored":
    hint = "right for a loss on one step but not on all: the weights are shared, so sum over every step"
for key in RECURRENT:
    _check(f"d{key}", "blocked", key, hint)
''')

nb.tests("approx_inputs", 1, '''
bad = first_failure([
    ("one step, tiny inputs", lambda: _err("x", "blocked", T=1, scale=1e-4)),
    ("one step", lambda: _err("x", "blocked", T=1)),
    ("dx, loss on the last step only", lambda: _err("x", "blocked", last_only=True)),
    ("dh_init, one step", lambda: _err("h_init", "blocked", T=1)),
    ("dh_init, several steps", lambda: _err("h_init", "blocked")),
])
hint = _first_step_hint(bad)
if bad in ("dx, loss on the last step only", "dh_init, several steps"):
    hint = BLOCKED_HINT + "; h_init gets only the direct term of step 0"
elif bad == "dh_init, one step":
    hint = "h_init is the context of step 0: it enters z[0] through W_r, like any other input"
_check("dx", "blocked", "x", hint)
_check("dh_init", "blocked", "h_init", hint)
''')

nb.tests("exact_weights", 3, '''
bad = first_failure([
    ("one step, tiny inputs", lambda: _worst(("W_c", "b"), "exact", T=1, scale=1e-4)),
    ("dW_r, one step, tiny inputs", lambda: _err("W_r", "exact", T=1, scale=1e-4)),
    ("one step", lambda: _worst(RECURRENT, "exact", T=1)),
    ("loss on the last step only", lambda: _worst(RECURRENT, "exact", last_only=True)),
    ("every step scored", lambda: _worst(RECURRENT, "exact")),
])
hint = _first_step_hint(bad)
if bad == "loss on the last step only":
    hint = EXACT_HINT
elif bad == "every step scored":
    hint = ("right for a loss on one step but not on all: h[t] gets the gradient of its own output "
            "plus what comes back from step t+1")
for key in RECURRENT:
    _check(f"d{key}", "exact", key, hint, rho=1.2)
''')

nb.tests("exact_inputs", 1, '''
bad = first_failure([
    ("one step, tiny inputs", lambda: _err("x", "exact", T=1, scale=1e-4)),
    ("one step", lambda: _err("x", "exact", T=1)),
    ("dx, loss on the last step only", lambda: _err("x", "exact", last_only=True)),
    ("dh_init, one step", lambda: _err("h_init", "exact", T=1)),
    ("dh_init, several steps", lambda: _err("h_init", "exact")),
])
hint = _first_step_hint(bad)
if bad == "dx, loss on the last step only":
    hint = EXACT_HINT
elif bad == "dh_init, one step":
    hint = "h_init is the context of step 0: it enters z[0] through W_r, like any other input"
elif bad == "dh_init, several steps":
    hint = "h_init reaches every later step through the chain of contexts: use the full delta[0]"
_check("dx", "exact", "x", hint, rho=1.2)
_check("dh_init", "exact", "h_init", hint, rho=1.2)
''')

nb.instructions("gap_text", r"""
## Part 7: how much gradient does the approximation lose?

Write `approximation_gap(x, W_c, W_r, b, W_o, b_o, h_init, dy)`. It runs your forward
pass, computes both gradients for the upstream gradient `dy` `(T, B, O)`, and returns a
dict with one float per recurrent-layer parameter, for the keys `"W_c"`, `"W_r"` and `"b"`:
the **relative error** of the approximation,

$$
\frac{\lVert \mathbf{g}_{\text{blocked}} - \mathbf{g}_{\text{exact}} \rVert}{\lVert \mathbf{g}_{\text{exact}} \rVert},
$$

with $\lVert\cdot\rVert$ the Euclidean norm of all entries (`np.linalg.norm`). A value of 0
means nothing is lost; a value of 1 means the error is as large as the gradient itself.
(The output layer is left out: its gap is always 0.)
""")

nb.solution("gap_code", '''
def approximation_gap(x, W_c, W_r, b, W_o, b_o, h_init, dy):
    """Relative error of Elman's approximation. Arguments as for elman_forward, plus
    dy: (T, B, O)  ->  {"W_c": float, "W_r": float, "b": float}
    """
    ### BEGIN SOLUTION
    cache = elman_forward(x, W_c, W_r, b, W_o, b_o, h_init)[1]
    exact = elman_backward(dy, cache, mode="exact")
    approx = elman_backward(dy, cache, mode="blocked")
    return {key: float(np.linalg.norm(approx[key] - exact[key]) / np.linalg.norm(exact[key]))
            for key in ("W_c", "W_r", "b")}
    ### END SOLUTION
''')

nb.tests("approximation_gap", 1, '''
case = _case(T=6, rho=1.0, seed=4)
dy = np.random.default_rng(5).standard_normal((6, 2, 2))
gap = approximation_gap(dy=dy, **case)
assert isinstance(gap, dict) and set(RECURRENT) <= set(gap), \\
    "approximation_gap should return a dict with the keys 'W_c', 'W_r' and 'b'"
if first_failure([(key, lambda key=key, mode=mode: _err(key, mode, rho=1.2))
                  for key in RECURRENT for mode in ("exact", "blocked")]):
    raise AssertionError("approximation_gap is built on your elman_backward, which does not pass "
                         "its tests yet: fix Parts 3 to 6 first")
_, cache = elman_forward(**case)
exact, approx = elman_backward(dy, cache), elman_backward(dy, cache, mode="blocked")
expected = [np.linalg.norm(approx[key] - exact[key]) / np.linalg.norm(exact[key]) for key in RECURRENT]
check_close("the gap (W_c, W_r, b)", np.array([gap[key] for key in RECURRENT], dtype=float),
            np.array(expected), hint="divide the norm of the difference by the norm of the exact gradient")
gap = approximation_gap(dy=dy, **dict(case, W_r=np.zeros((3, 3))))
assert max(gap.values()) < 1e-12, "with W_r = 0 nothing flows through the context, so every gap must be 0"
''')

nb.instructions("experiment_text", r"""
## Part 8: the gap, by sequence length and recurrent scale

The cell below measures the gap with your `approximation_gap` for random networks with 16
hidden units, a random squared-error loss on every step, sequence lengths $T$ from 1 to 20,
and recurrent scales $\rho$ (the spectral radius of $\mathbf{W}_r$, as in the book) from 0
to 1.5. Each entry is the mean over 5 networks. Run it, then answer the question below.
""")

nb.code('''
def random_elman(rho, T, seed, B=8, D=2, H=16):
    """Inputs for approximation_gap: a random network whose W_r has spectral radius rho."""
    r = np.random.default_rng(seed)
    W_r = r.standard_normal((H, H))
    case = {"x": r.standard_normal((T, B, D)),
            "W_c": r.uniform(-0.5, 0.5, size=(H, D)),
            "W_r": rho * W_r / np.max(np.abs(np.linalg.eigvals(W_r))),
            "b": np.zeros(H), "W_o": r.uniform(-0.25, 0.25, size=(1, H)), "b_o": np.zeros(1),
            "h_init": 0.5 * r.standard_normal((B, H))}
    y, _ = elman_forward(**case)
    case["dy"] = y - r.standard_normal((T, B, 1))      # gradient of 0.5 * sum (y - d)**2
    return case


lengths, scales = (1, 2, 5, 20), (0.0, 0.5, 1.0, 1.5)
for key in ("W_c", "W_r"):
    print(f"gap of {key}:   " + "".join(f"T = {T:<6d}" for T in lengths))
    for rho in scales:
        gaps = [np.mean([approximation_gap(**random_elman(rho, T, seed))[key] for seed in range(5)])
                for T in lengths]
        print(f"  rho = {rho:.1f}   " + "".join(f"{g:<10.3f}" for g in gaps))
''')

nb.instructions("written_gap_question", r"""
**Question.** Read your two tables. (a) In which row and which column is the gap zero, and
why must it be zero there? (b) How does the gap change as $T$ grows and as $\rho$ grows?
Explain this with the terms that Elman's approximation drops. (c) Name a task that a network
trained with the approximation would struggle to learn. Four to six sentences.

Write your answer in the next cell.
""")

nb.written_answer("written_gap", 1, """
(a) The gap is zero for T = 1 (there is no earlier step, so nothing flows
through the context) and for rho = 0 (W_r = 0, so the dropped term W_r^T delta[t+1] is
zero). (b) The exact gradient is a sum over lags: the error of step t reaches the
weights used at every earlier step k through a product of t - k factors D W_r. The
approximation keeps only lag 0. A longer sequence has more of these dropped terms, and a
larger rho makes each of them larger (they shrink roughly like rho to the power of the lag).
So the gap grows with rho, and with T as long as the extra terms still matter: at rho = 0.5
it levels off after a few steps, while at rho = 1 and 1.5 it keeps growing and approaches the
size of the gradient itself. (c) Any task where an output depends on an earlier input, e.g.
repeating the input of three steps ago, or predicting the next word from a name mentioned
earlier: the approximate gradient never connects an error to earlier inputs, so it cannot
ask the network to store them.
""")

path = nb.write()
print("wrote", path)
