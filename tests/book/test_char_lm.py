"""The language model of chapter 11 still learns: its final training loss stays low.

What is checked
---------------
Chapter 11 (``book/11_char_lm.md``) trains a one-layer tanh RNN (``SequenceModel``,
H = 128, seed 0) on the shipped corpus ``seattle_1891`` with truncated BPTT (B = 8
streams, windows of T = 50, Adam 0.005, clipping at 5, 500 steps) and publishes its
training loss per character, averaged over the last 20 batches, with myst-nb's ``glue``
as ``lm_final_loss``. Every choice is seeded, so the value is reproducible; it was 1.50
nats per character when the chapter was written. The test asserts that it is below
``THRESHOLD`` = 1.8. That leaves a 0.3 margin for floating-point differences between
machines and stays below what a network without a working memory can reach: the
entropy of the letter frequencies is 3.09 and a perfect bigram model of the training
text scores 2.30, against ln 68 = 4.22 for a uniform guess. A broken optimizer, loss,
gradient, batching or state carry-over in ``rnn_ref``, or a broken training cell in the
chapter, ends above the threshold. A value below ``FLOOR`` is also an error: that low,
the targets are probably leaking into the inputs.

How the number is obtained (no second training run)
---------------------------------------------------
The test reuses the session's book build (the ``built_site`` fixture of conftest.py,
which is ``make book``) and reads ``lm_final_loss`` from the executed chapter that the
build stored in its jupyter-cache, ``<path-output>/_build/.jupyter_cache``. It uses the
cached notebook only if that notebook is known to be current:

1. jupyter-cache matches it to the chapter's present code cells (the chapter is read
   with myst-nb's own reader and hashed by jupyter-cache, exactly as the build does, so
   any edit to the chapter's code means no match); and
2. it was executed after the last change to ``rnn_ref`` (its Python files and its
   corpora). jupyter-cache does not know that the chapter imports ``rnn_ref``, so without
   this check an old cache would hide a regression in the library.

Otherwise the test executes the chapter itself with the executor myst-nb uses
(``jupyter_cache.executors.utils.single_nb_execution``, working directory ``book/``)
and reads the glued value from that run. In CI the build starts from a clean checkout,
the cache is fresh, and the model is trained once per test session.
"""

from __future__ import annotations

import math
from datetime import timezone
from pathlib import Path

import pytest

from book_site import toc_docnames

DOCNAME = "book/11_char_lm"
GLUE_NAME = "lm_final_loss"
THRESHOLD = 1.8      # nats per character; observed 1.50
FLOOR = 0.2          # below this the model is probably reading its targets
LOG_V = math.log(68)  # a uniform guess over the 68 characters of the corpus


def read_chapter(path: Path):
    """The chapter as a notebook, read the way myst-nb reads it for execution."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"),
                                       add_source_map=True, path=path)


def glued_value(nb, name: str) -> float:
    """The value stored by ``glue(name, ...)`` in an executed notebook."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                for mime, value in out["data"].items():
                    if mime.endswith("text/plain"):
                        return float(value)
    raise AssertionError(f"the executed chapter has no glued value {name!r}")


def rnn_ref_mtime() -> float:
    """Latest modification time of the library code and data the chapter depends on."""
    import rnn_ref

    root = Path(rnn_ref.__file__).parent
    files = list(root.rglob("*.py")) + list((root / "corpora").glob("*"))
    return max(f.stat().st_mtime for f in files)


def cached_run(cache_dir: Path, nb):
    """The executed notebook from the build's jupyter-cache, or (None, reason)."""
    if not cache_dir.is_dir():
        return None, f"no jupyter-cache in {cache_dir}"
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    try:
        record = cache.match_cache_notebook(nb)
    except KeyError:
        return None, "the cache holds no run of the chapter's current code"
    started = (record.created.replace(tzinfo=timezone.utc).timestamp()
               - float((record.data or {}).get("execution_seconds", 0.0)))
    if rnn_ref_mtime() >= started:
        return None, "the cached run is older than the last change to rnn_ref"
    return cache.get_cache_bundle(record.pk).nb, f"jupyter-cache record {record.pk}"


def execute(nb, cwd: Path):
    """Execute the chapter as myst-nb would and return the executed notebook."""
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(nb, cwd=str(cwd), timeout=900, allow_errors=False,
                                 meta_override=True)
    if result.err is not None:
        pytest.fail(f"executing {DOCNAME} failed:\n{result.exc_string}")
    return nb


def executed_chapter(paths, docname):
    """The chapter's executed notebook (from the build's cache, else run here) and where
    it came from; skips when the chapter is not in the table of contents being built."""
    if docname not in toc_docnames(paths.toc):
        pytest.skip(f"{docname} is not in the table of contents being built")
    source = paths.root / f"{docname}.md"
    nb = read_chapter(source)
    executed, origin = cached_run(paths.build / ".jupyter_cache", nb)
    if executed is None:
        origin = f"executed by this test ({origin})"
        executed = execute(nb, source.parent)
    return executed, origin


@pytest.mark.slow
def test_char_lm_final_training_loss(paths, built_site):
    executed, origin = executed_chapter(paths, DOCNAME)

    loss = glued_value(executed, GLUE_NAME)
    where = f"{GLUE_NAME} = {loss:.4f} nats/char, from {origin}"
    print(where)
    assert math.isfinite(loss), where
    assert loss < THRESHOLD, (
        f"{where}: the character-level model of chapter 11 no longer learns as it did "
        f"(threshold {THRESHOLD}, observed 1.50 when written, uniform guess {LOG_V:.2f})")
    assert loss > FLOOR, (
        f"{where}: suspiciously low; are the targets leaking into the inputs?")
