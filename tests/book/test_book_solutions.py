"""No solution code from solutions/ reaches the built site."""

from __future__ import annotations

import html
import json
import shutil
import zipfile

import pytest

from published_lines import PUBLISHED
from book_leakscan import BEGIN, END, scan, solution_lines

pytestmark = pytest.mark.slow

PLANTED = "dh_prev = (W_rec.T @ delta_t) * (1.0 - h_prev ** 2)"


def test_no_solution_code_in_site(site, paths):
    lines = solution_lines(paths.root / "solutions")
    stale = sorted(set(PUBLISHED) - set(lines))
    assert not stale, f"published_lines.py lists lines that are no longer solution code: {stale}"
    assert len(PUBLISHED) <= 10, "published_lines.py is an exception list; keep it short"
    lines = {line: origin for line, origin in lines.items() if line not in PUBLISHED}
    hits, scanned = scan(site, lines)
    assert scanned > 10, f"only {scanned} files scanned in {site}: is the site there?"
    assert not hits, "solution code found in the built site:\n" + "\n".join(hits[:30])


def _fake_solutions(folder):
    cell = "\n".join([
        "def step_back(W_rec, delta_t, h_prev):",
        "    " + BEGIN,
        "    # a comment is not a leak",
        "    T, B, H = delta_t.shape",
        "    dh_all = np.zeros_like(delta_t)",
        "    for t in range(T - 1, -1, -1):",
        "    " + PLANTED + "   # the one line to find",
        "    return dh_prev",
        "    pass",
        "    " + END,
        "    raise NotImplementedError()",
    ])
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": cell.splitlines(True),
                     "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    folder.mkdir()
    (folder / "fake.ipynb").write_text(json.dumps(nb))


def test_scanner_detects_a_planted_leak(site, tmp_path):
    """The scanner is not vacuous: a line planted in a copy of the site is found."""
    _fake_solutions(tmp_path / "solutions")
    lines = solution_lines(tmp_path / "solutions")
    assert list(lines) == [PLANTED], lines        # trivial lines and comments skipped

    copy = tmp_path / "html"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("npm"))
    hits, scanned = scan(copy, lines)
    assert scanned > 10 and not hits, hits

    # 1. In a page, syntax-highlighted the way Pygments renders code cells.
    page = next(p for p in sorted(copy.rglob("*.html"))
                if "_static" not in p.parts and "</body>" in p.read_text())
    original = page.read_text()
    spans = "".join(f'<span class="n">{html.escape(tok)}</span> ' for tok in PLANTED.split())
    page.write_text(original.replace(
        "</body>", f'<div class="highlight"><pre>{spans}</pre></div></body>'))
    hits, _ = scan(copy, lines)
    assert hits == [f"{page.relative_to(copy)}: {PLANTED}"], hits

    # 2. Inside a notebook inside a zip archive, as a released assignment would be.
    page.write_text(original)
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1\n", "    " + PLANTED + "\n"]}]}
    with zipfile.ZipFile(copy / "downloads.zip", "w") as zf:
        zf.writestr("hw/assignment.ipynb", json.dumps(nb))
    hits, _ = scan(copy, lines)
    assert hits == [f"downloads.zip: {PLANTED}"], hits
