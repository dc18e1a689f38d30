"""How solutions/ex03_narx/ex03_narx.ipynb was written (see build_ex02_tdnn.py for the pattern).

Run from the repository root to regenerate the notebook: .venv/bin/python autograder/examples/build_ex03_narx.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex03_narx")

nb.instructions("intro", r"""
# Exercise 3: NARX in open and closed loop

*Chapter 3, "NARX networks: memory through the output", in the book.*

A NARX network computes its hidden layer from the current and $L$ past inputs **and from
its own last $K$ outputs**, then reads the output from the hidden layer:

$$
\mathbf{h}[t] = \tanh\Big(\sum_{l=0}^{L} \mathbf{W}_x[l]\,\mathbf{x}[t-l]
  + \sum_{k=1}^{K} \mathbf{W}_y[k-1]\,\mathbf{y}[t-k] + \mathbf{b}\Big),
\qquad
\mathbf{y}[t] = \mathbf{W}_o\,\mathbf{h}[t] + \mathbf{b}_o ,
$$

for $t = 0, \dots, T-1$, with $\mathbf{x}[t] = \mathbf{0}$ for $t < 0$ and the $K$ initial
outputs $\mathbf{y}[-1], \dots, \mathbf{y}[-K]$ given. The hidden layer uses $\tanh$, the
output layer is linear (a forecast of real numbers).

The network runs in two ways. In **closed loop** it feeds back its own outputs, as
written above. In **open loop** (teacher forcing) it feeds back desired outputs
$\mathbf{d}[t-k]$ from the data instead of $\mathbf{y}[t-k]$ (the initial outputs are used
before $t = 0$ in both modes). The two modes compute different numbers, and, the main
point of this exercise, their gradients flow differently: in open loop the fed-back values
are data, in closed loop they are functions of the weights.

**Learning goals.** After this exercise you can

- implement a recurrent forward pass whose memory lives in the output, with input taps,
  output taps and initial outputs;
- switch between closed-loop operation and teacher forcing;
- backpropagate through a network whose output is fed back, and explain why the gradient
  of an output collects contributions from later steps in closed loop but not in open loop;
- get the gradients of the inputs and of the initial outputs right, index by index.

**Shapes.** Sequences are time-major: `x` is `(T, B, D)`, `y` and `y_teacher` are
`(T, B, O)`. The weights are `W_x` `(L+1, H, D)` with `W_x[l]` the matrix for the input
`l` steps ago, `W_y` `(K, H, O)` with `W_y[k-1]` the matrix for the output `k` steps ago,
`b` `(H,)`, `W_o` `(O, H)`, `b_o` `(O,)`. The initial outputs are `y_init` `(K, B, O)`
with **`y_init[k-1]` $= \mathbf{y}[-k]$**: `y_init[0]` is the most recent one. With a batch
of row vectors, $\mathbf{W}\mathbf{x}$ is `x @ W.T` in code.

| part | what | points |
|---|---|---|
| 1 | `narx_forward` in closed loop | 2 |
| 2 | `narx_forward` in open loop | 1 |
| 3 | `narx_backward`, open loop: gradients of the weights | 3 |
| 4 | `narx_backward`, open loop: gradients of `x` and `y_init` | 1 |
| 5 | `narx_backward`, closed loop: gradients of the weights | 3 |
| 6 | `narx_backward`, closed loop: gradients of `x` and `y_init` | 2 |
| 7 | a short written answer | 1 |

Each programming part has a cell of visible tests: run it after writing your code. When a test fails,
its message says by how much, where the first wrong number is, and often a hint found by
trying simpler cases first (one step, a loss on one step only, one output tap, ...). The
gradient tests compare your backward pass with numerical derivatives of *your own* forward
pass. The grader also runs hidden tests on inputs you have not seen. Only numpy is
allowed. Expect to spend one to three hours.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import check_shape, check_close, check_gradient, gradient_error, first_failure

rng = np.random.default_rng(0)


def shift(x, k):
    """Return x delayed by k >= 0 steps along axis 0, zero-filled (exercise 2). Same shape."""
    delayed = np.zeros_like(x)
    if k < len(x):
        delayed[k:] = x[:len(x) - k]
    return delayed
