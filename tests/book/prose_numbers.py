"""The numbers a chapter's prose quotes, read from its MyST source.

"Prose" is what a reader sees as text: paragraphs, lists, tables, admonitions, figure
captions and inline math. Left out are the front matter, code cells and other fenced
code, display math (``$$ ... $$`` blocks and ``{math}`` directives), directive options
(``:name:``, ``:class:``, ...), HTML comments, and the content of every backtick role or
literal, so ``{glue:text}`key:.2f``` (the number written by the computation) and
```x[0.5]``` are not quotes.

A *quoted number* is a decimal (``0.62``, ``1.5``), a percentage (``47 %``, ``3-7%``
gives ``7%`` and ``3``... see ``NUMBER``) or a power of ten (``10^{-4}``). Integers and
numbers in words are not scanned: most are counts and settings ("800 steps", "three
layers"), and telling them from results needs a reader; authors glue those that are
results anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NUMBER = re.compile(
    r"(?<![\w.^])(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?(-?\d+)\}?"   # 4 \times 10^{-5}
    r"|(?<![\w.^])(\d+\.\d+)(?!\w|\.\d)"                           # a decimal
    r"|(?<![\w.^])(\d+)\s?%"                                         # a percentage
    r"|(?<![\w.^])10\^\{?(-?\d+)\}?")                                # a power of ten
# Inline math that only names a setting, "$\mu = 0.9$", "$\beta_1 = 0.9$", "$f = 0.99$".
SETTING = re.compile(r"\$\s*\\?[A-Za-z]+(?:_\{?\w+\}?)?\s*=\s*(\d+\.\d+)\s*\$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
OPTION = re.compile(r"^\s*:[\w-]+:")
ROLE_OR_LITERAL = re.compile(r"(\{[\w:-]+\})?`[^`\n]*`")


@dataclass(frozen=True)
class Quote:
    file: str
    line: int
    number: str        # "0.62", "47%", "10^-4" or "4e-5" (for 4 \times 10^{-5})
    setting: bool      # the whole inline formula is "symbol = number"
    text: str


def prose_lines(source: str):
    """(line number, text) of every line of prose, with roles and literals removed."""
    lines = source.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        start = lines.index("---", 1) + 1
    fence = None
    in_math = in_comment = False
    for number, line in enumerate(lines[start:], start + 1):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        match = FENCE.match(line)
        if match:
            rest = stripped[len(match.group(1)):]
            # Code, code cells and {math} are skipped whole; any other directive
            # (figure, admonition, glossary ...) keeps its body as prose.
            if not rest.startswith("{") or rest.startswith(("{code-cell", "{math", "{code")):
                fence = match.group(1)
            continue
        if in_comment:
            in_comment = "-->" not in line
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if stripped.startswith("$$"):
            # A display-math block: "$$", the formula, "$$" with an optional (label).
            if not in_math and stripped.count("$$") == 2:
                continue                       # $$ ... $$ on one line
            in_math = not in_math
            continue
        if in_math or OPTION.match(line):
            continue
        yield number, ROLE_OR_LITERAL.sub(" ", line)


def quoted_numbers(path: Path) -> list[Quote]:
    quotes = []
    for line_no, text in prose_lines(path.read_text()):
        settings = {m.start(1) for m in SETTING.finditer(text)}
        for match in NUMBER.finditer(text):
            mantissa, exponent, decimal, percent, power = match.groups()
            if mantissa:
                number = f"{mantissa}e{exponent}"
            elif decimal:
                number = decimal
            elif percent:
                number = percent + "%"
            else:
                number = "10^" + power
            quotes.append(Quote(path.name, line_no, number, match.start() in settings,
                                text.strip()))
    return quotes


def code_text(path: Path) -> str:
    """The source of every code cell of a MyST notebook, joined."""
    return "\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)\n```", path.read_text(),
                                re.S))
