"""Widget demos that respond on the static site (see book/demo_widgets.py).

Sets ``RNN_BOOK_STATIC_DEMOS=1`` before any notebook runs: the kernels that the build
starts inherit it, and ``demo_widgets.demo`` then stores the output of every setting of
the demo's site grid instead of showing live ipywidgets. Adds the script that draws
those outputs (``static-demos.js``) and the one that repairs the sidebar toggles of the
theme (``sidebar-toggles.js``) to every page.

The notebooks offered for download (``_sources/*.ipynb``) lose the stored settings: in
Jupyter the demo cell shows a live widget when it runs, and the settings would only
double the size of the download.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from sphinx.application import Sphinx

ENV = "RNN_BOOK_STATIC_DEMOS"


def strip_downloads(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in (Path(app.outdir) / "_sources").rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                html = out.get("data", {}).get("text/html", "")
                if "static-demo-spec" in ("".join(html) if isinstance(html, list) else html):
                    out["data"] = {"text/plain": "Run this cell for the live demo."}
                    out["metadata"] = {}
                    changed = True
        if changed:
            nbformat.write(nb, path)


def setup(app: Sphinx):
    os.environ[ENV] = "1"
    app.add_js_file("static-demos.js", loading_method="defer")
    app.add_js_file("sidebar-toggles.js", loading_method="defer")
    app.connect("build-finished", strip_downloads)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