''')

nb.instructions("forward_text", r"""
## Parts 1 and 2: the forward pass

Write `narx_forward(x, W_x, W_y, b, W_o, b_o, y_init, y_teacher=None)`.

* With `y_teacher=None` the network runs in **closed loop**: the value fed back through tap
  $k$ at step $t$ is its own output $\mathbf{y}[t-k]$.
* With an array `y_teacher` of shape `(T, B, O)` it runs in **open loop**: the value fed
  back is `y_teacher[t-k]`.
* In both modes, a fed-back value from before the start, $\mathbf{y}[-j]$ with
  $j \ge 1$, is `y_init[j-1]`.

The input part, $\sum_{l} \mathbf{W}_x[l]\,\mathbf{x}[t-l]$, does not depend on the
feedback, so you can compute it for all steps at once with `shift` (given above). The
feedback part needs a loop over $t$, because in closed loop $\mathbf{y}[t-1]$ must exist
before step $t$ can start.

Return `y` `(T, B, O)` and a `cache` (a tuple or a dict, your choice) with whatever
your backward pass will need, including which mode was used. Do not modify the
arguments.
""")

nb.solution("forward_code", '''
def narx_forward(x, W_x, W_y, b, W_o, b_o, y_init, y_teacher=None):
    """NARX network with a tanh hidden layer and a linear output layer.

    x: (T, B, D), W_x: (L+1, H, D), W_y: (K, H, O), b: (H,), W_o: (O, H), b_o: (O,),
    y_init: (K, B, O) with y_init[k-1] = y[-k],
    y_teacher: None (closed loop) or (T, B, O), the values fed back in open loop
    ->  y: (T, B, O), cache
    """
    ### BEGIN SOLUTION
    T, B, _ = x.shape
    K, O, H = len(W_y), len(W_o), len(b)
    closed = y_teacher is None
    # past[K + t] is the value fed back as "y[t]", and past[K - j] = y[-j] = y_init[j - 1].
    past = np.zeros((K + T, B, O))
    past[:K] = y_init[::-1]
    if not closed:
        past[K:] = y_teacher
    from_inputs = b + sum(shift(x, l) @ W_x[l].T for l in range(len(W_x)))
    h = np.zeros((T, B, H))
    y = np.zeros((T, B, O))
    for t in range(T):
        z = from_inputs[t] + sum(past[K + t - k] @ W_y[k - 1].T for k in range(1, K + 1))
        h[t] = np.tanh(z)
        y[t] = h[t] @ W_o.T + b_o
        if closed:
            past[K + t] = y[t]
    cache = {"x": x, "h": h, "past": past, "closed": closed,
             "W_x": W_x, "W_y": W_y, "W_o": W_o}
    return y, cache
    ### END SOLUTION
''')

nb.tests("narx_forward_closed", 2, '''
# One input, one hidden unit, y = h (W_o = 1, b_o = 0), one output tap (K = 1), L = 0.
unit = dict(b=np.zeros(1), W_o=np.ones((1, 1)), b_o=np.zeros(1))
y, _ = narx_forward(np.array([1.0, 0.0, 0.0]).reshape(3, 1, 1), W_x=np.full((1, 1, 1), 0.8),
                    W_y=np.full((1, 1, 1), 0.5), y_init=np.full((1, 1, 1), 0.2), **unit)
check_shape("y", y, (3, 1, 1))
y0 = np.tanh(0.8 * 1.0 + 0.5 * 0.2)          # y[-1] = y_init[0] = 0.2
y1 = np.tanh(0.5 * y0)                        # no input any more: only the feedback
y2 = np.tanh(0.5 * y1)
check_close("y (K = 1)", y, np.array([y0, y1, y2]).reshape(3, 1, 1),
            hint="in closed loop y[t] = tanh(W_x[0] x[t] + W_y[0] y[t-1] + b): feed back your own "
                 "output, and use y_init[0] for y[-1]")

# Two output taps: y_init[0] is y[-1], y_init[1] is y[-2].
y, _ = narx_forward(np.zeros((2, 1, 1)), W_x=np.zeros((1, 1, 1)),
                    W_y=np.array([0.5, -0.25]).reshape(2, 1, 1),
                    y_init=np.array([0.4, -0.8]).reshape(2, 1, 1), **unit)
y0 = np.tanh(0.5 * 0.4 - 0.25 * -0.8)         # W_y[0] y[-1] + W_y[1] y[-2]
y1 = np.tanh(0.5 * y0 - 0.25 * 0.4)           # W_y[0] y[0]  + W_y[1] y[-1]
check_close("y (K = 2)", y, np.array([y0, y1]).reshape(2, 1, 1),
            hint="W_y[k-1] multiplies y[t-k], and y_init[k-1] is y[-k] (y_init[0] is the most recent)")

