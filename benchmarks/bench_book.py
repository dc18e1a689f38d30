"""Time a cold build and a warm rebuild of the book.

Cold: a fresh ``--path-output`` folder, so the jupyter-cache is empty, every notebook is
executed, every page is written and the vendored JavaScript is copied. Warm: the same
command again with nothing changed, which is what an author pays after ``make book``.

Both builds run ``make book`` (``-W -n --keep-going``) exactly as a reader would, in a
temporary output folder, so the numbers do not depend on what ``_build/`` holds.

    .venv/bin/python benchmarks/bench_book.py                   # the whole book
    .venv/bin/python benchmarks/bench_book.py --toc /tmp/my_toc.yml
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build(root: Path, out: Path, toc: Path | None) -> float:
    args = ["--path-output", str(out)] + (["--toc", str(toc)] if toc else [])
    cmd = ["make", "-C", str(root), "book", "BOOK_ARGS=" + shlex.join(args)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"build failed (exit {proc.returncode}): {shlex.join(cmd)}")
    return elapsed


def executed_notebooks(out: Path) -> int:
    from jupyter_cache import get_cache

    cache = out / "_build" / ".jupyter_cache"
    return len(get_cache(str(cache)).list_cache_records()) if cache.exists() else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO, help="project to build")
    parser.add_argument("--toc", type=Path, help="build this toc instead of _toc.yml")
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/results/book.json",
                        help="where to write the numbers (default: %(default)s)")
    args = parser.parse_args(argv)

    out = Path(tempfile.mkdtemp(prefix="bench-book-"))
    try:
        cold = build(args.root, out, args.toc)
        notebooks = executed_notebooks(out)
        warm = build(args.root, out, args.toc)
        pages = len(list((out / "_build" / "html").rglob("*.html")))
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)

    print(f"cold build   : {cold:6.1f} s  ({notebooks} notebooks executed, {pages} HTML files)")
    print(f"warm rebuild : {warm:6.1f} s  (nothing changed)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"cold_s": round(cold, 2), "warm_s": round(warm, 2),
                                     "notebooks_executed": notebooks, "html_files": pages,
                                     "toc": str(args.toc or args.root / "_toc.yml")},
                                    indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
