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
3. Measures what the sandbox costs: ``--sandbox-sample`` of the submissions graded with
   one worker, sandboxed and with ``--unsafe-no-sandbox``, ``--repeat`` times
   (alternating, so that both see the same load); prints the difference per notebook
   of each round and its median (target: <= 0.1 s), with the machine's load average.
   ``--sandbox-only`` skips steps 1-2.

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
    costs = []
    load_before = os.getloadavg()[0]
    for k in range(repeat):
        boxed, open_ = tmp / f"boxed{k}", tmp / f"open{k}"
        for root in (boxed, open_):
            release(root, a)
            generate(root, a, m)
        t_box = ours(boxed, a, "--workers", "1")
        t_open = ours(open_, a, "--workers", "1", "--unsafe-no-sandbox")
        costs.append((t_box - t_open) / m)
        print(f"\nsandbox cost, {m} submissions, 1 worker: sandboxed {t_box / m:.2f} s, "
              f"unsandboxed {t_open / m:.2f} s per notebook -> {costs[-1]:+.3f} s per notebook")
    print(f"\nsandbox cost per notebook, median of {repeat}: {statistics.median(costs):+.3f} s "
          f"(target <= 0.1 s); load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")


if __name__ == "__main__":
    sys.exit(main())