# Two input taps (L = 1) and a linear output layer with two outputs, no feedback.
y, _ = narx_forward(np.array([1.0, 2.0]).reshape(2, 1, 1), W_x=np.array([1.0, -0.5]).reshape(2, 1, 1),
                    W_y=np.zeros((1, 1, 2)), b=np.array([0.1]), W_o=np.array([[1.0], [2.0]]),
                    b_o=np.array([0.5, -0.5]), y_init=np.zeros((1, 1, 2)))
h = np.tanh(np.array([1.0 + 0.1, 2.0 - 0.5 * 1.0 + 0.1]))
check_close("y (L = 1)", y, np.stack([h + 0.5, 2 * h - 0.5], axis=1).reshape(2, 1, 2),
            hint="W_x[l] multiplies x[t-l] (zero before t = 0), and the output layer is linear: "
                 "y[t] = W_o h[t] + b_o")

# General shapes, and the infinite response of closed loop.
T, B, D, H, O, L, K = 7, 3, 2, 4, 2, 2, 3
W = dict(W_x=rng.standard_normal((L + 1, H, D)), W_y=rng.standard_normal((K, H, O)),
         b=np.zeros(H), W_o=rng.standard_normal((O, H)), b_o=np.zeros(O))
pulse = np.zeros((T, B, D))
pulse[0] = 1.0
y, _ = narx_forward(pulse, y_init=np.zeros((K, B, O)), **W)
check_shape("y", y, (T, B, O))
assert np.abs(y[-1]).max() > 1e-8, ("in closed loop a pulse at t = 0 must still reach y[T-1] "
                                    "through the chain of fed-back outputs")
''')

nb.tests("narx_forward_open", 1, '''
# Open loop: the teacher values are fed back, the network's own outputs are not.
unit = dict(W_x=np.zeros((1, 1, 1)), W_y=np.full((1, 1, 1), 0.5), b=np.zeros(1),
            W_o=np.ones((1, 1)), b_o=np.zeros(1))
teacher = np.array([0.3, -0.6, 0.9]).reshape(3, 1, 1)
y, _ = narx_forward(np.zeros((3, 1, 1)), y_init=np.full((1, 1, 1), 0.2), y_teacher=teacher, **unit)
check_shape("y", y, (3, 1, 1))
check_close("y (open loop)", y, np.tanh(0.5 * np.array([0.2, 0.3, -0.6])).reshape(3, 1, 1),
            hint="in open loop the value fed back through tap k at step t is y_teacher[t-k] "
                 "(y_init before t = 0), not your own output")

# Fed with the closed-loop outputs as teacher values, open loop computes the same numbers.
T, B, D, H, O, L, K = 6, 2, 3, 4, 2, 1, 2
W = dict(W_x=rng.standard_normal((L + 1, H, D)) / 2, W_y=rng.standard_normal((K, H, O)) / 2,
         b=rng.standard_normal(H) / 2, W_o=rng.standard_normal((O, H)) / 2, b_o=rng.standard_normal(O) / 2)
x = rng.standard_normal((T, B, D))
y_init = rng.standard_normal((K, B, O))
y_closed, _ = narx_forward(x, y_init=y_init, **W)
y_open, _ = narx_forward(x, y_init=y_init, y_teacher=y_closed.copy(), **W)
check_shape("y", y_open, (T, B, O))
check_close("y (open loop, teacher = closed-loop outputs)", y_open, y_closed,
            hint="with y_teacher equal to the closed-loop outputs, both modes must compute the same numbers")
