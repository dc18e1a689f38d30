"""Grading throughput: plain nbgrader against `python -m autograder grade`, same run.

    .venv/bin/python benchmarks/bench_grading.py [--submissions 100] [--sandbox-sample 20]
                                                 [--repeat 1] [--sandbox-only]

1. Generates ``--submissions`` submissions of one assignment (default ex02_tdnn) by
   cycling through the demo submissions of ``make samples`` (correct, partial, typical
   bugs, untouched, late; written afresh into a temporary folder) under new student ids.
2. Grades them with plain sequential ``nbgrader autograde ASSIGNMENT`` (one command for
   every student, hidden tests run in the kernel, no sandbox) in one course, and with
   ``python -m autograder grade --workers 2`` (bubblewrap sandbox, trusted verdicts) in
   another. Prints seconds per submission for each and the ratio (target: <= 0.6).
3. Measures what the sandbox costs: each of ``--sandbox-sample`` submissions executed
   by ``grade``'s sandboxed and unsandboxed executors back to back (alternating which
   goes first), ``--repeat`` times; prints the median of the paired differences per
   notebook (target: <= 0.1 s), with the machine's load average. ``--sandbox-only``
   skips steps 1-2.

Scores are compared at the end: both pipelines must agree on every submission.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.course import Course  # noqa: E402
from autograder.ledger import Ledger  # noqa: E402



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
            differ = compare_with_nbgrader(tmp, a, n)
        sandbox_cost(tmp, a, args.sandbox_sample, args.repeat)
        return 1 if differ else 0


def compare_with_nbgrader(tmp, a, n):
    plain, fast = tmp / "plain", tmp / "ours"
    for root in (plain, fast):
        release(root, a)
        generate(root, a, n)
    print(f"{n} submissions of {a} (the demo submissions, cycled)\n")

    t_plain = plain_nbgrader(plain, a)
    print(f"plain nbgrader autograde (sequential, no sandbox): {t_plain:7.1f} s "
          f"= {t_plain / n:.2f} s per submission")
    t_ours = ours(fast, a, "--workers", "2")
    print(f"python -m autograder grade --workers 2 (sandbox):  {t_ours:7.1f} s "
          f"= {t_ours / n:.2f} s per submission")
    print(f"ratio ours / plain: {t_ours / t_plain:.2f}   (target <= 0.6)\n")

    expected, got = scores_nbgrader(plain, a), scores_ours(fast)
    differ = sorted(s for s in expected if expected[s] != got.get(s))
    print("scores: both pipelines agree on every submission" if not differ else
          f"scores DIFFER for {len(differ)} submissions, e.g. {differ[:3]}")
    return differ


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
