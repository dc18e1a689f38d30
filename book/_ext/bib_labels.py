"""Bibliography labels in the form the text cites: "Elman 1990", "Bengio et al. 1994".

The text cites author-year (``bibtex_reference_style = "author_year"``), but the default
pybtex style labels the list alphabetically ("[LHTivnoG96]"), so a reader could not match
a citation with its entry. This registers a pybtex formatting style ``authoryear`` (the
``plain`` style, sorted by author, year and title, with author-year labels) and makes it
the default of sphinxcontrib-bibtex.
"""

from __future__ import annotations

import codecs
from collections import Counter

import latexcodec  # noqa: F401  (registers the "ulatex" codec; a dependency of pybtex)

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx


def _surname(person) -> str:
    names = " ".join(str(n) for n in person.prelast_names + person.last_names)
    # BibTeX accents (Koutn{\\'\\i}k) as the characters a reader sees (Koutník).
    names = codecs.decode(names, "ulatex")
    return names.replace("{", "").replace("}", "")


def _authors(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        return entry.fields.get("organization", entry.key)
    if len(people) == 1:
        return _surname(people[0])
    if len(people) == 2:
        return f"{_surname(people[0])} and {_surname(people[1])}"
    return f"{_surname(people[0])} et al."


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        base = [f"{_authors(e)} {e.fields.get('year', 'n.d.')}" for e in entries]
        counts = Counter(base)
        seen: Counter = Counter()
        for label in base:
            if counts[label] > 1:
                # Two works of the same authors and year: 1997a, 1997b.
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    default_label_style = "authoryear"
    default_sorting_style = "author_year_title"


def setup(app: Sphinx):
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