''')

nb.instructions("backward_text", r"""
## Parts 3 to 6: the backward pass

Write `narx_backward(dy, cache)`. Its argument `dy` `(T, B, O)` holds
$\nabla_{\mathbf{y}[t]}\mathrm{Div}$, the gradient of the loss with respect to each output
*through its own term of the loss only*. Return a dict with the gradients `"W_x"`,
`"W_y"`, `"b"`, `"W_o"`, `"b_o"`, `"x"` and `"y_init"`, each with the shape of the
corresponding argument of `narx_forward`.

Write $\mathbf{z}[t]$ for the argument of $\tanh$ and
$\boldsymbol{\delta}[t] = \nabla_{\mathbf{z}[t]}\mathrm{DIV}$. Go through the steps
**backwards**, from $t = T-1$ down to $0$. At each step:

1. Find $\mathbf{g}[t] = \nabla_{\mathbf{y}[t]}\mathrm{DIV}$, the *total* gradient of
   the output.
   - **Open loop:** $\mathbf{g}[t] = $ `dy[t]`. The output $\mathbf{y}[t]$ is used
     nowhere else: the teacher values, not the outputs, are fed back, and they are
     data, so no gradient flows through them.
   - **Closed loop:** $\mathbf{y}[t]$ is also fed back into $\mathbf{z}[t+1], \dots,
     \mathbf{z}[t+K]$, so
     $$
     \mathbf{g}[t] = \texttt{dy}[t] + \sum_{k=1}^{K} \mathbf{W}_y[k-1]^\top\,\boldsymbol{\delta}[t+k]
     \qquad (\text{only the terms with } t + k \le T-1).
     $$
     Because you go backwards, every $\boldsymbol{\delta}[t+k]$ is known when you reach
     step $t$. A convenient way to organize this: keep an array for "gradient arriving at
     each fed-back value", and let every step, once its $\boldsymbol{\delta}[t]$ is known,
     send $\mathbf{W}_y[k-1]^\top\boldsymbol{\delta}[t]$ to the value it read through tap $k$.
2. Go back through the output layer and the $\tanh$:
   $\boldsymbol{\delta}[t] = (1 - \mathbf{h}[t]^2) \odot \mathbf{W}_o^\top\,\mathbf{g}[t]$.

Then the weight gradients add up the contributions of all steps (and all sequences of the
batch), for example
$\nabla_{\mathbf{W}_y[k-1]}\mathrm{DIV} = \sum_t \boldsymbol{\delta}[t]\,\mathbf{v}[t-k]^\top$,
where $\mathbf{v}[t-k]$ is the value that was fed back through tap $k$ at step $t$ (an
output, a teacher value or an initial output), and
$\nabla_{\mathbf{W}_o}\mathrm{DIV} = \sum_t \mathbf{g}[t]\,\mathbf{h}[t]^\top$.

Two more gradients:

* `x[t]` enters $\mathbf{z}[t], \dots, \mathbf{z}[t+L]$ through the taps
  $\mathbf{W}_x[0], \dots, \mathbf{W}_x[L]$ (as in exercise 2).
* The initial outputs are fed back **in both modes** (there is no teacher value before
  $t = 0$): $\mathbf{y}[-j]$ = `y_init[j-1]` is read at the steps $t = k - j \ge 0$,
  through tap $k$, so it receives $\mathbf{W}_y[k-1]^\top\boldsymbol{\delta}[t]$ from each of them.

The tests check open loop first (Parts 3 and 4), then closed loop (Parts 5 and 6).
""")

nb.solution("backward_code", '''
def narx_backward(dy, cache):
    """Backward pass of narx_forward, in the mode the forward pass used.

    dy: (T, B, O)  ->  {"W_x": (L+1, H, D), "W_y": (K, H, O), "b": (H,), "W_o": (O, H),
                        "b_o": (O,), "x": (T, B, D), "y_init": (K, B, O)}
    """
    ### BEGIN SOLUTION
    x, h, past = cache["x"], cache["h"], cache["past"]
    W_x, W_y, W_o = cache["W_x"], cache["W_y"], cache["W_o"]
    T, B, D = x.shape
    K = len(W_y)
    d_past = np.zeros_like(past)       # gradient arriving at every fed-back value
    d_past[K:] = dy
    dz = np.zeros_like(h)
    for t in range(T - 1, -1, -1):
        dz[t] = (d_past[K + t] @ W_o) * (1.0 - h[t] ** 2)
        for k in range(1, K + 1):
            if cache["closed"] or t - k < 0:     # teacher values are data
                d_past[K + t - k] += dz[t] @ W_y[k - 1]
    g = d_past[K:]                      # total gradient of every output
    dW_x = np.stack([np.einsum("tbh,tbd->hd", dz, shift(x, l)) for l in range(len(W_x))])
    dW_y = np.stack([np.einsum("tbh,tbo->ho", dz, past[K - k:K - k + T]) for k in range(1, K + 1)])
    dx = np.zeros_like(x)
    for l in range(min(len(W_x), T)):        # a tap longer than the sequence feeds nothing
        dx[:T - l] += dz[l:] @ W_x[l]
    return {"W_x": dW_x, "W_y": dW_y, "b": dz.sum(axis=(0, 1)),
            "W_o": np.einsum("tbo,tbh->oh", g, h), "b_o": g.sum(axis=(0, 1)),
            "x": dx, "y_init": d_past[K - 1::-1].copy()}
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
WEIGHTS = ("W_x", "W_y", "b", "W_o", "b_o")


