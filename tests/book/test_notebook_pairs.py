"""Each chapter's notebook copy (for the launch buttons) says what its Markdown says.

``make notebooks`` (part of ``make book``) writes ``book/NN_name.ipynb`` from
``book/NN_name.md`` with jupytext; the copies are committed because Binder, JupyterHub and
Colab open them from the repository. A copy that lags behind its chapter would launch an
old version of it.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[2] / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.md"))


def test_every_chapter_has_a_notebook_copy():
    assert CHAPTERS, f"no chapter in {BOOK}"
    missing = [c.name for c in CHAPTERS if not c.with_suffix(".ipynb").is_file()]
    assert not missing, f"run `make notebooks`: no notebook for {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_copy_matches_its_chapter(chapter):
    copy = chapter.with_suffix(".ipynb")
    if not copy.is_file():
        pytest.fail(f"run `make notebooks`: {copy.name} is missing")
    want = jupytext.read(chapter)
    got = nbformat.read(copy, as_version=4)
    cells = lambda nb: [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]
    assert cells(got) == cells(want), (f"{copy.name} is older than {chapter.name}: "
                                       "run `make notebooks`")
    assert got.metadata.get("kernelspec", {}).get("name") == "python3"
