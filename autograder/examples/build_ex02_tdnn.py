"""How solutions/ex02_tdnn/ex02_tdnn.ipynb was written: a worked example of autograder.authoring.

Run from the repository root to regenerate the notebook: .venv/bin/python autograder/examples/build_ex02_tdnn.py
"""

from autograder.authoring import SourceNotebook

nb = SourceNotebook("ex02_tdnn")

nb.instructions("intro", r"""
# Exercise 2: a time-delay layer

*Chapter 2, "Finite-response models", in the book.*

A time-delay layer of width $N$ looks at the current input and the $N$ before it:

$$
\mathbf{y}[t] = \tanh\Big(\sum_{k=0}^{N} \mathbf{W}[k]\,\mathbf{x}[t-k] + \mathbf{b}\Big),
\qquad \mathbf{x}[t] = \mathbf{0} \text{ for } t < 0 .
$$

You will write its forward pass and, above all, its backward pass, in numpy.

**Shapes.** Sequences are time-major: `x` is `(T, B, D)` (time steps, batch, features),
`W` is `(N+1, H, D)` with `W[k]` the `(H, D)` matrix applied to the input `k` steps ago,
`b` is `(H,)`, and `y` is `(T, B, H)`. With a batch of row vectors, $\mathbf{W}\mathbf{x}$
is `x @ W.T` in code.

| part | what | points |
|---|---|---|
| 1 | `shift`: delay a sequence by `k` steps | 1 |
| 2 | `tdnn_forward` | 2 |
| 3 | `tdnn_backward`: gradient of `W` | 3 |
| 4 | `tdnn_backward`: gradient of `b` | 1 |
| 5 | `tdnn_backward`: gradient of `x` | 3 |
| 6 | a short written answer | 1 |

Each part has a cell of visible tests: run it after writing your code. When a test
fails, its message says by how much, where the first wrong number is, and often a hint.
The grader also runs hidden tests on inputs you have not seen. Only numpy is allowed.
""")

nb.readonly("setup", """
import numpy as np
from rnncheck import check_shape, check_close, check_gradient, gradient_error, first_failure

rng = np.random.default_rng(0)
""")

nb.instructions("shift_text", r"""
## Part 1: delaying a sequence

Write `shift(x, k)`, which returns the sequence delayed by `k` steps: row `t` of the
result is `x[t - k]`, and rows `t < k` are zero. It works for any `k >= 0`, including
`k >= T` (all zeros). Do not modify `x`.
""")

nb.solution("shift_code", '''
def shift(x, k):
    """Return x delayed by k >= 0 steps along axis 0, zero-filled. Same shape as x."""
    ### BEGIN SOLUTION
    out = np.zeros_like(x)
    if k < len(x):
        out[k:] = x[:len(x) - k]
    return out
    ### END SOLUTION
''')

nb.tests("shift", 1, '''
x = np.arange(4.0).reshape(4, 1, 1)
check_close("shift(x, 0)", shift(x, 0), x)
check_close("shift(x, 1)", shift(x, 1), np.array([0.0, 0.0, 1.0, 2.0]).reshape(4, 1, 1),
            hint="row t of the result is x[t - k]; the first k rows are zero")
check_close("shift(x, 6)", shift(x, 6), np.zeros((4, 1, 1)), hint="k may exceed T")
assert np.array_equal(x.ravel(), [0.0, 1.0, 2.0, 3.0]), "shift must not modify its input"
''')

nb.instructions("forward_text", r"""
## Part 2: the forward pass

Write `tdnn_forward(x, W, b)`. It returns `y` and a `cache`: anything your backward pass
will need (a tuple or a dict, your choice). Use `shift` and one matmul per tap.
""")

