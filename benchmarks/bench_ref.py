"""rnn_ref against PyTorch (CPU, float64): time, matmul roofline, memory, and a plot.

    make bench            # or: .venv/bin/python benchmarks/bench_ref.py [--quick]

For ``rnn`` (one tanh layer), ``lstm`` and ``gru``, at (T, B, D=H) = (64, 32, 128) and
(256, 64, 256), it times forward + full BPTT (gradients of every weight and of the
input) in the same run as ``torch.nn.RNN/LSTM/GRU`` on the same inputs. Runs alternate
between the two libraries and the best of ``--repeat`` is kept, so a noisy neighbour
slows both alike. It prints:

* the ratio rnn_ref / PyTorch (target: <= 1.0);
* the matmul FLOPs of forward + backward (2mnk per product; element-wise work not
  counted), the machine's float64 rate on a large square ``@`` measured in this run,
  and the fraction of that rate each implementation reaches (target: >= 60 % for LSTM
  and GRU at the large size);
* peak memory of forward + backward at the large size: in a fresh process per library,
  after one warm-up run, the growth of the resident set during one more run (sampled
  every millisecond), i.e. what the cache and the gradients cost;

and writes ``benchmarks/results/per_step.png``: time per step versus T and versus H for
the LSTM, with the time the matmuls alone would take at the measured rate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rnn_ref import gru, lstm, rnn  # noqa: E402

OUT = REPO / "benchmarks" / "results"
SIZES = [(64, 32, 128), (256, 64, 256)]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def flops(cell, T, B, D, H):
    """Matmul FLOPs of forward + backward: 3 products of each weight's size per step."""
    G = GATES[cell] * H
    return 3 * 2 * T * B * G * (D + H)


def matmul_rate(n=2048, repeat=5):
    a = np.random.default_rng(0).standard_normal((n, n))
    best = min(_time(lambda: a @ a) for _ in range(repeat))
    return 2 * n ** 3 / best


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def ours(cell, x, dh):
    T, B, D = x.shape
    H = dh.shape[2]
    if cell == "rnn":
        p = {k: v for k, v in rnn.init_params(D, H, 1, rng=0).items() if not k.endswith("_o")}
        return lambda: rnn.backward_hidden(dh, rnn.forward_hidden(x, p)[1])
    mod = lstm if cell == "lstm" else gru
    p = mod.init_params(D, H, rng=0)
    return lambda: mod.backward(dh, mod.forward(x, p)[1])


def theirs(cell, x, dh):
    import torch
    T, B, D = x.shape
    H = dh.shape[2]
    net = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](
        D, H, dtype=torch.float64)
    tx = torch.tensor(x, requires_grad=True)
    tdh = torch.tensor(dh)

    def run():
        net.zero_grad(set_to_none=True)
        tx.grad = None
        out, _ = net(tx)
        out.backward(tdh)
    return run


def compare(cell, T, B, H, repeat):
    rng = np.random.default_rng(1)
    x, dh = rng.standard_normal((T, B, H)), rng.standard_normal((T, B, H))
    a, b = ours(cell, x, dh), theirs(cell, x, dh)
    a(), b()                                            # warm up both
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(_time(a))
        tb.append(_time(b))
    return min(ta), min(tb)


_MEMORY_SCRIPT = r"""
import json, os, sys, threading, time
import numpy as np
sys.path.insert(0, {repo!r})
cell, lib, T, B, H = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
rng = np.random.default_rng(1)
x, dh = rng.standard_normal((T, B, H)), rng.standard_normal((T, B, H))
import bench_ref
fn = bench_ref.ours(cell, x, dh) if lib == "rnn_ref" else bench_ref.theirs(cell, x, dh)
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
fn()                      # warm up: lazy buffers (BLAS threads, autograd) are not the workload's
time.sleep(0.2)
base, peak, running = rss(), [0], [True]
def sample():
    while running[0]:
        peak[0] = max(peak[0], rss())
        time.sleep(0.001)
thread = threading.Thread(target=sample)
thread.start()
fn()
running[0] = False
thread.join()
print(json.dumps(max(peak[0] - base, 0)))
"""


