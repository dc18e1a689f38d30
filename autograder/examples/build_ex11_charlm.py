"""How solutions/ex11_charlm/ex11_charlm.ipynb was written (see build_ex02_tdnn.py).

Run from the repository root to regenerate the notebook:
.venv/bin/python autograder/examples/build_ex11_charlm.py

The training text, solutions/ex11_charlm/seattle_1891.txt, is a copy of
rnn_ref/corpora/seattle_1891.txt (public domain); it is shipped with the assignment
because students do not have rnn_ref.
"""

import shutil

from autograder.authoring import SourceNotebook
from autograder.course import REPO, SOLUTIONS

nb = SourceNotebook("ex11_charlm")

nb.instructions("intro", r"""
# Exercise 11: a character-level language model

*Chapter 11 of the book, "A character-level language model".*

A character-level language model reads a text one character at a time and, at every
step, predicts the next character: the input at step $t$ is character $t$ as a one-hot
vector, the output $\mathbf{y}[t]$ holds one score (logit) per character of the vocabulary,
and the softmax turns the scores into probabilities. Training minimizes the
cross-entropy of the true next characters; sampling from the probabilities, one character
after the other, writes new text.

The recurrent network itself is **given** in this exercise (a tanh RNN with a linear
read-out, forward and backward). You write everything around it: the encoding of the
text, a numerically stable softmax, the cross-entropy loss *and its gradient* (which is
what drives the network's backward pass), sampling with a temperature, and the batching
of a long text for truncated backpropagation through time. At the end you train the model
for a few seconds on a newspaper article of 1891 and let it write.

**Learning goals.** After this exercise you can

* encode a text as indices and one-hot vectors, and decode indices back to text;
* compute the softmax and the log-softmax without overflow or `log(0)`;
* write the softmax cross-entropy over a batch of sequences (summed over time, averaged
  over the batch, with a mask) and its gradient, softmax minus one-hot;
* explain what the sampling temperature does to the distribution;
* cut a long text into parallel streams of windows for truncated BPTT, and train a small
  language model with your code.

Expect to spend two to three hours.

**Shapes.** Time-major, as in the book: `T` steps, `B` sequences, `V` characters in the
vocabulary. Character indices are int arrays `(T, B)`, one-hot inputs and logits are
`(T, B, V)`.

| part | what | points |
|---|---|---|
| 1 | `make_vocabulary`, `encode`, `decode` | 1 |
| 2 | `one_hot` | 1 |
| 3 | `softmax` | 1 |
| 4 | `cross_entropy`: the loss | 2 |
| 5 | `cross_entropy`: the gradient | 2 |
| 6 | `sampling_probs`: temperature | 1 |
| 7 | `stream_windows`: batches for truncated BPTT | 2 |
| 8 | `lm_step`: loss and gradients of the language model | 1 |
| 9 | training and sampling (run it), and a short written answer | 1 |

**How the tests work.** Each part has a cell of visible tests: run it after writing your
code. When a test fails, its message says by how much, where the first wrong number is,
and often a hint. The grader also runs hidden tests on inputs you have not seen, of other
shapes (including `T = 1` and `B = 1`). Only numpy is allowed.
""")

nb.readonly("setup", '''
import numpy as np
from rnncheck import check_shape, check_close, check_gradient, gradient_error, rel_error

rng = np.random.default_rng(0)
''')

nb.instructions("vocab_text", r"""
## Part 1: from text to indices and back

The **vocabulary** is the sorted list of the distinct characters of the training text;
a character is represented by its position in that list. For the lecture's example
"hello" the vocabulary is `['e', 'h', 'l', 'o']` (the lecture lists it as h, e, l, o;
we sort, so that the same text always gives the same vocabulary).

Write

* `make_vocabulary(text)`: the sorted list of the distinct characters of the string `text`;
* `encode(text, chars)`: an int array `(len(text),)` with the index in `chars` of every
  character of `text`;
* `decode(indices, chars)`: the string spelled by an int array of indices (of any shape,
  read in order).
""")

