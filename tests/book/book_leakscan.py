"""Find solution code of the nbgrader source notebooks in a built site.

The source notebooks in ``solutions/`` mark their solutions with lines
``### BEGIN SOLUTION`` and ``### END SOLUTION``. :func:`solution_lines` collects every
significant line between such markers; :func:`scan` looks for those lines in every
text-like file of a folder (HTML with its tags stripped and entities decoded, notebooks,
Markdown, plain text, scripts, and the same inside zip archives). Whitespace is
collapsed on both sides, so syntax highlighting and re-indentation do not hide a leak.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
MIN_CHARS = 16                          # shorter lines are too generic to mean a leak
# Lines that every numpy implementation of every model shares; finding one of them in a
# chapter says nothing about a leak.
GENERIC = [
    re.compile(r"(return|pass|raise|break|continue|yield)\b.{0,20}"),
    # block headers: loops and branches carry no solution on their own
    re.compile(r"(for|while|if|elif|else|with|try|except|finally|def|class)\b.*:"),
    # shape unpacking: T, B, D = x.shape
    re.compile(r"[\w\s,]+=\s*[\w.\[\]]+\.shape"),
    # allocations: dx = np.zeros_like(x), y = np.zeros((T, B, O))
    re.compile(r"[\w\[\]:, .]+=\s*np\.(zeros|ones|empty|full)(_like)?\(.*\)"),
    # constants: mask[delay:] = 1.0
    re.compile(r"[\w\[\]:, .]+=\s*[-+]?[\d.]+(e[-+]?\d+)?"),
]
TEXT_SUFFIXES = {".html", ".htm", ".ipynb", ".md", ".txt", ".py", ".json", ".js", ".csv",
                 ".tex", ".rst", ".xml"}
SKIP_DIRS = {("_static", "npm")}        # vendored third-party JavaScript


def normalize(text: str) -> str:
    return " ".join(text.split())


def _strip_comment(line: str) -> str:
    """Drop a trailing ``# comment`` that is not inside a string literal."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and line[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip()
    return line


def significant(line: str) -> str | None:
    """The normalized code of a solution line, or None if it is too generic to track."""
    code = normalize(_strip_comment(line.strip()))
    if not code or code.startswith("#"):
        return None
    if code.startswith(("import ", "from ")) or code in ('"""', "'''"):
        return None
    if len(code) < MIN_CHARS or any(g.fullmatch(code) for g in GENERIC):
        return None
    return code


def _cell_sources(path: Path):
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        for cell in nb.get("cells", []):
            src = cell.get("source", "")
            yield "".join(src) if isinstance(src, list) else src
    else:
        yield path.read_text(errors="replace")


def solution_lines(folder: Path) -> dict[str, str]:
    """``{normalized line: 'file'}`` for every significant solution line under ``folder``."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".ipynb", ".py") or ".ipynb_checkpoints" in path.parts:
            continue
        for source in _cell_sources(path):
            inside = False
            for raw in source.splitlines():
                stripped = raw.strip()
                if stripped.startswith(BEGIN):
                    inside = True
                elif stripped.startswith(END):
                    inside = False
                elif inside and (code := significant(raw)):
                    found.setdefault(code, str(path.relative_to(folder)))
    return found


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)


def texts_of(name: str, data: bytes):
    """Searchable renderings of one file's content."""
    suffix = Path(name).suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for member in zf.namelist():
                    if not member.endswith("/"):
                        yield from texts_of(member, zf.read(member))
        except zipfile.BadZipFile:
            return
        return
    if suffix not in TEXT_SUFFIXES:
        return
    text = data.decode("utf-8", errors="replace")
    yield normalize(text)
    if suffix in (".html", ".htm"):
        yield normalize(html.unescape(re.sub(r"<[^>]+>", "", text)))
        yield normalize(html.unescape(text))
    elif suffix in (".ipynb", ".json"):
        try:
            yield normalize("\n".join(_json_strings(json.loads(text))))
        except ValueError:
            pass


def scan(site: Path, lines: dict[str, str]) -> tuple[list[str], int]:
    """Return ``(["<file>: <line>", ...], number of files scanned)``."""
    hits, scanned = [], 0
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(site)
        if any(rel.parts[:len(skip)] == skip for skip in SKIP_DIRS):
            continue
        if path.suffix.lower() not in TEXT_SUFFIXES | {".zip"}:
            continue
        scanned += 1
        for text in texts_of(path.name, path.read_bytes()):
            for line in lines:
                if line in text:
                    hits.append(f"{rel}: {line}")
    return sorted(set(hits)), scanned
