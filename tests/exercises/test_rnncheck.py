"""``solutions/rnncheck.py``, the visible tests' checks that students receive."""

import sys

import nbformat
import numpy as np
import pytest

from autograder.course import SOLUTIONS
from rnn_ref import gradcheck

sys.path.insert(0, str(SOLUTIONS))
import rnncheck  # noqa: E402


def test_relative_error_agrees_with_rnn_ref():
    # rnncheck repeats rnn_ref.gradcheck.rel_error (students have numpy only): same numbers.
    rng = np.random.default_rng(0)
    pairs = [(rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
             (np.zeros(5), np.zeros(5)), (np.ones(2), np.zeros(2)),
             (np.arange(6.0), np.arange(6.0) + 1e-9)]
    for a, b in pairs:
        assert rnncheck.rel_error(a, b) == gradcheck.rel_error(a, b)


def _fwd(x):
    return np.tanh(x), x


def _bwd(dout, cache):
    return {"x": dout * (1 - np.tanh(cache) ** 2)}


def test_gradient_error_passes_copies_and_names_a_changed_argument():
    x = np.linspace(-1, 1, 5)
    kept = x.copy()
    err, _, _ = rnncheck.gradient_error(_fwd, _bwd, {"x": x}, "x")
    assert err < 1e-8 and np.array_equal(x, kept)

    def in_place_bwd(dout, cache):
        dout *= 1 - np.tanh(cache) ** 2         # right numbers, but on the caller's array
        return {"x": dout}
    with pytest.raises(AssertionError, match="your backward changed its argument dout"):
        rnncheck.gradient_error(_fwd, in_place_bwd, {"x": x}, "x")

    def in_place_fwd(x):
        x *= 2
        return x, x
    with pytest.raises(AssertionError, match="your forward changed its argument x"):
        rnncheck.gradient_error(in_place_fwd, _bwd, {"x": x}, "x")
    assert np.array_equal(x, kept)


def test_float32_is_named():
    with pytest.raises(AssertionError, match="y holds float32 numbers: compute in float64"):
        rnncheck.check_close("y", np.ones(3, dtype=np.float32), np.ones(3))
    with pytest.raises(AssertionError, match="forward holds float32"):
        rnncheck.gradient_error(lambda x: (x.astype(np.float32), x), _bwd, {"x": np.ones(2)}, "x")
    rnncheck.check_shape("indices", np.arange(3), (3,))      # integers are fine


def test_first_hint_reads_a_ladder():
    rows = [("simplest", lambda: 1e-9, "a"), ("symptom", lambda: False, "b"),
            ("general", lambda: 0.3, "c"), ("never reached", lambda: 1.0, "d")]
    assert rnncheck.first_hint(rows) == "c"
    assert rnncheck.first_hint(rows[:2]) is None


def test_name_error_after_restart_says_to_run_the_cells_above(tmp_path):
    from nbclient import NotebookClient
    (tmp_path / "rnncheck.py").write_text((SOLUTIONS / "rnncheck.py").read_text())
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import rnncheck"),
        nbformat.v4.new_code_cell("shift(1)"),                       # defined above, not run
        nbformat.v4.new_code_cell("def f():\n    return undefined_inside\nf()"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=60, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    top, inside = (next(o for o in c.outputs if o.output_type == "error") for c in nb.cells[1:])
    assert "run the cells above" in top.evalue and "'shift'" in top.evalue
    assert "run the cells above" not in inside.evalue      # a typo in a function is not that