nb.solution("vocab_code", '''
def make_vocabulary(text):
    """text: str  ->  chars: sorted list of the V distinct characters of text."""
    ### BEGIN SOLUTION
    return sorted(set(text))
    ### END SOLUTION


def encode(text, chars):
    """text: str, chars: list of V characters  ->  (len(text),) int array of indices."""
    ### BEGIN SOLUTION
    position = {c: k for k, c in enumerate(chars)}
    return np.array([position[c] for c in text], dtype=np.int64)
    ### END SOLUTION


def decode(indices, chars):
    """indices: int array of any shape, chars: list of V characters  ->  str."""
    ### BEGIN SOLUTION
    return "".join(chars[int(k)] for k in np.ravel(indices))
    ### END SOLUTION
''')

nb.tests("vocabulary", 1, '''
chars = make_vocabulary("hello")
assert isinstance(chars, list) and chars == ["e", "h", "l", "o"], \\
    f"make_vocabulary('hello') should be ['e', 'h', 'l', 'o'] (sorted, no repeats), got {chars!r}"
codes = encode("hello", chars)
check_shape('encode("hello", chars)', codes, (5,))
assert np.issubdtype(codes.dtype, np.integer), f"encode should return integers, got {codes.dtype}"
check_close('encode("hello", chars)', codes, np.array([1, 0, 2, 2, 3]),
            hint="each character is replaced by its position in chars")
assert decode(np.array([1, 0, 2, 2, 3]), chars) == "hello", "decode should invert encode"
assert decode(np.array([[3], [0]]), chars) == "oe", "decode reads an array of any shape in order"
text = "Seattle, June 16, 1891."
assert decode(encode(text, make_vocabulary(text)), make_vocabulary(text)) == text
''')

nb.instructions("one_hot_text", r"""
## Part 2: one-hot vectors

Write `one_hot(indices, V)`: a float array of shape `indices.shape + (V,)` that is 1 at
position `indices[...]` along the last axis and 0 elsewhere. It must work for any shape
of `indices`, e.g. `(n,)` or `(T, B)`. (Try to do it without a Python loop.)
""")

nb.solution("one_hot_code", '''
def one_hot(indices, V):
    """indices: int array of any shape S, V: int  ->  float array of shape S + (V,)."""
    ### BEGIN SOLUTION
    return (np.asarray(indices)[..., None] == np.arange(V)).astype(np.float64)
    ### END SOLUTION
''')

nb.tests("one_hot", 1, '''
x = one_hot(np.array([1, 0, 2, 2]), 4)        # "hell" with the vocabulary e, h, l, o
check_shape("one_hot(indices, 4)", x, (4, 4))
check_close("one_hot(indices, 4)", x, np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]]))
batch = np.array([[0, 3], [2, 1], [1, 1]])    # (T, B) = (3, 2)
x = one_hot(batch, 5)
check_shape("one_hot(batch, 5)", x, (3, 2, 5))
check_close("one_hot(batch, 5).sum(axis=-1)", x.sum(axis=-1), np.ones((3, 2)))
check_close("one_hot(batch, 5).argmax(axis=-1)", x.argmax(axis=-1), batch)
''')

nb.instructions("softmax_text", r"""
## Part 3: a stable softmax

$$
\mathrm{softmax}(\mathbf{z})_k = \frac{e^{z_k}}{\sum_j e^{z_j}}
$$

Write `softmax(z)` along the **last** axis of an array of any shape. Computed literally,
`np.exp(1000.0)` is `inf` and the result is `nan`. Because the softmax does not change when
the same constant is added to every entry, subtract the largest entry of each row first:
then every exponent is at most 0 and nothing overflows.

The lecture's example is a good check: with its (untrained) weights, after reading "he" the
network outputs the scores $\mathbf{y} = (1.906, 1.138, 0.957, 1.274)$ for (h, e, l, o), which the
softmax turns into the probabilities $(0.420, 0.195, 0.162, 0.223)$.
""")

nb.solution("softmax_code", '''
def softmax(z):
    """Softmax along the last axis. z: any shape  ->  same shape, rows summing to 1."""
    ### BEGIN SOLUTION
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION
''')