nb.solution("forward_code", '''
def tdnn_forward(x, W, b):
    """Time-delay layer with tanh.

    x: (T, B, D), W: (N+1, H, D), b: (H,)  ->  y: (T, B, H), cache
    """
    ### BEGIN SOLUTION
    z = b + sum(shift(x, k) @ W[k].T for k in range(len(W)))
    y = np.tanh(z)
    cache = (x, W, y)
    return y, cache
    ### END SOLUTION
''')

nb.tests("tdnn_forward", 2, '''
# A hand-checkable case: one input, one unit, width N = 1.
x = np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1)
W = np.array([1.0, 0.5]).reshape(2, 1, 1)       # W[0] = 1, W[1] = 0.5
b = np.array([0.1])
y, _ = tdnn_forward(x, W, b)
check_shape("y", y, (3, 1, 1))
# z[0] = 1 + 0.1, z[1] = 2 + 0.5*1 + 0.1, z[2] = 3 + 0.5*2 + 0.1
check_close("y", y, np.tanh(np.array([1.1, 2.6, 4.1])).reshape(3, 1, 1),
            hint="y[t] = tanh(W[0] x[t] + W[1] x[t-1] + ... + b)")

# Finite response: an impulse at t = 0 affects only y[0..N].
T, B, D, H, N = 8, 2, 3, 4, 2
W = rng.standard_normal((N + 1, H, D))
b = np.zeros(H)
impulse = np.zeros((T, B, D))
impulse[0] = 1.0
y, _ = tdnn_forward(impulse, W, b)
check_shape("y", y, (T, B, H))
assert np.allclose(y[N + 1:], 0.0), "with b = 0, y[t] must be 0 for t > N after an impulse at t = 0"
assert not np.allclose(y[N], 0.0), "the impulse must still reach y[N] through tap W[N]"
''')

nb.instructions("backward_text", r"""
## Parts 3-5: the backward pass

Write `tdnn_backward(dy, cache)`. Given `dy`, the gradient of the loss with respect to
`y` (shape `(T, B, H)`), return a dict with the gradients `"W"` `(N+1, H, D)`, `"b"` `(H,)`
and `"x"` `(T, B, D)`.

Two facts to use:

* $\frac{d}{dz}\tanh(z) = 1 - \tanh(z)^2$, and you stored $\tanh(z)$ in the forward pass;
* the same `W[k]` is used at every time step, so its gradient collects a contribution
  from every step (and every sequence of the batch); likewise, `x[t]` reaches
  `y[t], y[t+1], ..., y[t+N]`.

The tests compare your gradients with numerical gradients of *your* forward pass, so
Part 2 must pass first.
""")

nb.solution("backward_code", '''
def tdnn_backward(dy, cache):
    """Backward pass of tdnn_forward. dy: (T, B, H) -> {"W", "b", "x"}."""
    ### BEGIN SOLUTION
    x, W, y = cache
    T, B, D = x.shape
    dz = dy * (1.0 - y * y)
    dW = np.stack([np.einsum("tbh,tbd->hd", dz, shift(x, k)) for k in range(len(W))])
    db = dz.sum(axis=(0, 1))
    dx = np.zeros_like(x)
    for k in range(min(len(W), T)):
        dx[:T - k] += dz[k:] @ W[k]
    return {"W": dW, "b": db, "x": dx}
    ### END SOLUTION
''')

nb.readonly("backward_helpers", '''
def _case(T=5, B=2, D=3, H=4, N=2, scale=1.0, seed=1):
    r = np.random.default_rng(seed)
    # scale shrinks every pre-activation: at scale 1e-4, tanh is linear to 1e-8.
    return {"x": scale * r.standard_normal((T, B, D)),
            "W": r.standard_normal((N + 1, H, D)) / np.sqrt((N + 1) * D),
            "b": 0.1 * scale * r.standard_normal(H)}

def _err(wrt, dy_mask=None, **shape):
    case = _case(**shape)
    dout = None
    if dy_mask is not None:
        dout = np.random.default_rng(7).standard_normal((case["x"].shape[0], case["x"].shape[1], case["W"].shape[1])) * dy_mask
    return gradient_error(tdnn_forward, tdnn_backward, case, wrt, dout=dout)[0]

def _tap_error(k, **shape):
    """Relative error of dW[k] alone."""
    case = _case(**shape)
    _, an, num = gradient_error(tdnn_forward, tdnn_backward, case, "W")
    return float(np.linalg.norm(an[k] - num[k]) / (np.linalg.norm(an[k]) + np.linalg.norm(num[k]) + 1e-300))
''')

