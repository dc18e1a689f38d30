"""Where the book under test lives, and which pages its table of contents lists.

Shared by the fixtures in conftest.py and by the test modules (imported by this unique
name, since tests/ref has a conftest.py of its own).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


# --- where things are ---------------------------------------------------------------

@dataclass(frozen=True)
class BookPaths:
    root: Path          # project directory that is built
    toc: Path           # table of contents in use
    out: Path           # --path-output
    custom_toc: bool

    @property
    def build(self) -> Path:
        return self.out / "_build"

    @property
    def html(self) -> Path:
        return self.build / "html"

    @property
    def screenshots(self) -> Path:
        return self.build / "screenshots"


def book_paths() -> BookPaths:
    root = Path(os.environ.get("RNN_BOOK_ROOT", REPO)).resolve()
    toc_env = os.environ.get("RNN_BOOK_TOC")
    toc = Path(toc_env).resolve() if toc_env else root / "_toc.yml"
    out = Path(os.environ.get("RNN_BOOK_OUT", root)).resolve()
    return BookPaths(root=root, toc=toc, out=out, custom_toc=bool(toc_env))


def toc_docnames(toc: Path) -> list[str]:
    """Every document of a Jupyter Book toc, root first, in reading order."""
    data = yaml.safe_load(toc.read_text())
    names = [data["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))
            for part in entry.get("parts", []) or []:
                walk(part.get("chapters"))

    for part in data.get("parts", []) or []:
        walk(part.get("chapters"))
    walk(data.get("chapters"))
    # drop suffixes the way Jupyter Book does
    return [str(Path(n).with_suffix("")) if Path(n).suffix in (".md", ".ipynb") else n
            for n in names]