nb.tests("softmax", 1, '''
y = np.array([1.90607732, 1.13779113, 0.95666016, 1.27422602])   # the lecture's scores
p = softmax(y)
check_shape("softmax(y)", p, (4,))
check_close("softmax(y) (the lecture's example)", p, np.array([0.419748, 0.194682, 0.162429, 0.223141]),
            tol=1e-5)
z = rng.standard_normal((2, 3, 5))
p = softmax(z)
check_shape("softmax(z)", p, (2, 3, 5))
check_close("softmax(z).sum(axis=-1)", p.sum(axis=-1), np.ones((2, 3)),
            hint="normalize along the last axis only")
big = softmax(np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]))
check_close("softmax of large logits", big, softmax(np.array([[0.0, 1.0, 2.0], [0.0, -1.0, -2.0]])),
            hint=("exp(1000) overflows to inf: subtract the largest entry of each row before "
                  "taking exponentials"))
''')

nb.instructions("ce_text", r"""
## Parts 4 and 5: the cross-entropy loss and its gradient

The network's logits $\mathbf{y}[t]$ (one row of `logits` `(T, B, V)` per step and sequence)
are scored against the index $d[t]$ of the true next character (`targets` `(T, B)`). As in
the book, the divergence is **summed over time and averaged over the batch**, and an
optional `mask` `(T, B)` of 0/1 weights says which steps count:

$$
\mathrm{DIV} = \frac{1}{B}\sum_{b=0}^{B-1}\sum_{t=0}^{T-1} m[t, b]\,
\Big(-\log \mathrm{softmax}\big(\mathbf{y}[t, b]\big)_{d[t, b]}\Big),
\qquad
\frac{\partial\,\mathrm{DIV}}{\partial\,\mathbf{y}[t, b]}
= \frac{m[t, b]}{B}\Big(\mathrm{softmax}\big(\mathbf{y}[t, b]\big) - \mathrm{onehot}\big(d[t,b]\big)\Big).
$$

Write `cross_entropy(logits, targets, mask=None)`, returning the pair `(loss, dlogits)`:
`loss` a Python float and `dlogits` `(T, B, V)`. `mask=None` means every step counts.

Compute the log-probabilities with the **log-sum-exp** trick,
$\log\mathrm{softmax}(\mathbf{z})_k = (z_k - M) - \log\sum_j e^{z_j - M}$ with $M = \max_j z_j$,
not as `np.log(softmax(z))`: when a probability underflows to 0 (a logit 800 below the
largest, say) the latter is `log(0) = -inf`. You may use your `softmax` for the gradient.
""")

nb.solution("ce_code", '''
def cross_entropy(logits, targets, mask=None):
    """Softmax cross-entropy, summed over time and averaged over the batch.

    logits: (T, B, V), targets: (T, B) int, mask: (T, B) of 0/1 or None
    ->  loss: float, dlogits: (T, B, V)
    """
    ### BEGIN SOLUTION
    T, B, V = logits.shape
    weight = np.ones((T, B)) if mask is None else np.asarray(mask, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))   # log-softmax
    t_idx, b_idx = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    loss = -(weight * logp[t_idx, b_idx, targets]).sum() / B
    dlogits = softmax(logits)
    dlogits[t_idx, b_idx, targets] -= 1.0
    dlogits *= weight[..., None] / B
    return float(loss), dlogits
    ### END SOLUTION
''')

nb.readonly("ce_helpers", '''
def _ce_case(T=3, B=2, V=5, masked=False, seed=5):
    r = np.random.default_rng(seed)
    mask = None
    if masked:
        mask = np.ones((T, B))
        mask[0] = 0.0                    # the first step of every sequence is not scored
        mask[-1, -1] = 0.0
    return {"logits": 2.0 * r.standard_normal((T, B, V)),
            "targets": r.integers(V, size=(T, B)),
            "mask": mask}


def _ce_fwd(logits, targets, mask):
    loss, dlogits = cross_entropy(logits, targets, mask)
    return np.array(float(loss)), dlogits


def _ce_bwd(dout, dlogits):
    return {"logits": dout * dlogits}


def _ce_err(**kw):
    """Relative error of your dlogits against central differences of your loss."""
    return gradient_error(_ce_fwd, _ce_bwd, _ce_case(**kw), "logits", dout=np.array(1.0))[0]
''')