def _case(T=5, B=2, D=2, H=3, O=2, L=1, K=2, scale=1.0, seed=1, teacher=False):
    """Random inputs for narx_forward. scale shrinks everything that is not a weight:
    at scale 1e-4 every pre-activation is tiny and tanh is linear to about 1e-8."""
    r = np.random.default_rng(seed)
    case = {"x": scale * r.standard_normal((T, B, D)),
            "W_x": r.standard_normal((L + 1, H, D)) / np.sqrt((L + 1) * D + K * O),
            "W_y": r.standard_normal((K, H, O)) / np.sqrt((L + 1) * D + K * O),
            "b": 0.1 * scale * r.standard_normal(H),
            "W_o": r.standard_normal((O, H)) / np.sqrt(H),
            "b_o": 0.1 * scale * r.standard_normal(O),
            "y_init": scale * r.standard_normal((K, B, O))}
    if teacher:
        case["y_teacher"] = scale * r.standard_normal((T, B, O))
    return case


def _err(wrt, teacher, last_only=False, **shape):
    """Relative error of one of your gradients against central differences.
    last_only: the loss scores the output of the last step only."""
    case = _case(teacher=teacher, **shape)
    T, B, _ = case["x"].shape
    dout = np.random.default_rng(7).standard_normal((T, B, case["W_o"].shape[0]))
    if last_only:
        dout[:-1] = 0.0
    return gradient_error(narx_forward, narx_backward, case, wrt, dout=dout)[0]


def _worst(keys, teacher, **kw):
    return max(_err(key, teacher, **kw) for key in keys)
''')

nb.tests("backward_open_weights", 3, '''
hint = None
bad = first_failure([
    ("one step, tiny inputs", lambda: _worst(WEIGHTS, True, T=1, L=0, K=1, scale=1e-4)),
    ("one step", lambda: _worst(WEIGHTS, True, T=1, L=0, K=1)),
    ("loss on the last step only", lambda: _worst(WEIGHTS, True, L=0, K=1, last_only=True)),
    ("several steps, one tap each", lambda: _worst(WEIGHTS, True, L=0, K=1)),
    ("several taps", lambda: _worst(WEIGHTS, True, L=2, K=3)),
])
if bad == "one step, tiny inputs":
    hint = ("even one step with tiny inputs is wrong: check each weight gradient on its own "
            "(dW_o pairs the output gradient with h, dW_x[0] pairs delta with x, dW_y[0] pairs "
            "delta with the value fed back)")
elif bad == "one step":
    hint = ("right when tanh is nearly linear (tiny inputs) but wrong otherwise: did you multiply "
            "by the derivative of tanh, 1 - h**2?")
elif bad == "loss on the last step only":
    hint = ("with only the last output scored, nothing before the last step may change: in open "
            "loop the fed-back values are teacher data and no gradient flows through them")
elif bad == "several steps, one tap each":
    hint = "right for one step but not for several: the weights are shared by all steps, so sum over every step"
elif bad == "several taps":
    hint = ("right with one input tap and one output tap but not with more: W_x[l] pairs delta[t] "
            "with x[t-l], W_y[k-1] pairs delta[t] with the value fed back k steps earlier")
for key in WEIGHTS:
    check_gradient(f"d{key} (open loop)", narx_forward, narx_backward, _case(teacher=True), key, hint=hint)
''')

nb.tests("backward_open_inputs", 1, '''
hint = None
bad = first_failure([
    ("dx, one step, tiny inputs", lambda: _err("x", True, T=1, L=0, K=1, scale=1e-4)),
    ("dx, one step", lambda: _err("x", True, T=1, L=0, K=1)),
    ("dx, loss on the last step only", lambda: _err("x", True, L=0, K=1, last_only=True)),
    ("dx, several input taps", lambda: _err("x", True, L=2, K=1)),
    ("dy_init, one output tap", lambda: _err("y_init", True, K=1)),
    ("dy_init, several output taps", lambda: _err("y_init", True, K=3)),
])
if bad == "dx, one step, tiny inputs":
    hint = "even one step with tiny inputs is wrong: dx[t] is delta[t] @ W_x[0] when L = 0"
