"""Grading throughput: plain nbgrader against `python -m autograder grade`, same run.

    .venv/bin/python benchmarks/bench_grading.py [--submissions 100] [--rounds 1]
                                                 [--no-dask] [--sandbox-sample 20]
                                                 [--repeat 1] [--sandbox-only]

1. Generates ``--submissions`` submissions of one assignment (default ex02_tdnn) by
   cycling through the demo submissions of ``make samples`` (correct, partial, typical
   bugs, untouched, late; written afresh into a temporary folder) under new student ids.
2. Grades them, each pipeline in a course of its own, ``--rounds`` times (the pipelines
   alternate within a round, so that they see the same load):

   * plain sequential ``nbgrader autograde ASSIGNMENT`` (one command for every
     student, hidden tests run in the kernel, no sandbox): the competitor;
   * ``python -m autograder grade --workers 1``: one worker, sandboxed (target: ratio
     <= 0.5, i.e. the engine itself, not parallelism, is twice as fast);
   * ``python -m autograder grade --workers 2`` (target: ratio <= 0.6);
   * ``python -m autograder grade --dask-scheduler ADDRESS`` on a local Dask cluster
     of 2 single-threaded worker processes (skipped with ``--no-dask``).

   Prints seconds per submission and the ratio to plain nbgrader for every round, then
   the medians, with the machine's load average (the machine may be shared).
3. Measures what the sandbox costs: each of ``--sandbox-sample`` submissions executed
   by ``grade``'s sandboxed and unsandboxed executors back to back (alternating which
   goes first), ``--repeat`` times; prints the median of the paired differences per
   notebook (target: <= 0.1 s), with the machine's load average. ``--sandbox-only``
   skips steps 1-2.

Scores are compared at the end: every pipeline must agree with plain nbgrader on every
submission (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.course import Course  # noqa: E402
from autograder.ledger import Ledger  # noqa: E402

# nbgrader 0.9's gradebook triggers SQLAlchemy 2 autoflush notices when read; harmless.
warnings.filterwarnings("ignore", message="Object of type .* not in session")


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], cwd=REPO, check=True, capture_output=True,
                          text=True, **kw)


def generate(course_root, assignment, n):
    from autograder.demo import write_samples
    demo = write_samples(course_root.parent / "demo-samples", (assignment,), log=lambda *_: None)
    samples = sorted(p for p in (demo / assignment).iterdir()
                     if p.is_dir() and p.name != "gauss")     # gauss is an unreadable file
    for k in range(n):
        shutil.copytree(samples[k % len(samples)],
                        course_root / "submitted" / f"s{k:03d}" / assignment)


def release(course_root, assignment):
    run(sys.executable, "-m", "autograder", "release", "--course", course_root, assignment)


def timed(*args):
    t = time.perf_counter()
    run(*args)
    return time.perf_counter() - t


def plain_nbgrader(course_root, assignment):
    """``nbgrader autograde`` run from the course folder (release wrote its config)."""
    nbgrader = Path(sys.executable).with_name("nbgrader")
    t = time.perf_counter()
    subprocess.run([str(nbgrader), "autograde", assignment, "--log-level=ERROR"],
                   cwd=course_root, check=True, capture_output=True, text=True)
    return time.perf_counter() - t


def ours(course_root, assignment, *extra):
    return timed(sys.executable, "-m", "autograder", "grade", "--course", course_root,
                 "--quiet", assignment, *extra)


def scores_nbgrader(course_root, assignment):
    with Course(course_root).gradebook() as gb:
        return {s.student.id: sum(g.auto_score or 0 for nb in s.notebooks for g in nb.grades)
                for s in gb.find_assignment(assignment).submissions}


def scores_ours(course_root):
    ledger = Ledger(Course(course_root).db_url)
    try:
        return {r["student"]: r["score"] for r in ledger.rows()}
    finally:
        ledger.dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="ex02_tdnn")
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of the comparison with nbgrader (medians are reported)")
    parser.add_argument("--no-dask", action="store_true",
                        help="do not measure grading on a local Dask cluster")
    parser.add_argument("--sandbox-sample", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the sandbox-cost measurement (the median is reported)")
    parser.add_argument("--sandbox-only", action="store_true",
                        help="only measure what the sandbox costs per notebook")
    args = parser.parse_args(argv)
    a, n = args.assignment, args.submissions
    differ = []
    with tempfile.TemporaryDirectory(prefix="rnngrade-bench-") as tmp:
        tmp = Path(tmp)
        if not args.sandbox_only:
            differ = compare_with_nbgrader(tmp, a, n, args.rounds, not args.no_dask)
        if args.sandbox_sample > 0:
            sandbox_cost(tmp, a, args.sandbox_sample, args.repeat)
        return 1 if differ else 0


def _load():
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


class _DaskCluster:
    """A local scheduler with 2 single-threaded worker processes (as in the instructor
    guide's Dask setup, on one machine)."""

    def __enter__(self):
        from distributed import LocalCluster
        self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                    dashboard_address=None)
        return self.cluster.scheduler_address

    def __exit__(self, *exc):
        self.cluster.close()


