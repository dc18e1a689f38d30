_CELL_BACKWARD = {"lstm_cell_backward_params", "lstm_cell_backward_inputs"}
_SEQ_BACKWARD = {"lstm_backward_params", "lstm_backward_inputs"}
_FIX_CELL_FIRST = {gid: "fix it first" for gid in _SEQ_BACKWARD}

BUGS = [
    dict(name="forget-gate gradient dropped",
         replace=[("da_f = ds_total * s_prev * f * (1.0 - f)", "da_f = np.zeros_like(f)")],
         lost=_CELL_BACKWARD | _SEQ_BACKWARD,
         message={**{gid: "forget-gate block" for gid in _CELL_BACKWARD}, **_FIX_CELL_FIRST}),
    dict(name="sigmoid derivative wrong",
         replace=[("i * (1.0 - i)", "(1.0 - i * i)"), ("f * (1.0 - f)", "(1.0 - f * f)"),
                  ("o * (1.0 - o)", "(1.0 - o * o)")],
         lost=_CELL_BACKWARD | _SEQ_BACKWARD,
         message={**{gid: "derivative of the sigmoid" for gid in _CELL_BACKWARD},
                  **_FIX_CELL_FIRST}),
    dict(name="output gate applied to s instead of tanh(s)",
         replace=[("h = o * tanh_s", "h = o * s")],
         lost={"lstm_cell_forward", "lstm_forward"} | _CELL_BACKWARD
              | {"lstm_cell_backward_s_prev"} | _SEQ_BACKWARD,
         message={"lstm_cell_forward": "multiplies tanh(s[t]), not s[t]",
                  "lstm_cell_backward_params": "fix it first", "lstm_forward": "fix it first"}),
    dict(name="path from h[t] to s[t] missing",
         replace=[("ds_total = ds + dh * o * (1.0 - tanh_s * tanh_s)", "ds_total = ds")],
         lost=_CELL_BACKWARD | {"lstm_cell_backward_s_prev"} | _SEQ_BACKWARD,
         message={"lstm_cell_backward_params": "what arrives from h[t]",
                  "lstm_cell_backward_s_prev": "total* gradient at s[t]"}),
    dict(name="cell-state gradient not multiplied by f",
         replace=[('"s_prev": ds_total * f}', '"s_prev": ds_total}')],
         lost={"lstm_cell_backward_s_prev"} | _SEQ_BACKWARD,
         message={"lstm_cell_backward_s_prev": "ds[t]/ds[t-1] = f", **_FIX_CELL_FIRST}),
    dict(name="cell-state gradient not carried through time",
         replace=[("lstm_cell_backward(dh[t] + dh_next, ds_next, cache[t])",
                   "lstm_cell_backward(dh[t] + dh_next, np.zeros_like(ds_next), cache[t])")],
         lost=_SEQ_BACKWARD,
         message="carry the cell state's gradient"),
    dict(name="gradient from the next step not added",
         replace=[("lstm_cell_backward(dh[t] + dh_next, ds_next, cache[t])",
                   "lstm_cell_backward(dh[t], ds_next, cache[t])")],
         lost=_SEQ_BACKWARD,
         message="must be added"),
    dict(name="computes in float32",
         replace=[("    H = h_prev.shape[1]\n    a = x @ W_x.T",
                   "    x, h_prev, s_prev, W_x, W_h, b = (np.asarray(v, dtype=np.float32)\n"
                   "                                      for v in (x, h_prev, s_prev, W_x, W_h, b))\n"
                   "    H = h_prev.shape[1]\n    a = x @ W_x.T")],
         lost={"lstm_cell_forward", "lstm_forward"} | _CELL_BACKWARD
              | {"lstm_cell_backward_s_prev"} | _SEQ_BACKWARD,
         message={"lstm_cell_forward": "compute in float64"}),
    dict(name="input and forget gates swapped, in both passes",
         replace=[("i = sigmoid(a[:, :H])\n    f = sigmoid(a[:, H:2 * H])",
                   "f = sigmoid(a[:, :H])\n    i = sigmoid(a[:, H:2 * H])"),
                  ("np.concatenate([da_i, da_f, da_g, da_o], axis=1)",
                   "np.concatenate([da_f, da_i, da_g, da_o], axis=1)")],
         lost={"lstm_cell_forward", "lstm_forward"} | _CELL_BACKWARD
              | {"lstm_cell_backward_s_prev"} | _SEQ_BACKWARD,
         message={"lstm_cell_forward": "gate order i, f, g, o",
                  **{gid: "fix it first" for gid in _CELL_BACKWARD | _SEQ_BACKWARD}}),
]