nb.tests("cross_entropy_loss", 2, '''
# The lecture's example: after "he", the probability of "l" is 0.162429, so the loss is -log of it.
y = np.array([1.90607732, 1.13779113, 0.95666016, 1.27422602]).reshape(1, 1, 4)
loss, dlogits = cross_entropy(y, np.array([[2]]))
check_shape("dlogits", dlogits, (1, 1, 4))
check_close("loss (the lecture's example)", np.array(float(loss)), np.array(-np.log(0.162429)), tol=1e-5,
            hint="the loss of one step is minus the log-probability of the target character")

# Uniform predictions: every step costs log V; steps add up, sequences are averaged.
T, B, V = 3, 2, 5
targets = np.array([[0, 1], [2, 3], [4, 0]])
loss, _ = cross_entropy(np.zeros((T, B, V)), targets)
hint = None
if np.isclose(loss, np.log(V)):
    hint = "the loss is summed over time (it is the divergence of whole sequences), not averaged"
elif np.isclose(loss, T * B * np.log(V)):
    hint = "the loss is averaged over the batch: divide the sum by B"
check_close("loss (uniform predictions)", np.array(float(loss)), np.array(T * np.log(V)), hint=hint)
mask = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
loss, _ = cross_entropy(np.zeros((T, B, V)), targets, mask)
check_close("loss (with a mask)", np.array(float(loss)), np.array(3 * np.log(V) / B),
            hint="steps with mask 0 do not count; still divide by the batch size B")

# A probability that underflows: the target's logit is 800 below the largest.
loss, _ = cross_entropy(np.array([[[0.0, 800.0]]]), np.array([[0]]))
hint = ("log(softmax(...)) is log(0) = -inf when a probability underflows: compute the "
        "log-probabilities with the log-sum-exp trick, (z - max) - log(sum(exp(z - max)))")
assert np.isfinite(loss), "the loss is not finite for logits (0, 800) and target 0\\nHint: " + hint
check_close("loss (logits 0 and 800, target 0)", np.array(float(loss)), np.array(800.0), hint=hint)
''')

nb.tests("cross_entropy_gradient", 2, '''
# One step, one sequence, by hand: softmax minus one-hot.
y = np.array([1.90607732, 1.13779113, 0.95666016, 1.27422602]).reshape(1, 1, 4)
_, dlogits = cross_entropy(y, np.array([[2]]))
check_shape("dlogits", dlogits, (1, 1, 4))
check_close("dlogits (the lecture's example)", dlogits,
            np.array([0.419748, 0.194682, 0.162429 - 1.0, 0.223141]).reshape(1, 1, 4), tol=1e-5,
            hint="dDIV/dy = softmax(y) - onehot(target) for one step of one sequence")
hint = None
uniform_loss = cross_entropy(np.zeros((3, 2, 5)), np.array([[0, 1], [2, 3], [4, 0]]))[0]
if not np.isclose(uniform_loss, 3 * np.log(5.0)):
    hint = ("your loss fails its tests (Part 4): fix it first, the gradient check "
            "differentiates your loss")
elif _ce_err(B=1) <= 1e-6 and not _ce_err(B=3) <= 1e-6:
    hint = ("right for B = 1 but not for B = 3: the loss is averaged over the batch, so its "
            "gradient is divided by B as well")
elif _ce_err(masked=False) <= 1e-6 and not _ce_err(masked=True) <= 1e-6:
    hint = "right without a mask but not with one: steps with mask 0 contribute no gradient"
check_gradient("dlogits", _ce_fwd, _ce_bwd, _ce_case(B=3), "logits", dout=np.array(1.0), hint=hint)
check_gradient("dlogits (with a mask)", _ce_fwd, _ce_bwd, _ce_case(masked=True), "logits",
               dout=np.array(1.0), hint=hint)
''')