nb.tests("tdnn_backward_W", 3, '''
hint = None
bad = first_failure([
    ("one step, one tap, tiny inputs", lambda: _err("W", T=1, N=0, scale=1e-4)),
    ("one step, one tap", lambda: _err("W", T=1, N=0)),
    ("several steps, one tap", lambda: _err("W", T=5, N=0)),
    ("tap k = 0", lambda: _tap_error(0)),
    ("taps k >= 1", lambda: max(_tap_error(k) for k in (1, 2))),
])
if bad == "one step, one tap, tiny inputs":
    hint = "even the simplest case is wrong: dW[0] pairs dz with x (outer product over H and D, summed over the batch)"
elif bad == "one step, one tap":
    hint = "right when tanh is nearly linear (tiny inputs) but wrong otherwise: did you multiply by the derivative of tanh, 1 - y**2?"
elif bad == "several steps, one tap":
    hint = "right for T = 1 but not for T > 1: W is shared by all time steps, so sum its gradient over every step"
elif bad == "taps k >= 1":
    hint = "dW[0] is right but dW[k] for k >= 1 is not: tap k multiplies x[t-k], so pair dz[t] with the shifted input"
check_gradient("dW", tdnn_forward, tdnn_backward, _case(), "W", hint=hint)
''')

nb.tests("tdnn_backward_b", 1, '''
hint = None
if _err("b", T=1, N=0, scale=1e-4) < 1e-6 and _err("b", T=1, N=0) > 1e-6:
    hint = "right when tanh is nearly linear (tiny inputs) but wrong otherwise: did you multiply by the derivative of tanh, 1 - y**2?"
elif _err("b", T=1, N=0) < 1e-6 and _err("b") > 1e-6:
    hint = "b is added at every step: sum its gradient over time as well as over the batch"
check_gradient("db", tdnn_forward, tdnn_backward, _case(), "b", hint=hint)
''')

nb.tests("tdnn_backward_x", 3, '''
hint = None
bad = first_failure([
    ("one tap", lambda: _err("x", N=0)),
    ("one tap, tiny inputs", lambda: _err("x", N=0, scale=1e-4)),
    ("several taps", lambda: _err("x", N=2)),
])
if bad == "one tap":
    hint = ("wrong already for N = 0 (dx[t] = dz[t] @ W[0])"
            + (": did you multiply by the derivative of tanh, 1 - y**2?" if _err("x", N=0, scale=1e-4) < 1e-6 else ""))
elif bad == "several taps":
    hint = ("right for N = 0 but not for N > 0: x[t] feeds y[t], y[t+1], ..., y[t+N], so dx[t] "
            "collects dz[t+k] @ W[k] for every tap k (note the direction of the shift)")
check_gradient("dx", tdnn_forward, tdnn_backward, _case(), "x", hint=hint)
''')

nb.instructions("written_text", r"""
## Part 6: in your own words

A trader uses your layer with $N = 4$ on daily prices. An unusual event moves the price
on Monday of week 1. Which outputs of the layer can the event change, and why can no
choice of weights make it affect the output three weeks later? Two or three sentences.
""")

nb.written_answer("written_width", 1, """
The event enters the layer as x[t] on that Monday and reaches only y[t], ..., y[t+4]
(that day and the next four trading days), because every output looks at exactly the
N + 1 = 5 most recent inputs. After that the input has left the window, so no weights
can make it matter: the layer has a finite response of width N.
""")

path = nb.write()
print("wrote", path)
