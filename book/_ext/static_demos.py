"""Widget demos that respond on the static site (see book/demo_widgets.py).

Sets ``RNN_BOOK_STATIC_DEMOS=1`` before any notebook runs: the kernels that the build
starts inherit it, and ``demo_widgets.demo`` then stores the output of every setting of
the demo's site grid instead of showing live ipywidgets. Adds the script that draws
those outputs (``static-demos.js``) and the one that repairs the sidebar toggles of the
theme (``sidebar-toggles.js``) to every page.
"""

from __future__ import annotations

import os

from sphinx.application import Sphinx

ENV = "RNN_BOOK_STATIC_DEMOS"


def setup(app: Sphinx):
    os.environ[ENV] = "1"
    app.add_js_file("static-demos.js", loading_method="defer")
    app.add_js_file("sidebar-toggles.js", loading_method="defer")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