nb.instructions("temperature_text", r"""
## Part 6: sampling with a temperature

To write text, the model samples the next character from its predicted distribution.
Dividing the logits by a **temperature** $\tau > 0$ before the softmax reshapes that
distribution without changing the order of the characters:

$$
p_k(\tau) = \mathrm{softmax}\big(\mathbf{y}/\tau\big)_k .
$$

$\tau = 1$ is the model's own distribution, $\tau < 1$ sharpens it towards the most likely
character (greedy as $\tau \to 0$), and $\tau > 1$ flattens it towards uniform. Write
`sampling_probs(logits, temperature)` for logits of shape `(V,)` or `(B, V)`. The draw
itself is given below (`sample_next`); the tests check your probabilities, not random draws.
""")

nb.solution("temperature_code", '''
def sampling_probs(logits, temperature):
    """Probabilities for sampling at a temperature. logits: (V,) or (B, V) -> same shape."""
    ### BEGIN SOLUTION
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)
    ### END SOLUTION
''')

nb.readonly("sampling_helper", '''
def sample_next(logits, temperature, rng):
    """Draw one character index from sampling_probs(logits, temperature) (given). logits: (V,)."""
    p = sampling_probs(logits, temperature)
    return int(rng.choice(len(p), p=p))
''')

nb.tests("sampling_probs", 1, '''
y = np.array([0.0, np.log(2.0)])               # at temperature 1: probabilities 1/3 and 2/3
p = sampling_probs(y, 1.0)
check_shape("sampling_probs(y, 1.0)", p, (2,))
check_close("sampling_probs(y, 1.0)", p, np.array([1 / 3, 2 / 3]))
p = sampling_probs(y, 0.5)
hint = "divide the logits by the temperature, before the softmax"
if not np.isclose(np.sum(p), 1.0):
    hint = ("your probabilities do not sum to 1: the temperature divides the logits, before "
            "the softmax, not the probabilities after it")
elif p[1] < 2 / 3:
    hint = "a temperature below 1 must sharpen the distribution: divide the logits by it"
check_close("sampling_probs(y, 0.5)", p, np.array([1 / 5, 4 / 5]), hint=hint)
check_close("sampling_probs(y, 2.0)", sampling_probs(y, 2.0),
            np.array([1.0, np.sqrt(2.0)]) / (1.0 + np.sqrt(2.0)), hint=hint)
batch = sampling_probs(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), 0.001)
check_close("sampling_probs at temperature 0.001 (nearly greedy)", batch,
            np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
            hint=("at a low temperature logits / temperature are huge (here 3000): your "
                  "softmax must subtract the largest entry first"))
''')

nb.instructions("windows_text", r"""
## Part 7: batches for truncated backpropagation through time

A text of $N$ characters is far too long for one backward pass. We cut it into $B$
**streams**, contiguous pieces read side by side as the $B$ sequences of a batch, and read
the streams $T$ steps at a time. Each window's final state is the next window's initial
state, but the gradient stops at the window's border (truncated BPTT).

With `indices` the encoded text, let $L = \lfloor (N-1)/B \rfloor$. Stream $b$ is
`indices[b*L : (b+1)*L + 1]` ($L+1$ characters: the last one of stream $b$ is the first
of stream $b+1$, needed as the final target). Window $k = 0, 1, \dots$ starts at step
$kT$ of every stream and exists while $kT + T \le L$. Its `inputs` are steps
$kT, \dots, kT+T-1$ of the $B$ streams, as a `(T, B)` array (column $b$ is stream $b$),
and its `targets` are the characters one step later.

For example, `indices = np.arange(13)`, `T = 3`, `B = 2` gives $L = 6$, the streams
0, ..., 6 and 6, ..., 12, and two windows:

| window | `inputs` (rows are steps) | `targets` |
|---|---|---|
| 0 | `[[0, 6], [1, 7], [2, 8]]` | `[[1, 7], [2, 8], [3, 9]]` |
| 1 | `[[3, 9], [4, 10], [5, 11]]` | `[[4, 10], [5, 11], [6, 12]]` |

Write `stream_windows(indices, T, B)`, returning the list of `(inputs, targets)` pairs.
""")