elif bad == "dx, one step":
    hint = ("right when tanh is nearly linear (tiny inputs) but wrong otherwise: did you multiply "
            "by the derivative of tanh, 1 - h**2?")
elif bad == "dx, loss on the last step only":
    hint = ("with only the last output scored and L = 0, only x[T-1] may get a gradient: in open "
            "loop the fed-back values are teacher data and no gradient flows through them")
elif bad == "dx, several input taps":
    hint = "x[t] enters z[t], ..., z[t+L]: dx[t] collects delta[t+l] @ W_x[l] for every tap l"
elif bad == "dy_init, one output tap":
    hint = ("dx is right but dy_init is not: the initial outputs are fed back in open loop too "
            "(there is no teacher value before t = 0), so y[-1] gets a gradient from step 0")
elif bad == "dy_init, several output taps":
    hint = ("right for K = 1 but not for K = 3: y_init[j-1] is y[-j], read at every step t = k - j >= 0 "
            "through tap k")
case = _case(teacher=True, L=2, K=3)
check_gradient("dx (open loop)", narx_forward, narx_backward, case, "x", hint=hint)
check_gradient("dy_init (open loop)", narx_forward, narx_backward, case, "y_init", hint=hint)
# More taps than steps: taps that reach past the start of the sequence read only zeros or y_init.
case = _case(teacher=True, T=2, L=3, K=3)
hint = "T = 2 with L = 3 and K = 3: the taps reach further back than the sequence is long"
check_gradient("dx (open loop, T = 2)", narx_forward, narx_backward, case, "x", hint=hint)
check_gradient("dy_init (open loop, T = 2)", narx_forward, narx_backward, case, "y_init", hint=hint)
''')

nb.tests("backward_closed_weights", 3, '''
hint = None
bad = first_failure([
    ("one step, tiny inputs", lambda: _worst(WEIGHTS, False, T=1, L=0, K=1, scale=1e-4)),
    ("one step", lambda: _worst(WEIGHTS, False, T=1, L=0, K=1)),
    ("loss on the last step only, K = 1", lambda: _worst(WEIGHTS, False, L=0, K=1, last_only=True)),
    ("loss on the last step only, K = 3", lambda: _worst(WEIGHTS, False, L=0, K=3, last_only=True)),
    ("every step scored", lambda: _worst(WEIGHTS, False, L=0, K=1)),
    ("several taps", lambda: _worst(WEIGHTS, False, L=2, K=3)),
])
if bad in ("one step, tiny inputs", "one step"):
    hint = "wrong already for one step, where closed and open loop coincide: make Part 3 pass first"
    if bad == "one step":
        hint += "; right with tiny inputs only: did you multiply by the derivative of tanh, 1 - h**2?"
elif bad == "loss on the last step only, K = 1":
    hint = ("right for one step but not when only the last output is scored: in closed loop y[t] is "
            "fed back, so the error of a later step reaches y[t] and the weights of step t. Did you "
            "add the gradient that comes back through the feedback to dy[t]?")
elif bad == "loss on the last step only, K = 3":
    hint = ("right with one output tap but not with three: y[t] is fed back through every tap, "
            "W_y[k-1] takes it into z[t+k], and each of those steps sends gradient back to y[t]")
elif bad == "every step scored":
    hint = "right for a loss on one step but not on all: add dy[t] to what comes back through the feedback"
elif bad == "several taps":
    hint = ("right with one input tap but not with more: W_x[l] pairs delta[t] with x[t-l], "
            "W_y[k-1] pairs delta[t] with the output k steps earlier")
for key in WEIGHTS:
    check_gradient(f"d{key} (closed loop)", narx_forward, narx_backward, _case(), key, hint=hint)
