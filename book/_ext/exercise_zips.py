"""Every exercise page offers its zip (notebook + rnncheck.py) at the top.

The exercise pages are the student notebooks that ``python -m autograder release
--publish book/assignments`` writes next to their zips. The theme's download button
offers only the notebook, which cannot run its tests without ``rnncheck.py``. This copies
each page's zip next to the built page and puts a download box above its text.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from sphinx.application import Sphinx

FOLDER = "book/assignments/"


def add_zip_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree):
    if not pagename.startswith(FOLDER) or "body" not in context:
        return
    name = pagename.rsplit("/", 1)[1]
    source = Path(app.srcdir) / f"{pagename}.zip"
    if not source.is_file():
        return
    target = Path(app.outdir) / f"{pagename}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    zip_name = html.escape(f"{name}.zip")
    box = (f'<div class="admonition tip exercise-download"><p class="admonition-title">'
           f"Get this exercise</p><p><a class=\"reference download\" href=\"{zip_name}\" "
           f"download>Download {zip_name}</a>: the notebook and <code>rnncheck.py</code>, "
           f"the checking module its tests import. Unzip both into one folder and open "
           f"the notebook in Jupyter.</p></div>")
    body = context["body"]
    # After the page title, before the first paragraph.
    end_h1 = body.find("</h1>")
    context["body"] = body[:end_h1 + 5] + box + body[end_h1 + 5:] if end_h1 >= 0 else box + body


def setup(app: Sphinx):
    app.connect("html-page-context", add_zip_link)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
