"""Make the ``.ipynb`` download button offer the *executed* notebook.

With ``execute_notebooks: cache``, myst-nb 1.4 renders each page from the outputs stored
in the jupyter-cache, but the notebook it writes to ``_build/jupyter_execute/`` (which
sphinx-book-theme copies to ``_sources/`` for the download button) is the unexecuted
source: the cache client merges the outputs into a copy and the copy is not the one
written. The reader would download a notebook with no figures and no widget state.

After all documents are read and before any page is written (``env-updated``), this
extension merges the cached outputs and the notebook metadata (kernel, language, widget
state) into every written notebook that has none, using jupyter-cache's own matching.
Notebooks without a cache record (excluded from execution) are left as they are.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _has_outputs(nb) -> bool:
    return any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")


def merge_cached_outputs(app: Sphinx, env) -> None:
    if app.config.nb_execution_mode != "cache":
        return
    folder = Path(app.outdir).parent / "jupyter_execute"
    cache_path = app.config.nb_execution_cache_path or str(Path(app.outdir).parent
                                                           / ".jupyter_cache")
    if not folder.is_dir() or not Path(cache_path).exists():
        return
    from jupyter_cache import get_cache

    cache = get_cache(cache_path)
    merged = 0
    for path in sorted(folder.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if _has_outputs(nb) or not any(c.cell_type == "code" for c in nb.cells):
            continue
        try:
            _, executed = cache.merge_match_into_notebook(nb)
        except KeyError:
            continue  # not executed through the cache (e.g. excluded from execution)
        if _has_outputs(executed):
            nbformat.write(executed, path)
            merged += 1
    if merged:
        logger.info("executed_downloads: outputs merged into %d notebook(s) in %s",
                    merged, folder)


def setup(app: Sphinx):
    app.connect("env-updated", merge_cached_outputs)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