''')

nb.tests("backward_closed_inputs", 2, '''
hint = None
bad = first_failure([
    ("dx, one step, tiny inputs", lambda: _err("x", False, T=1, L=0, K=1, scale=1e-4)),
    ("dx, one step", lambda: _err("x", False, T=1, L=0, K=1)),
    ("dx, loss on the last step only", lambda: _err("x", False, L=0, K=1, last_only=True)),
    ("dx, several taps", lambda: _err("x", False, L=2, K=3)),
    ("dy_init, one output tap", lambda: _err("y_init", False, K=1)),
    ("dy_init, several output taps", lambda: _err("y_init", False, K=3)),
])
if bad in ("dx, one step, tiny inputs", "dx, one step"):
    hint = "wrong already for one step, where closed and open loop coincide: make Part 4 pass first"
    if bad == "dx, one step":
        hint += "; right with tiny inputs only: did you multiply by the derivative of tanh, 1 - h**2?"
elif bad == "dx, loss on the last step only":
    hint = ("with only the last output scored, every earlier input must still get a gradient: in closed "
            "loop x[0] reaches y[T-1] through the chain of fed-back outputs. Did you add the gradient "
            "that comes back through the feedback to dy[t]?")
elif bad == "dx, several taps":
    hint = ("right with one tap but not with several: x[t] enters z[t], ..., z[t+L], and y[t] is fed "
            "back through every output tap")
elif bad == "dy_init, one output tap":
    hint = ("dx is right but dy_init is not: y[-1] is read at step 0, and delta[0] already holds "
            "everything that comes back from later steps")
elif bad == "dy_init, several output taps":
    hint = ("right for K = 1 but not for K = 3: y_init[j-1] is y[-j], read at every step t = k - j >= 0 "
            "through tap k")
case = _case(L=2, K=3)
check_gradient("dx (closed loop)", narx_forward, narx_backward, case, "x", hint=hint)
check_gradient("dy_init (closed loop)", narx_forward, narx_backward, case, "y_init", hint=hint)
case = _case(T=2, L=3, K=3)
hint = "T = 2 with L = 3 and K = 3: the taps reach further back than the sequence is long"
check_gradient("dx (closed loop, T = 2)", narx_forward, narx_backward, case, "x", hint=hint)
check_gradient("dy_init (closed loop, T = 2)", narx_forward, narx_backward, case, "y_init", hint=hint)
''')

nb.instructions("experiment_text", r"""
## Part 7: how far back does an error reach?

The cell below runs one small network ($L = 0$, $K = 1$) twice on the same input: in
closed loop, and in open loop with the closed-loop outputs as teacher values. The two
runs compute exactly the same numbers. It then scores only the last output,
$\mathbf{y}[T-1]$, and prints how strongly that error reaches each input,
$|\partial\,\mathbf{y}[T-1] / \partial\,\mathbf{x}[s]|$ for $s = 0, \dots, T-1$, using your
`narx_backward`. Run it, then answer the question below.
""")

nb.code('''
T = 10
case = _case(T=T, B=1, D=1, H=4, O=1, L=0, K=1, seed=3)
y_closed, cache_closed = narx_forward(**case)
y_open, cache_open = narx_forward(**case, y_teacher=y_closed)
print("same outputs in both modes:", np.allclose(y_open, y_closed))
score_last = np.zeros_like(y_closed)
score_last[-1] = 1.0
with np.printoptions(precision=1):
    print("closed loop:", np.abs(narx_backward(score_last, cache_closed)["x"]).ravel())
    print("open loop:  ", np.abs(narx_backward(score_last, cache_open)["x"]).ravel())
''')

nb.instructions("written_loop_question", r"""
**Question.** In the printout, the open-loop gradient is zero for every input except the
last, although both runs computed the same outputs. Explain why, and why the closed-loop
gradient is not zero. Then name one practical advantage of training in open loop, and one
risk of using a network trained that way in closed loop. Three to five sentences.

Write your answer in the next cell.
""")

nb.written_answer("written_loop", 1, """
In open loop the values fed back are teacher data: y[T-1] depends on x[T-1]
(L = 0) and on the teacher value d[T-2], which is a constant for the gradient, so no path
leads from y[T-1] to any earlier input. In closed loop the fed-back value is the network's
own output y[T-2], which depends on x[T-2] and y[T-3], and so on back to x[0]: the gradient
follows this chain of feedback and shrinks with every step. Open loop makes every step an
independent regression problem, so training is cheap, can be batched and shuffled, and
needs no backward pass through time. The risk is that the network never sees its own
imperfect outputs during training; run in closed loop, its errors are fed back and can
accumulate over many steps.
""")

path = nb.write()
print("wrote", path)