def peak_memory(cell, lib, T, B, H):
    script = _MEMORY_SCRIPT.format(repo=str(REPO))
    env = {**os.environ, "PYTHONPATH": str(REPO / "benchmarks")}
    out = subprocess.run([sys.executable, "-c", script, cell, lib, str(T), str(B), str(H)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def plot(rate, repeat, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    B = 32
    series = {"T": ([8, 16, 32, 64, 128, 256, 512], lambda v: (v, B, 32)),
              "H": ([16, 32, 64, 128, 256, 512, 768], lambda v: (64, B, v))}
    for ax, (name, (values, shape)) in zip(axes, series.items()):
        mine, torch_t, bound = [], [], []
        for v in values:
            T, B_, H = shape(v)
            a, b = compare("lstm", T, B_, H, repeat)
            mine.append(a / T * 1e6)
            torch_t.append(b / T * 1e6)
            bound.append(flops("lstm", T, B_, H, H) / rate / T * 1e6)
        ax.plot(values, mine, "o-", label="rnn_ref")
        ax.plot(values, torch_t, "s-", label="PyTorch")
        ax.plot(values, bound, "k--", label="matmuls alone at the machine's rate")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(name)
        ax.set_ylabel("microseconds per time step (forward + backward)")
        fixed = "B=32, H=D=32" if name == "T" else "T=64, B=32, D=H"
        ax.set_title(f"LSTM, time per step versus {name} ({fixed})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0].annotate("small H: each step costs a fixed number of numpy calls,\n"
                     "far above what its matmuls need, whatever T",
                     xy=(0.03, 0.40), xycoords="axes fraction", fontsize=8)
    axes[1].annotate("left: call overhead per step dominates\n"
                     "right: the matmuls dominate (curves meet the dashed line)",
                     xy=(0.03, 0.86), xycoords="axes fraction", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case (best kept)")
    parser.add_argument("--quick", action="store_true", help="no plot, no memory, 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 3
    import torch
    print(f"numpy {np.__version__}, torch {torch.__version__}, "
          f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()}")
    rate = matmul_rate()
    print(f"float64 matmul rate (2048 x 2048 @): {rate / 1e9:.1f} GFLOP/s\n")
    print(f"{'model':5} {'T':>4} {'B':>3} {'H':>4} | {'rnn_ref':>8} {'torch':>8} {'ratio':>6} |"
          f" {'GFLOP':>6} {'rnn_ref':>8} {'torch':>8}")
    print("-" * 76)
    for cell in ("rnn", "lstm", "gru"):
        for T, B, H in SIZES:
            a, b = compare(cell, T, B, H, args.repeat)
            f = flops(cell, T, B, H, H)
            print(f"{cell:5} {T:4d} {B:3d} {H:4d} | {a * 1e3:6.1f}ms {b * 1e3:6.1f}ms "
                  f"{a / b:6.2f} | {f / 1e9:6.2f} {f / a / rate:7.0%} {f / b / rate:8.0%}")
    print("\nratio = rnn_ref / PyTorch time (<= 1 is faster); the last two columns are the "
          "fraction of the matmul rate reached")
    if args.quick:
        return
    T, B, H = SIZES[-1]
    print(f"\npeak memory of forward + backward at T={T}, B={B}, H={H} (fresh process each):")
    for cell in ("rnn", "lstm", "gru"):
        m1 = peak_memory(cell, "rnn_ref", T, B, H)
        m2 = peak_memory(cell, "torch", T, B, H)
        print(f"  {cell:5} rnn_ref {m1 / 2**20:7.1f} MiB   torch {m2 / 2**20:7.1f} MiB")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "per_step.png"
    plot(rate, args.repeat, path)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
