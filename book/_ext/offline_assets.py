"""Serve the book's JavaScript from the built site instead of a CDN.

The book must work without internet when it is read. Two pieces of JavaScript would
normally come from a CDN:

* MathJax 3, which typesets the equations (Sphinx's ``mathjax_path``);
* the ipywidgets HTML manager and RequireJS, which bring the widget state saved in the
  executed notebooks back to life (myst-nb's ``nb_ipywidgets_js``).

``make book`` installs them from npm (``npm ci`` with the committed ``package-lock.json``)
into ``node_modules/``. This extension copies the files the browser needs into
``<outdir>/_static/npm/`` when an HTML builder starts, and checks that the
configuration points at those local copies: a ``mathjax_path`` or an ``nb_ipywidgets_js``
entry that is a remote URL is reported as a warning, which fails the ``-W`` build.

Configuration (``_config.yml``, under ``sphinx: config:``)::

    mathjax_path: npm/mathjax/tex-mml-chtml.js
    nb_ipywidgets_js:
      npm/requirejs/require.js: {}
      widgets-offline.js: {}            # book/_static: font path + MathJax 3 glue
      npm/jupyter-widgets/embed-amd.js: {}
    offline_assets_node_modules: node_modules   # default, relative to the project root

Paths without a scheme are relative to ``_static`` (Sphinx's ``add_js_file`` rule).

It also removes duplicated inline ``<script>`` blocks from every page. Sphinx 7.4 lists
an inline script that an extension adds after the builder starts twice (once with the
file name ``None``, once with ``''``); sphinx-thebe's ``const THEBE_JS_URL = ...`` then
throws "Identifier has already been declared" in the browser console on every page.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR = "npm"

# (npm package, folder inside the package, destination under _static/npm,
#  glob patterns of the files to copy, glob patterns to leave out)
ASSETS = [
    ("mathjax", "es5", "mathjax", ["*"], ["latest.js", "node-main.js"]),
    ("mathjax", "", "mathjax", ["LICENSE"], []),
    ("@jupyter-widgets/html-manager", "dist", "jupyter-widgets",
     ["embed-amd.js", "*.LICENSE.txt", "*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg"], []),
    ("requirejs", "", "requirejs", ["require.js"], []),
]


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def _copy_if_changed(src: Path, dst: Path) -> bool:
    """Copy ``src`` to ``dst`` unless a file of the same size and mtime is there."""
    st = src.stat()
    try:
        dt = dst.stat()
        if dt.st_size == st.st_size and int(dt.st_mtime) == int(st.st_mtime):
            return False
    except FileNotFoundError:
        pass
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return True


def _plan(node_modules: Path):
    """Yield ``(source, path relative to _static/npm)`` for every file to ship."""
    for package, folder, dest, include, exclude in ASSETS:
        base = node_modules / package / folder if folder else node_modules / package
        if not base.is_dir():
            raise ExtensionError(
                f"offline_assets: {base} is missing. The book serves MathJax and the "
                "ipywidgets manager from npm packages; run `npm ci` in the project root "
                "(`make book` does it for you)."
            )
        top_level = folder == ""
        for root, _dirs, files in os.walk(base):
            rel_root = Path(root).relative_to(base)
            if top_level and rel_root != Path("."):
                break  # package roots: only the listed top-level files
            for name in files:
                rel = rel_root / name
                first = rel.parts[0]
                if not (_matches(first, include) or _matches(str(rel), include)):
                    continue
                if _matches(name, exclude) or _matches(str(rel), exclude):
                    continue
                yield Path(root) / name, Path(dest) / rel


def _is_remote(url: str) -> bool:
    return "://" in url or url.startswith("//")


def check_config(app: Sphinx, config) -> None:
    """Warn (and so fail a ``-W`` build) if a script would come from the network."""
    mathjax_path = getattr(config, "mathjax_path", "")
    if mathjax_path and _is_remote(mathjax_path):
        logger.warning("offline_assets: mathjax_path is a remote URL (%s); the book must "
                       "serve MathJax from _static/%s/mathjax", mathjax_path, VENDOR)
    widgets_js = getattr(config, "nb_ipywidgets_js", None) or {}
    for url, attrs in widgets_js.items():
        values = [url] + [str(v) for v in (attrs or {}).values()]
        if any(_is_remote(v) for v in values):
            logger.warning("offline_assets: nb_ipywidgets_js entry %s points at the "
                           "network; use the copies under _static/%s", url, VENDOR)


def copy_assets(app: Sphinx) -> None:
    if app.builder is None or app.builder.format != "html":
        return
    node_modules = Path(app.confdir) / app.config.offline_assets_node_modules
    target = Path(app.outdir) / "_static" / VENDOR
    copied = total = 0
    for src, rel in _plan(node_modules):
        total += 1
        copied += _copy_if_changed(src, target / rel)
    logger.info("offline_assets: %d of %d vendored files copied to %s", copied, total, target)


def check_output(app: Sphinx, exception) -> None:
    """Every local script the configuration names must exist in the built site."""
    if exception is not None or app.builder is None or app.builder.format != "html":
        return
    wanted = [app.config.mathjax_path] + list((app.config.nb_ipywidgets_js or {}).keys())
    for rel in wanted:
        if rel and not _is_remote(rel) and not (Path(app.outdir) / "_static" / rel).is_file():
            logger.warning("offline_assets: %s is configured but _static/%s does not exist",
                           rel, rel)


def dedupe_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Drop repeated script entries (same file or same inline body) from a page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        filename = getattr(js, "filename", js) or ""
        attrs = getattr(js, "attributes", {}) or {}
        key = (filename, tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    scripts[:] = unique


def setup(app: Sphinx):
    app.add_config_value("offline_assets_node_modules", "node_modules", "env")
    app.connect("config-inited", check_config)
    app.connect("builder-inited", copy_assets)
    app.connect("build-finished", check_output)
    # After myst-nb has added the per-page widget scripts (default priority 500).
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