nb.solution("windows_code", '''
def stream_windows(indices, T, B):
    """indices: (N,) int, T, B: int  ->  list of (inputs, targets), each a (T, B) int array."""
    ### BEGIN SOLUTION
    L = (len(indices) - 1) // B
    streams = np.stack([indices[b * L:b * L + L + 1] for b in range(B)], axis=1)   # (L+1, B)
    return [(streams[k:k + T], streams[k + 1:k + T + 1]) for k in range(0, L - T + 1, T)]
    ### END SOLUTION
''')

nb.tests("stream_windows", 2, '''
pairs = list(stream_windows(np.arange(13), 3, 2))
hint = None
if len(pairs) > 2:
    hint = ("consecutive windows must continue each other without overlap: window k starts "
            "at step k*T of every stream")
assert len(pairs) == 2, (f"stream_windows(np.arange(13), 3, 2) should give 2 windows, got "
                         f"{len(pairs)}" + (f"\\nHint: {hint}" if hint else ""))
(in0, tg0), (in1, tg1) = pairs
check_shape("inputs of window 0", in0, (3, 2))
check_shape("targets of window 0", tg0, (3, 2))
if not (np.array_equal(in0[:, 0], [0, 1, 2]) and np.array_equal(in0[:, 1], [6, 7, 8])):
    hint = ("column b of every window must be a contiguous piece of the text that starts at "
            "character b*L (here L = 6: stream 0 reads 0, 1, ..., 6 and stream 1 reads "
            "6, 7, ..., 12)")
check_close("inputs of window 0", in0, np.array([[0, 6], [1, 7], [2, 8]]), hint=hint)
if np.array_equal(tg0, in0):
    hint = "the targets are the next characters: targets[t] = inputs[t + 1] along each stream"
check_close("targets of window 0", tg0, np.array([[1, 7], [2, 8], [3, 9]]), hint=hint)
check_close("inputs of window 1", in1, np.array([[3, 9], [4, 10], [5, 11]]), hint=hint)
check_close("targets of window 1", tg1, np.array([[4, 10], [5, 11], [6, 12]]), hint=hint)
# A longer text: every window continues the previous one.
pairs = list(stream_windows(rng.integers(20, size=200), 7, 4))
assert len(pairs) == (199 // 4) // 7, f"expected {(199 // 4) // 7} windows of T = 7, got {len(pairs)}"
for k in range(1, len(pairs)):
    check_close(f"inputs[0] of window {k}", pairs[k][0][0], pairs[k - 1][1][-1],
                hint="window k must start where window k-1 ended")
''')

nb.instructions("model_text", r"""
## Part 8: the language model's loss and gradients

The network is given below: `rnn_forward(x, params, h_init)` runs a tanh RNN over one-hot
inputs `x` `(T, B, V)` and returns the logits `(T, B, V)` and a cache;
`rnn_backward(dy, cache)` turns the gradient at the logits into the gradients of the five
parameters; `final_state(cache)` is the state after the last step. The parameters are
`W_c` `(H, V)`, `W_r` `(H, H)`, `b` `(H,)`, `W_o` `(V, H)` and `b_o` `(V,)`:

$$
\mathbf{h}[t] = \tanh\big(\mathbf{W}_c\,\mathbf{x}[t] + \mathbf{W}_r\,\mathbf{h}[t-1] + \mathbf{b}\big),
\qquad \mathbf{y}[t] = \mathbf{W}_o\,\mathbf{h}[t] + \mathbf{b}_o .
$$

Write `lm_step(params, inputs, targets, h_init)`: encode the `(T, B)` int `inputs` as
one-hot vectors, run the network, score its logits against `targets` with your
`cross_entropy`, and backpropagate. Return `(loss, grads, h_last)`: the loss (a float),
the dict of parameter gradients, and the final state `(B, H)` to start the next window.
""")