PIPELINES = {
    "workers 1": ("python -m autograder grade --workers 1 (sandbox)", ("--workers", "1")),
    "workers 2": ("python -m autograder grade --workers 2 (sandbox)", ("--workers", "2")),
    "dask": ("python -m autograder grade --dask-scheduler (local, 2 workers)", ()),
}
TARGETS = {"workers 1": 0.5, "workers 2": 0.6}


def compare_with_nbgrader(tmp, a, n, rounds, dask):
    names = ["workers 1", "workers 2"] + (["dask"] if dask else [])
    print(f"{n} submissions of {a} (the demo submissions, cycled), {rounds} round(s)\n")
    times = {k: [] for k in ["plain"] + names}
    differ = set()
    cluster = _DaskCluster() if dask else None
    address = cluster.__enter__() if cluster else None
    try:
        for r in range(rounds):
            roots = {k: tmp / f"r{r}-{k.replace(' ', '')}" for k in times}
            for root in roots.values():
                release(root, a)
                generate(root, a, n)
            print(f"round {r + 1} ({_load()} before):")
            times["plain"].append(plain_nbgrader(roots["plain"], a))
            print(f"  plain nbgrader autograde (sequential, no sandbox): "
                  f"{times['plain'][-1] / n:.2f} s per submission")
            expected = scores_nbgrader(roots["plain"], a)
            for k in names:
                extra = ("--dask-scheduler", address) if k == "dask" else PIPELINES[k][1]
                times[k].append(ours(roots[k], a, *extra))
                print(f"  {PIPELINES[k][0]}: {times[k][-1] / n:.2f} s per submission, "
                      f"ratio {times[k][-1] / times['plain'][-1]:.2f}")
                got = scores_ours(roots[k])
                differ |= {(k, s) for s in expected if expected[s] != got.get(s)}
            for root in roots.values():
                shutil.rmtree(root, ignore_errors=True)
    finally:
        if cluster:
            cluster.__exit__()
    plain = statistics.median(times["plain"])
    print(f"\nmedians of {rounds} round(s) ({_load()} after):")
    print(f"  plain nbgrader autograde: {plain / n:.2f} s per submission")
    for k in names:
        t = statistics.median(times[k])
        ratios = [x / p for x, p in zip(times[k], times["plain"])]
        target = f"   (target <= {TARGETS[k]})" if k in TARGETS else ""
        print(f"  {PIPELINES[k][0]}: {t / n:.2f} s per submission, ratio "
              f"{statistics.median(ratios):.2f}{target}")
    print("\nscores: every pipeline agrees with nbgrader on every submission" if not differ
          else f"scores DIFFER for {len(differ)} (pipeline, submission), e.g. "
               f"{sorted(differ)[:3]}")
    return sorted(differ)


def sandbox_cost(tmp, a, m, repeat):
    """Each of ``m`` submissions executed by the sandboxed and by the unsandboxed
    executor of ``grade`` (kernel start, every cell, shutdown), back to back and in
    alternating order, ``repeat`` times: the median of the paired differences is what
    the sandbox costs per notebook. Pairing keeps a shared machine's changing load out
    of the difference, which two long runs one after the other cannot."""
    import copy

    import nbformat

    from autograder.execute import SandboxedExecute, UnsandboxedExecute
    from autograder.sandbox import Limits

    root = tmp / "cost"
    release(root, a)
    generate(root, a, m)
    notebooks = []
    for path in sorted((root / "submitted").glob(f"*/{a}/{a}.ipynb")):
        try:
            notebooks.append(nbformat.read(str(path), as_version=4))
        except Exception:  # noqa: BLE001 -- a deliberately broken sample: not a kernel run
            continue
    release_dir = str(root / "release" / a)
    executors = (SandboxedExecute, UnsandboxedExecute)
    costs, rounds = [], []
    load_before = os.getloadavg()[0]
    for r in range(repeat):
        this_round = []
        for k, nb in enumerate(notebooks):
            seconds = {}
            for cls in (executors if (k + r) % 2 == 0 else executors[::-1]):
                ex = cls(limits=Limits(), release_dir=release_dir)
                t = time.perf_counter()
                ex.preprocess(copy.deepcopy(nb), {"metadata": {"path": str(root)}})
                seconds[cls] = time.perf_counter() - t
            this_round.append(seconds[SandboxedExecute] - seconds[UnsandboxedExecute])
        costs += this_round
        rounds.append(statistics.median(this_round))
        print(f"\nsandbox cost, round {r + 1}: median {rounds[-1]:+.3f} s per notebook over "
              f"{len(this_round)} paired runs (load {os.getloadavg()[0]:.1f})")
    q = statistics.quantiles(costs, n=4) if len(costs) > 1 else [costs[0]] * 3
    print(f"\nsandbox cost per notebook: median {statistics.median(costs):+.3f} s of "
          f"{len(costs)} paired runs (quartiles {q[0]:+.3f} / {q[2]:+.3f}; round medians "
          f"{', '.join(f'{c:+.3f}' for c in rounds)}; target <= 0.1 s); load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")


if __name__ == "__main__":
    sys.exit(main())
