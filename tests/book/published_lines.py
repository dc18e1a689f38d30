"""Solution lines the course publishes on purpose, each with the reason.

The leak test treats every significant line between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` as secret. A few such lines are also, legitimately, part of code
the course gives away: an equation of the book written in numpy, or a one-line gradient
that a later exercise's *given* helper must contain. They are listed here one by one,
so that every other solution line still counts as a leak wherever it appears.
"""

PUBLISHED = {
    '"b": dz.sum(axis=(0, 1)),':
        "the bias gradient of a recurrent layer, pooled over time and batch (ex05's "
        "solution); exercise 8 gives a one-direction backward pass that computes it",
    '"b_o": dy.sum(axis=(0, 1))}':
        "the output-bias gradient pooled over time and batch (ex06's solution); "
        "exercise 11 gives the small RNN's backward pass",
    'H = params["W_r1"].shape[0]':
        "reading the hidden size off the parameters; exercise 7's given forward pass",
    'L = num_layers(params)':
        "counting layers with the given helper; exercise 7's given forward pass",
    'return np.tanh(x_t @ W_c.T + h_prev @ W_r.T + b)':
        "the state equation (eq-rnn-layer) in numpy; exercise 9 gives the step whose "
        "Jacobian it asks for",
    'y[t] = h[t] @ W_o.T + b_o':
        "the output equation (eq-rnn-output) in numpy, in chapter 7's BPTT listing",
}