nb.readonly("given_rnn", '''
def rnn_forward(x, params, h_init):
    """Tanh RNN with a linear read-out (given).

    x: (T, B, V) one-hot, params: W_c (H, V), W_r (H, H), b (H,), W_o (V, H), b_o (V,),
    h_init: (B, H)  ->  logits (T, B, V), cache
    """
    states = np.empty((len(x) + 1,) + h_init.shape)
    states[0] = h_init
    for t, x_t in enumerate(x):
        states[t + 1] = np.tanh(x_t @ params["W_c"].T + states[t] @ params["W_r"].T + params["b"])
    logits = states[1:] @ params["W_o"].T + params["b_o"]
    return logits, (x, states, params)


def rnn_backward(dy, cache):
    """Gradients of the five parameters from dy = dDIV/dlogits (T, B, V) (given)."""
    x, states, p = cache
    grads = {"W_o": np.einsum("tbv,tbh->vh", dy, states[1:]), "b_o": dy.sum(axis=(0, 1))}
    dpre = np.empty_like(states[1:])                  # gradient at the tanh's input
    carried = np.zeros_like(states[0])                # gradient arriving from step t+1
    for t in range(len(x) - 1, -1, -1):
        dpre[t] = (dy[t] @ p["W_o"] + carried) * (1.0 - states[t + 1] ** 2)
        carried = dpre[t] @ p["W_r"]
    grads["W_c"] = np.einsum("tbh,tbv->hv", dpre, x)
    grads["W_r"] = np.einsum("tbh,tbk->hk", dpre, states[:-1])
    grads["b"] = dpre.sum(axis=(0, 1))
    return grads


def final_state(cache):
    """The state after the last step, (B, H) (given)."""
    return cache[1][-1]


def _lm_params(V=4, H=3, scale=0.5, seed=6):
    r = np.random.default_rng(seed)
    return {"W_c": scale * r.standard_normal((H, V)), "W_r": scale * r.standard_normal((H, H)),
            "b": scale * r.standard_normal(H), "W_o": scale * r.standard_normal((V, H)),
            "b_o": scale * r.standard_normal(V)}
''')

nb.solution("model_code", '''
def lm_step(params, inputs, targets, h_init):
    """Loss and gradients of the language model on one window.

    params: dict (see above), inputs, targets: (T, B) int, h_init: (B, H)
    ->  loss: float, grads: dict with the keys of params, h_last: (B, H)
    """
    ### BEGIN SOLUTION
    V = params["W_o"].shape[0]
    logits, cache = rnn_forward(one_hot(inputs, V), params, h_init)
    loss, dlogits = cross_entropy(logits, targets)
    return loss, rnn_backward(dlogits, cache), final_state(cache)
    ### END SOLUTION
''')

nb.tests("lm_step", 1, '''
hint = None
if not _ce_err(B=3) <= 1e-6:
    hint = "cross_entropy fails its tests (Parts 4-5): fix it first"
inputs = encode("hell", ["e", "h", "l", "o"])[:, None]       # (T, B) = (4, 1)
targets = encode("ello", ["e", "h", "l", "o"])[:, None]
zero = {k: np.zeros_like(v) for k, v in _lm_params().items()}
loss, grads, h_last = lm_step(zero, inputs, targets, np.zeros((1, 3)))
check_shape("h_last", h_last, (1, 3))
check_close("loss with all parameters zero (4 steps, each log 4)", np.array(float(loss)),
            np.array(4 * np.log(4.0)), hint=hint)
assert sorted(grads) == sorted(zero), f"grads should have the keys {sorted(zero)}, got {sorted(grads)}"

params = _lm_params()
inputs = np.array([[1, 0], [0, 2], [2, 2], [2, 3]])           # (T, B) = (4, 2)
targets = np.array([[0, 2], [2, 2], [2, 3], [3, 0]])
h_init = 0.3 * np.ones((2, 3))
loss, grads, h_last = lm_step(params, inputs, targets, h_init)
for name in ("W_c", "W_o", "b_o"):
    def f():
        return float(lm_step(params, inputs, targets, h_init)[0])
    num = np.zeros_like(params[name])
    for idx in np.ndindex(num.shape):
        old = params[name][idx]
        params[name][idx] = old + 1e-6
        up = f()
        params[name][idx] = old - 1e-6
        num[idx] = (up - f()) / 2e-6
        params[name][idx] = old
    check_close(f'grads["{name}"]', grads[name], num, hint=hint or
                "the gradient of your loss must drive rnn_backward: pass it dDIV/dlogits")
check_close("h_last", h_last, final_state(rnn_forward(one_hot(inputs, 4), params, h_init)[1]),
            hint="return the state after the last step, final_state(cache)")
''')

