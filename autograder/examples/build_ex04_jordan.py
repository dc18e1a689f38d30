"""How solutions/ex04_jordan/ex04_jordan.ipynb was written (see build_ex02_tdnn.py for the pattern).

Run from the repository root to regenerate the notebook: .venv/bin/python autograder/examples/build_ex04_jordan.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex04_jordan")

nb.instructions("intro", r"""
# Exercise 4: the Jordan network

*Chapter 4, "Memory units and the Jordan network", in the book.*

A Jordan network keeps a **memory** $\mathbf{s}[t]$ of its own past outputs, a decaying
sum with a fixed decay $\mu$, and reads it as one more input of the hidden layer:

$$
\mathbf{s}[0] = \mathbf{s}_{\text{init}}, \qquad
\mathbf{s}[t] = \mu\,\mathbf{s}[t-1] + \mathbf{y}[t-1] \quad (t \ge 1),
$$

$$
\mathbf{h}[t] = \tanh\big(\mathbf{W}_c\,\mathbf{x}[t] + \mathbf{W}_m\,\mathbf{s}[t] + \mathbf{b}\big),
\qquad
\mathbf{y}[t] = \sigma\big(\mathbf{W}_o\,\mathbf{h}[t] + \mathbf{b}_o\big),
$$

for $t = 0, \dots, T-1$, where $\sigma(z) = 1/(1 + e^{-z})$ is the logistic sigmoid (as in
Jordan's networks). The decay $\mu$ is chosen, not learned.

Jordan trained his network with a gradient that is **blocked at the memory**: he treated
$\mathbf{s}[t]$ as an external input, so the error of step $t$ never reaches the outputs of
earlier steps. The exact gradient also follows the memory back in time. You will
implement both, check each against numerical derivatives, and measure how far apart they
are.

**Learning goals.** After this exercise you can

- compute the memory of a Jordan network and read it as a discounted sum of past outputs;
- implement the forward pass with a memory unit;
- implement the exact gradient through the memory, including the decay $\mu$, and
  Jordan's blocked gradient;
- test a blocked gradient as the exact gradient of a different function: one-step
  networks with the memory frozen;
- explain when the blocked gradient is a good approximation and what it cannot learn.

**Shapes.** `x` is `(T, B, D)`; `y` and the memory `s` are `(T, B, O)` (one memory unit
per output); `s_init` is `(B, O)`. Weights: `W_c` `(H, D)`, `W_m` `(H, O)`, `b` `(H,)`,
`W_o` `(O, H)`, `b_o` `(O,)`; `mu` is a float. With a batch of row vectors,
$\mathbf{W}\mathbf{x}$ is `x @ W.T` in code.

| part | what | points |
|---|---|---|
| 1 | `jordan_memory`: the memory of a sequence of outputs | 1 |
| 2 | `jordan_forward` | 2 |
| 3 | `jordan_backward`, blocked: gradients of the weights | 2 |
| 4 | `jordan_backward`, blocked: gradients of `x` and `s_init` | 1 |
| 5 | `jordan_backward`, exact: gradients of the weights | 3 |
| 6 | `jordan_backward`, exact: gradients of `x` and `s_init` | 1 |
| 7 | an experiment and a short written answer | 1 |

Each programming part has a cell of visible tests: run it after writing your code. When a test fails,
its message says by how much, where the first wrong number is, and often a hint found by
trying simpler cases first (one step, a loss on one step only, $\mu = 0$, ...). The
gradient tests compare your backward pass with numerical derivatives of *your own*
forward pass. The grader also runs hidden tests on inputs you have not seen. Only numpy
is allowed. Expect to spend one to three hours.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import check_shape, check_close, check_gradient, gradient_error, first_failure

rng = np.random.default_rng(0)


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise."""
    return 1.0 / (1.0 + np.exp(-z))
''')

nb.instructions("memory_text", r"""
## Part 1: the memory

Write `jordan_memory(y, mu, s_init)`: given a sequence of outputs `y` `(T, B, O)`, return
the memory `s` `(T, B, O)` that the network reads at each step, with `s[0] = s_init` and
`s[t] = mu * s[t-1] + y[t-1]`. The last output, `y[T-1]`, is not in any `s[t]`: no step
reads it. Do not modify the arguments.

(Unrolled, $\mathbf{s}[t] = \mu^t\,\mathbf{s}_{\text{init}} + \sum_{k=0}^{t-1}\mu^{\,t-1-k}\,\mathbf{y}[k]$:
every past output is in the memory, with a weight that decays with its age.)
""")

nb.solution("memory_code", '''
def jordan_memory(y, mu, s_init):
    """Memory read at every step. y: (T, B, O), mu: float, s_init: (B, O) -> s: (T, B, O)."""
    ### BEGIN SOLUTION
    memory = np.empty_like(y)
    memory[0] = s_init
    for t in range(1, len(y)):
        memory[t] = mu * memory[t - 1] + y[t - 1]
    return memory
    ### END SOLUTION
''')

nb.tests("jordan_memory", 1, '''
y = np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1)
s = jordan_memory(y, 0.5, np.full((1, 1), 0.4))
check_shape("s", s, (3, 1, 1))
# s[0] = s_init, s[1] = 0.5 * 0.4 + 1, s[2] = 0.5 * 1.2 + 2; y[2] is never read.
check_close("s", s, np.array([0.4, 1.2, 2.6]).reshape(3, 1, 1),
            hint="s[0] = s_init and s[t] = mu s[t-1] + y[t-1]: the memory of step t holds the outputs before t")
assert np.array_equal(y.ravel(), [1.0, 2.0, 3.0]), "jordan_memory must not modify y"

# mu = 0: the memory is the previous output.
T, B, O = 5, 3, 2
y = rng.uniform(size=(T, B, O))
s_init = rng.uniform(size=(B, O))
s = jordan_memory(y, 0.0, s_init)
check_shape("s", s, (T, B, O))
check_close("s[1:] for mu = 0", s[1:], y[:-1], hint="with mu = 0, s[t] = y[t-1]")
check_close("s[0]", s[0], s_init, hint="s[0] is s_init")
check_shape("s for T = 1", jordan_memory(y[:1], 0.9, s_init), (1, B, O))
''')

nb.instructions("forward_text", r"""
## Part 2: the forward pass

Write `jordan_forward(x, W_c, W_m, b, W_o, b_o, s_init, mu)`. It returns `y` `(T, B, O)`
and a `cache` (a tuple or a dict, your choice) with whatever your backward pass will
need. The memory of step $t$ needs the output of step $t-1$, so loop over the steps;
the input part $\mathbf{W}_c\,\mathbf{x}[t] + \mathbf{b}$ can be computed for all steps at once.
The function `sigmoid` is given above.
""")

nb.solution("forward_code", '''
def jordan_forward(x, W_c, W_m, b, W_o, b_o, s_init, mu):
    """Jordan network: tanh hidden layer, sigmoid output, memory s[t] = mu s[t-1] + y[t-1].

    x: (T, B, D), W_c: (H, D), W_m: (H, O), b: (H,), W_o: (O, H), b_o: (O,),
    s_init: (B, O), mu: float  ->  y: (T, B, O), cache
    """
    ### BEGIN SOLUTION
    T, B, _ = x.shape
    O, H = W_o.shape
    s = np.zeros((T, B, O))
    h = np.zeros((T, B, H))
    y = np.zeros((T, B, O))
    from_input = x @ W_c.T + b
    for t in range(T):
        s[t] = s_init if t == 0 else mu * s[t - 1] + y[t - 1]
        h[t] = np.tanh(from_input[t] + s[t] @ W_m.T)
        y[t] = sigmoid(h[t] @ W_o.T + b_o)
    cache = {"x": x, "s": s, "h": h, "y": y, "W_c": W_c, "W_m": W_m, "W_o": W_o, "mu": mu}
    return y, cache
    ### END SOLUTION
''')

nb.tests("jordan_forward", 2, '''
# One input, one hidden unit, one output: W_c = W_m = W_o = 1, b = b_o = 0, mu = 0.5.
one = dict(W_c=np.ones((1, 1)), W_m=np.ones((1, 1)), b=np.zeros(1), W_o=np.ones((1, 1)), b_o=np.zeros(1))
y, _ = jordan_forward(np.array([1.0, 0.0, -1.0]).reshape(3, 1, 1), s_init=np.full((1, 1), 0.2), mu=0.5, **one)
check_shape("y", y, (3, 1, 1))
y0 = sigmoid(np.tanh(1.0 + 0.2))       # s[0] = s_init = 0.2
s1 = 0.5 * 0.2 + y0
y1 = sigmoid(np.tanh(0.0 + s1))
s2 = 0.5 * s1 + y1
y2 = sigmoid(np.tanh(-1.0 + s2))
check_close("y", y, np.array([y0, y1, y2]).reshape(3, 1, 1),
            hint="h[t] = tanh(W_c x[t] + W_m s[t] + b) and y[t] = sigmoid(W_o h[t] + b_o), with "
                 "s[0] = s_init and s[t] = mu s[t-1] + y[t-1]")

# General shapes; with mu = 0 each step only sees the previous output, so running the
# steps one at a time with s_init = y[t-1] must give the same outputs.
T, B, D, H, O = 6, 3, 2, 4, 2
W = dict(W_c=rng.standard_normal((H, D)), W_m=rng.standard_normal((H, O)), b=rng.standard_normal(H),
         W_o=rng.standard_normal((O, H)), b_o=rng.standard_normal(O))
x = rng.standard_normal((T, B, D))
s_init = rng.uniform(size=(B, O))
y, _ = jordan_forward(x, s_init=s_init, mu=0.0, **W)
check_shape("y", y, (T, B, O))
steps = [jordan_forward(x[t:t + 1], s_init=s_init if t == 0 else y[t - 1], mu=0.0, **W)[0] for t in range(T)]
check_close("y (mu = 0)", y, np.concatenate(steps), hint="with mu = 0 the memory of step t is y[t-1]")
y, _ = jordan_forward(x, s_init=s_init, mu=0.7, **W)
assert np.all((y > 0) & (y < 1)), "the outputs of a sigmoid lie between 0 and 1"
''')

nb.instructions("backward_text", r"""
## Parts 3 to 6: the backward pass

Write `jordan_backward(dy, cache, mode="exact")`. Its argument `dy` `(T, B, O)` holds
$\nabla_{\mathbf{y}[t]}\mathrm{Div}$, the gradient of the loss with respect to each output
*through its own term of the loss only*. Return a dict with the gradients `"W_c"`,
`"W_m"`, `"b"`, `"W_o"`, `"b_o"`, `"x"` `(T, B, D)` and `"s_init"` `(B, O)`.

Write $\mathbf{z}[t]$ and $\mathbf{z}_o[t]$ for the arguments of $\tanh$ and $\sigma$,
$\boldsymbol{\delta}[t] = \nabla_{\mathbf{z}[t]}\mathrm{DIV}$ and
$\boldsymbol{\delta}_o[t] = \nabla_{\mathbf{z}_o[t]}\mathrm{DIV}$. Go through the steps
backwards, from $t = T-1$ down to $0$. At each step, with $\mathbf{g}[t]$ the gradient of
$\mathbf{y}[t]$ (below):

$$
\boldsymbol{\delta}_o[t] = \sigma'(\mathbf{z}_o[t]) \odot \mathbf{g}[t], \qquad
\boldsymbol{\delta}[t] = \big(1 - \mathbf{h}[t]^2\big) \odot \mathbf{W}_o^\top\boldsymbol{\delta}_o[t],
$$

and $\sigma'(\mathbf{z}_o[t]) = \mathbf{y}[t] \odot (1 - \mathbf{y}[t])$. The weight gradients
add up all steps and sequences, for example
$\nabla_{\mathbf{W}_m}\mathrm{DIV} = \sum_t \boldsymbol{\delta}[t]\,\mathbf{s}[t]^\top$ and
$\nabla_{\mathbf{W}_o}\mathrm{DIV} = \sum_t \boldsymbol{\delta}_o[t]\,\mathbf{h}[t]^\top$,
and $\nabla_{\mathbf{x}[t]}\mathrm{DIV} = \mathbf{W}_c^\top\boldsymbol{\delta}[t]$.
The two modes differ only in $\mathbf{g}[t]$ and in the gradient of the memory.

**`mode="exact"`.** The output $\mathbf{y}[t]$ reaches the loss directly and through the
memory $\mathbf{s}[t+1] = \mu\,\mathbf{s}[t] + \mathbf{y}[t]$, which step $t+1$ reads and
which decays into $\mathbf{s}[t+2], \mathbf{s}[t+3], \dots$. With
$\mathbf{m}[t] = \nabla_{\mathbf{s}[t]}\mathrm{DIV}$,

$$
\mathbf{g}[t] = \texttt{dy}[t] + \mathbf{m}[t+1], \qquad
\mathbf{m}[t] = \mathbf{W}_m^\top\boldsymbol{\delta}[t] + \mu\,\mathbf{m}[t+1], \qquad
\mathbf{m}[T] = \mathbf{0}
$$

(nothing reads a memory after the last step). The gradient of `s_init` $= \mathbf{s}[0]$ is
$\mathbf{m}[0]$.

**`mode="blocked"`** (Jordan's training, book eq. `eq-jordan-blocked`). The memory is
treated as an external input: $\mathbf{g}[t] = $ `dy[t]`, no gradient flows from
$\mathbf{s}[t+1]$ back into $\mathbf{y}[t]$ or $\mathbf{s}[t]$, and the gradient of
`s_init` is only the direct term of step 0, $\mathbf{W}_m^\top\boldsymbol{\delta}[0]$.

The blocked gradient is not the derivative of your forward pass, so the tests check it
against another function: the sum of $T$ separate one-step networks whose memories are
frozen at the values of the forward pass (built from your `jordan_forward` and
`jordan_memory`). The tests check the blocked mode first (Parts 3 and 4); the exact mode
(Parts 5 and 6) then only adds the path through the memory.
""")

nb.solution("backward_code", '''
def jordan_backward(dy, cache, mode="exact"):
    """Backward pass of jordan_forward; mode is "exact" or "blocked" (Jordan's training).

    dy: (T, B, O)  ->  {"W_c": (H, D), "W_m": (H, O), "b": (H,), "W_o": (O, H), "b_o": (O,),
                        "x": (T, B, D), "s_init": (B, O)}
    """
    ### BEGIN SOLUTION
    x, s, h, y = cache["x"], cache["s"], cache["h"], cache["y"]
    W_c, W_m, W_o, mu = cache["W_c"], cache["W_m"], cache["W_o"], cache["mu"]
    dzo = np.zeros_like(y)
    dz = np.zeros_like(h)
    m_next = np.zeros_like(s[0])            # gradient of the memory one step later
    for t in range(len(x) - 1, -1, -1):
        dzo[t] = (dy[t] + m_next) * y[t] * (1.0 - y[t])
        dz[t] = (dzo[t] @ W_o) * (1.0 - h[t] ** 2)
        m = dz[t] @ W_m + mu * m_next
        if mode == "exact":
            m_next = m
    return {"W_c": np.einsum("tbh,tbd->hd", dz, x), "W_m": np.einsum("tbh,tbo->ho", dz, s),
            "b": dz.sum(axis=(0, 1)), "W_o": np.einsum("tbo,tbh->oh", dzo, h),
            "b_o": dzo.sum(axis=(0, 1)), "x": dz @ W_c, "s_init": m}
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
WEIGHTS = ("W_c", "W_m", "b", "W_o", "b_o")


def _case(T=4, B=2, D=2, H=3, O=2, mu=0.5, scale=1.0, seed=1):
    """Random inputs for jordan_forward. scale shrinks everything that is not a weight: at
    scale 1e-4 and T = 1 the tanh is linear to about 1e-8 (the sigmoid is never linear)."""
    r = np.random.default_rng(seed)
    return {"x": scale * r.standard_normal((T, B, D)),
            "W_c": r.standard_normal((H, D)) / np.sqrt(D + O),
            "W_m": r.standard_normal((H, O)) / np.sqrt(D + O),
            "b": 0.1 * scale * r.standard_normal(H),
            "W_o": 1.5 * r.standard_normal((O, H)) / np.sqrt(H),
            "b_o": 0.1 * scale * r.standard_normal(O),
            "s_init": scale * r.standard_normal((B, O)),
            "mu": mu}


def _frozen(case):
    """A forward function for the blocked gradient: T one-step networks whose memories are
    frozen at the values of the forward pass (step 0 reads s_init). At the given inputs it
    returns the same outputs as jordan_forward, with jordan_forward's cache."""
    y, _ = jordan_forward(**case)
    memory = jordan_memory(y, case["mu"], case["s_init"])
    def forward(x, W_c, W_m, b, W_o, b_o, s_init, mu):
        _, cache = jordan_forward(x, W_c, W_m, b, W_o, b_o, s_init, mu)
        steps = [jordan_forward(x[t:t + 1], W_c, W_m, b, W_o, b_o, s_init if t == 0 else memory[t], mu)[0]
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
    forward = jordan_forward if mode == "exact" else _frozen(case)
    # y - 0.5 has the same gradient as y, and keeps rounding errors small when y is near 0.5.
    centred = lambda **inputs: (lambda out: (out[0] - 0.5, out[1]))(forward(**inputs))
    backward = lambda d, cache: jordan_backward(d, cache, mode=mode)
    return gradient_error(centred, backward, case, wrt, dout=dout)[0]


def _worst(keys, mode, **kw):
    return max(_err(key, mode, **kw) for key in keys)


def _check(name, mode, wrt, hint, **shape):
    case = _case(**shape)
    forward = jordan_forward if mode == "exact" else _frozen(case)
    check_gradient(f"{name} ({mode})", forward, lambda d, c: jordan_backward(d, c, mode=mode),
                   case, wrt, hint=hint)


def _memory_ok():
    y = np.array([0.3, 0.6, 0.9]).reshape(3, 1, 1)
    s = jordan_memory(y, 0.5, np.full((1, 1), 0.2))
    if not (isinstance(s, np.ndarray) and s.shape == (3, 1, 1)
            and np.allclose(s.ravel(), [0.2, 0.4, 0.8])):
        raise AssertionError("the blocked-gradient tests freeze the memory with your jordan_memory: "
                             "make Part 1 pass first")


SIGMOID_HINT = ("even one step with tiny inputs is wrong, where tanh is linear but the sigmoid is "
                "not: did you multiply by the derivative of the sigmoid, y * (1 - y)?")
TANH_HINT = ("right when tanh is nearly linear (tiny inputs) but wrong otherwise: did you multiply "
             "by the derivative of tanh, 1 - h**2?")
BLOCKED_HINT = ("with only the last output scored, nothing before the last step may change in "
                "blocked mode: the memory is treated as an input, so the error of step t must stop "
                "at the memory s[t]")
MEMORY_HINT = ("right for one step but not when only the last output is scored: y[t] is stored in "
               "the memory s[t+1] that step t+1 reads, so the error of a later step reaches y[t]. "
               "Did you let the error flow back through the memory into the gradient of y[t]?")
MU_HINT = ("right for mu = 0 but not for mu > 0: s[t] also goes into s[t+1] = mu s[t] + y[t], so "
           "the gradient of s[t+1] flows on into s[t], scaled by mu, and from there to every "
           "earlier output")
''')

nb.tests("blocked_weights", 2, '''
_memory_ok()
hint = None
bad = first_failure([
    ("one step, tiny inputs", lambda: _worst(WEIGHTS, "blocked", T=1, scale=1e-4)),
    ("one step", lambda: _worst(WEIGHTS, "blocked", T=1)),
    ("loss on the last step only", lambda: _worst(WEIGHTS, "blocked", last_only=True)),
    ("every step scored", lambda: _worst(WEIGHTS, "blocked")),
])
if bad == "one step, tiny inputs":
    hint = SIGMOID_HINT + (" (dW_o pairs delta_o with h, dW_c pairs delta with x, dW_m pairs delta "
                           "with the memory s)")
elif bad == "one step":
    hint = TANH_HINT
elif bad == "loss on the last step only":
    hint = BLOCKED_HINT
elif bad == "every step scored":
    hint = "right for a loss on one step but not on all: the weights are shared, so sum over every step"
for key in WEIGHTS:
    _check(f"d{key}", "blocked", key, hint)
''')

nb.tests("blocked_inputs", 1, '''
_memory_ok()
hint = None
bad = first_failure([
    ("dx, one step, tiny inputs", lambda: _err("x", "blocked", T=1, scale=1e-4)),
    ("dx, one step", lambda: _err("x", "blocked", T=1)),
    ("dx, loss on the last step only", lambda: _err("x", "blocked", last_only=True)),
    ("dx, every step scored", lambda: _err("x", "blocked")),
    ("ds_init, one step", lambda: _err("s_init", "blocked", T=1)),
    ("ds_init, several steps", lambda: _err("s_init", "blocked")),
])
if bad == "dx, one step, tiny inputs":
    hint = SIGMOID_HINT + " (dx[t] is W_c^T delta[t])"
elif bad == "dx, one step":
    hint = TANH_HINT
elif bad in ("dx, loss on the last step only", "ds_init, several steps"):
    hint = BLOCKED_HINT + "; s_init gets only the direct term of step 0"
elif bad == "dx, every step scored":
    hint = "dx[t] comes from delta[t] of the same step"
elif bad == "ds_init, one step":
    hint = "s_init is the memory read at step 0: it enters z[0] through W_m, like any other input"
_check("dx", "blocked", "x", hint)
_check("ds_init", "blocked", "s_init", hint)
''')

nb.tests("exact_weights", 3, '''
hint = None
bad = first_failure([
    ("one step, tiny inputs", lambda: _worst(WEIGHTS, "exact", T=1, scale=1e-4)),
    ("one step", lambda: _worst(WEIGHTS, "exact", T=1)),
    ("loss on the last step only, mu = 0", lambda: _worst(WEIGHTS, "exact", mu=0.0, last_only=True)),
    ("loss on the last step only, mu = 0.8", lambda: _worst(WEIGHTS, "exact", mu=0.8, last_only=True)),
    ("every step scored", lambda: _worst(WEIGHTS, "exact", mu=0.8)),
])
if bad == "one step, tiny inputs":
    hint = "wrong already for one step, where exact and blocked agree (make Part 3 pass first); " + SIGMOID_HINT
elif bad == "one step":
    hint = "wrong already for one step, where exact and blocked agree (make Part 3 pass first); " + TANH_HINT
elif bad == "loss on the last step only, mu = 0":
    hint = MEMORY_HINT
elif bad == "loss on the last step only, mu = 0.8":
    hint = MU_HINT
elif bad == "every step scored":
    hint = "right for a loss on one step but not on all: g[t] adds dy[t] to what comes back through the memory"
for key in WEIGHTS:
    _check(f"d{key}", "exact", key, hint)
''')

nb.tests("exact_inputs", 1, '''
hint = None
bad = first_failure([
    ("dx, one step, tiny inputs", lambda: _err("x", "exact", T=1, scale=1e-4)),
    ("dx, one step", lambda: _err("x", "exact", T=1)),
    ("dx, loss on the last step only, mu = 0", lambda: _err("x", "exact", mu=0.0, last_only=True)),
    ("dx, loss on the last step only, mu = 0.8", lambda: _err("x", "exact", mu=0.8, last_only=True)),
    ("ds_init, one step", lambda: _err("s_init", "exact", T=1)),
    ("ds_init, several steps", lambda: _err("s_init", "exact", mu=0.8)),
])
if bad == "dx, one step, tiny inputs":
    hint = SIGMOID_HINT
elif bad == "dx, one step":
    hint = TANH_HINT
elif bad == "dx, loss on the last step only, mu = 0":
    hint = MEMORY_HINT
elif bad == "dx, loss on the last step only, mu = 0.8":
    hint = MU_HINT
elif bad == "ds_init, one step":
    hint = "s_init is the memory read at step 0: it enters z[0] through W_m, like any other input"
elif bad == "ds_init, several steps":
    hint = ("s_init decays into every later memory (s[t] contains mu**t s_init), so its gradient is the "
            "gradient of the memory s[0], with everything that flows back through s[1], s[2], ...")
_check("dx", "exact", "x", hint, mu=0.8)
_check("ds_init", "exact", "s_init", hint, mu=0.8)
''')

nb.instructions("experiment_text", r"""
## Part 7: how much does the blocked gradient miss?

The cell below draws random networks with 10 steps and a squared-error loss against random
targets, and compares the blocked gradient with the exact one by the relative error
$\lVert \mathbf{g}_{\text{blocked}} - \mathbf{g}_{\text{exact}}\rVert / \lVert\mathbf{g}_{\text{exact}}\rVert$,
averaged over 15 networks, for several decays $\mu$ and for networks that read their memory
weakly ($\mathbf{W}_m$ multiplied by 0.25), normally, or strongly ($\mathbf{W}_m$ multiplied
by 4). Run it, then answer the question below.
""")

nb.code('''
def blocked_vs_exact(mu, wm_scale, T=10, networks=15):
    """Mean relative error of the blocked gradients of W_m, W_c and W_o."""
    errors = []
    for seed in range(networks):
        case = _case(T=T, B=4, D=2, H=6, O=2, mu=mu, seed=seed)
        case["W_m"] = wm_scale * case["W_m"]
        targets = np.random.default_rng(seed).uniform(0.1, 0.9, size=(T, 4, 2))
        y, cache = jordan_forward(**case)
        dy = y - targets                                  # gradient of 0.5 * sum (y - d)**2
        exact = jordan_backward(dy, cache, mode="exact")
        blocked = jordan_backward(dy, cache, mode="blocked")
        errors.append([np.linalg.norm(blocked[k] - exact[k]) / np.linalg.norm(exact[k])
                       for k in ("W_m", "W_c", "W_o")])
    return np.mean(errors, axis=0)


print("W_m scale   mu    relative error of W_m    W_c     W_o")
for wm_scale in (0.25, 1.0, 4.0):
    for mu in (0.0, 0.5, 0.9):
        e = blocked_vs_exact(mu, wm_scale)
        print(f"{wm_scale:6.2f}    {mu:4.1f}    {e[0]:16.3f}    {e[1]:6.3f}  {e[2]:6.3f}")
''')

nb.instructions("written_blocked_question", r"""
**Question.** Using your table: when is Jordan's blocked gradient a good approximation of
the exact one, and why does the gap grow with $\mu$ and with the scale of $\mathbf{W}_m$?
Why does even the gradient of $\mathbf{W}_o$ change, although $\mathbf{W}_o$ does not act on
the memory? Three to five sentences.

Write your answer in the next cell.
""")

nb.written_answer("written_blocked", 1, """
The blocked gradient drops only the error that travels back through the
memory, so it is close to the exact one when the network barely reads its memory (small
W_m) and the memory forgets fast (small mu): then the dropped terms are small. A larger
W_m makes every later hidden layer depend more strongly on the stored outputs, and a
larger mu keeps each output in memory for longer, so more later errors depend on it; both
enlarge the dropped part (in the table, from one to a few per cent for a weak memory with
mu = 0 to about 30 per cent for a strong memory with mu = 0.9). W_o changes because y[t]
itself is stored in the memory: the exact gradient of y[t] includes the error it causes at
later steps, and the gradient of W_o is built from that gradient of the outputs.
""")

path = nb.write()
print("wrote", path)