nb.instructions("training_text", r"""
## Part 9: train it and let it write

The next cell trains the model with your functions on the front page of the *Seattle
Press-Times* of 16 June 1891 (`seattle_1891.txt`, about 8800 characters), carrying the
state from window to window, with gradients clipped to a global norm of 5 and Adagrad
steps. It takes a few seconds and prints the average loss per character for each pass
over the text: it starts near $\log V$ (uniform guessing) and should fall well below it.
The cell after it lets the model write at three temperatures. Feel free to change the
settings (more epochs, a larger `H`) and run the cells again.
""")

nb.code('''
with open("seattle_1891.txt", encoding="utf-8") as f:
    text = f.read()
chars = make_vocabulary(text)
data = encode(text, chars)
V, H, T, B = len(chars), 64, 25, 16
print(f"{len(text)} characters, vocabulary of V = {V}; log V = {np.log(V):.2f}")

r = np.random.default_rng(1)
k = 1.0 / np.sqrt(H)
params = {"W_c": r.uniform(-k, k, (H, V)), "W_r": r.uniform(-k, k, (H, H)), "b": np.zeros(H),
          "W_o": r.uniform(-k, k, (V, H)), "b_o": np.zeros(V)}
sum_sq = {name: np.zeros_like(p) for name, p in params.items()}    # Adagrad's memory
lr, max_norm = 0.1, 5.0
for epoch in range(20):
    h, per_char = np.zeros((B, H)), []
    for inputs, targets in stream_windows(data, T, B):
        loss, grads, h = lm_step(params, inputs, targets, h)
        norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
        scale = min(1.0, max_norm / norm)                          # clip by global norm
        for name, g in grads.items():
            g = g * scale
            sum_sq[name] += g * g
            params[name] -= lr * g / (np.sqrt(sum_sq[name]) + 1e-8)
        per_char.append(loss / T)
    print(f"epoch {epoch + 1}: loss per character {np.mean(per_char):.3f}")
''')

nb.readonly("generate_helper", '''
def generate(params, chars, start, n, temperature, rng):
    """Read the text start, then sample n characters, feeding each one back in (given)."""
    V = len(chars)
    x = one_hot(encode(start, chars)[:, None], V)                  # (len(start), 1, V)
    logits, cache = rnn_forward(x, params, np.zeros((1, params["W_r"].shape[0])))
    out = []
    for _ in range(n):
        k = sample_next(logits[-1, 0], temperature, rng)
        out.append(k)
        logits, cache = rnn_forward(one_hot(np.array([[k]]), V), params, final_state(cache))
    return start + decode(np.array(out), chars)
''')

nb.code('''
for tau in (0.3, 1.0, 1.5):
    print(f"--- temperature {tau}")
    print(generate(params, chars, "The ", 160, tau, np.random.default_rng(2)))
''')

nb.instructions("written_text", r"""
### Written answer

Compare the three samples. What does a low temperature do to the text, and what does a
high one do, and why (refer to what the temperature does to the distribution)? Then explain
in one or two sentences why the training loop passes the final state `h` of one window
as the initial state of the next, and what the model cannot learn because the gradient
stops at the window's border.
""")

nb.written_answer("written_temperature", 1, """
At temperature 0.3 the distribution is sharpened towards the most likely character, so
the text repeats frequent words and letter patterns ("the ", "of the ") and loops; it
looks safe but monotonous. At 1.5 the distribution is flattened towards uniform, so
unlikely characters are drawn often and the words fall apart into rare letter
combinations and punctuation. Temperature 1 samples the model's own distribution, in
between. Passing the final state on means that each window starts with the memory of
the text before it, as the continuous streams require, instead of from a blank state;
but since no gradient crosses the border, the model is never trained to store
information for longer than T = 25 steps on purpose.
""")

path = nb.write()
shutil.copyfile(REPO / "rnn_ref" / "corpora" / "seattle_1891.txt",
                SOLUTIONS / "ex11_charlm" / "seattle_1891.txt")
print("wrote", path)
