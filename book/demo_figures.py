"""A matplotlib figure as drawing instructions for the browser (book/_static/static-demos.js).

Rendering a figure to PNG costs about 0.5 s of CPU on the build machine, too much for the
hundreds of settings of the book's demos. Building the figure costs a tenth of that. So the
demo's own drawing code builds the figure as usual and this module reads back what it
put there: for each axes its grid cell, limits, scales, ticks, title and labels, and its
lines, patches, collections, texts and legend, in data coordinates. The browser draws
them as SVG.

Text in matplotlib's mathtext (``$\\rho = 0.9$``, ``$\\mathbf{h}^{(l)}[t]$``) becomes a list
of runs ``[text, style]`` (style letters: ``b`` bold, ``i`` italic, ``^`` superscript,
``_`` subscript), enough for the labels of the book's figures.
"""

from __future__ import annotations

import math
import re

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import rcParams
from matplotlib.font_manager import FontProperties
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4),
    ("epsilon", 0x3B5), ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7),
    ("theta", 0x3B8), ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC),
    ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3),
    ("tau", 0x3C4), ("phi", 0x3C6), ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8),
    ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398),
    ("Lambda", 0x39B), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9))}
SYMBOLS = {"|": "\u2016", "partial": "\u2202", "nabla": "\u2207", "ast": "\u2217",
           "cdot": "\u00b7", "times": "\u00d7", "le": "\u2264", "leq": "\u2264",
           "ge": "\u2265", "geq": "\u2265", "approx": "\u2248", "infty": "\u221e",
           "to": "\u2192", "rightarrow": "\u2192", "pm": "\u00b1", "sum": "\u2211",
           "prod": "\u220f", "ldots": "\u2026", "dots": "\u2026", "cdots": "\u22ef",
           "{": "{", "}": "}", "%": "%", "$": "$", "_": "_", "#": "#", "&": "&",
           ",": "\u2009", ";": "\u2005", ":": "\u2005", " ": " ", "!": "", "quad": "\u2003",
           "qquad": "\u2003\u2003", "lvert": "|", "rvert": "|", "vert": "|",
           "lVert": "\u2016", "rVert": "\u2016", "langle": "\u27e8", "rangle": "\u27e9",
           "odot": "\u2299", "circ": "\u2218", "prime": "\u2032", "neq": "\u2260",
           "in": "\u2208", "sim": "\u223c", "propto": "\u221d", "top": "\u22a4",
           "max": "max", "min": "min", "log": "log", "exp": "exp", "tanh": "tanh",
           "sigma": "\u03c3", "left": "", "right": "", "big": "", "Big": "", "bigl": "",
           "bigr": ""}
ROMAN_GROUPS = {"mathrm", "mathdefault", "operatorname", "text", "textrm", "mathit", "mathsf"}
BOLD_GROUPS = {"mathbf", "boldsymbol", "bm", "textbf"}


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at s[i]: a {...} group or one character/command."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth, j = 1, i + 1
        while j < len(s) and depth:
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            j += 1
        return s[i + 1:j - 1], j
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def _math_runs(s: str, style: str = "") -> list[list[str]]:
    runs: list[list[str]] = []

    def add(text, st):
        if not text:
            return
        if runs and runs[-1][1] == st:
            runs[-1][0] += text
        else:
            runs.append([text, st])

    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", s[i:])
            name = m.group(1)
            i += len(m.group(0))
            if name in BOLD_GROUPS or name in ROMAN_GROUPS:
                arg, i = _group(s, i)
                inner = style.replace("i", "")
                if name in BOLD_GROUPS:
                    inner += "b"
                for text, st in _math_runs(arg, inner + ("r" if name in ROMAN_GROUPS else "")):
                    add(text, st)
            elif name == "frac":
                num, i = _group(s, i)
                den, i = _group(s, i)
                for text, st in _math_runs(num, style) + [["/", style]] + _math_runs(den, style):
                    add(text, st)
            elif name in ("hat", "bar", "tilde", "vec", "overline"):
                arg, i = _group(s, i)
                mark = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "vec": "\u20d7",
                        "overline": "\u0305"}[name]
                for text, st in _math_runs(arg, style):
                    add(text + mark, st)
            elif name in GREEK:
                add(GREEK[name], style)
            elif name in SYMBOLS:
                add(SYMBOLS[name], style.replace("i", ""))
            else:
                add(name, style.replace("i", ""))
        elif c in "^_":
            arg, i = _group(s, i + 1)
            for text, st in _math_runs(arg, style + c):
                add(text, st)
        elif c in "{}":
            i += 1
        elif c.isalpha() and "r" not in style:
            add(c, style + "i" if "i" not in style else style)
            i += 1
        else:
            add(c, style)
            i += 1
    return runs


def text_runs(text: str) -> list[list[str]]:
    """mathtext (text with $...$ parts) as runs [text, style]; style letters b i ^ _."""
    runs: list[list[str]] = []
    parts = re.split(r"(?<!\\)\$", text)
    for k, part in enumerate(parts):
        if k % 2:
            new = _math_runs(part)
        else:
            new = [[part.replace("\\$", "$"), ""]] if part else []
        for t, st in new:
            st = "".join(sorted(set(st) - {"r"}))
            if runs and runs[-1][1] == st:
                runs[-1][0] += t
            else:
                runs.append([t, st])
    return runs


def plain(text: str) -> str:
    """What a reader reads in a mathtext string, as plain text."""
    return "".join(t for t, _ in text_runs(text))


def _num(v):
    v = float(v)
    if not math.isfinite(v):
        return None
    return float(f"{v:.5g}")


def _nums(values) -> list:
    arr = np.asarray(values, dtype=float).ravel()
    return [None if not math.isfinite(v) else float(f"{v:.4g}") for v in arr.tolist()]


def _xs(values):
    """x data, or None when it is 0, 1, 2, ... (the browser counts for itself)."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size and np.array_equal(arr, np.arange(arr.size)):
        return None
    return _nums(arr)


def _color(c, alpha=None):
    if c is None or (isinstance(c, str) and c.lower() == "none"):
        return None
    rgba = mcolors.to_rgba(c, alpha)
    if rgba[3] == 0:
        return None
    return [round(x, 3) for x in rgba]


def _coords(ax, transform) -> str | None:
    if transform is ax.transData:
        return "data"
    if transform is ax.transAxes:
        return "axes"
    if transform is ax.get_xaxis_transform():
        return "xaxis"     # x in data, y in axes fraction
    if transform is ax.get_yaxis_transform():
        return "yaxis"     # x in axes fraction, y in data
    return None


def _text(t) -> dict | None:
    if not t.get_visible() or not t.get_text():
        return None
    return {"runs": text_runs(t.get_text()), "size": t.get_fontsize(),
            "color": _color(t.get_color()), "weight": t.get_fontweight()}


def _ticks(axis, lo, hi, scale) -> list:
    if scale == "log":
        a, b = sorted((math.log10(lo), math.log10(hi)))
        inside = lambda v: v > 0 and a - 1e-9 <= math.log10(v) <= b + 1e-9  # noqa: E731
    else:
        a, b = sorted((lo, hi))
        inside = lambda v: a - 1e-9 * (b - a) <= v <= b + 1e-9 * (b - a)  # noqa: E731
    locs = [v for v in axis.get_majorticklocs() if inside(v)]
    labels = axis.get_major_formatter().format_ticks(locs) if locs else []
    ticks = [[_num(v), text_runs(lab)] for v, lab in zip(locs, labels)]
    if scale == "log" and len(ticks) > 8:
        step = math.ceil(len(ticks) / 7)
        ticks = [[v, lab if k % step == 0 else []] for k, (v, lab) in enumerate(ticks)]
    return ticks


def _line(ax, line: Line2D) -> dict | None:
    coords = _coords(ax, line.get_transform())
    if coords is None or not line.get_visible():
        return None
    marker = line.get_marker()
    marker = marker if marker not in (None, "None", "", " ", "none") else None
    ls = line.get_linestyle()
    return {"type": "line", "coords": coords, "x": _xs(line.get_xdata()),
            "y": _nums(line.get_ydata()), "color": _color(line.get_color(), line.get_alpha()),
            "lw": line.get_linewidth(), "ls": ls if ls not in ("None", "", " ") else None,
            "marker": marker, "ms": line.get_markersize(),
            "mfc": _color(line.get_markerfacecolor(), line.get_alpha()),
            "mec": _color(line.get_markeredgecolor(), line.get_alpha()),
            "z": line.get_zorder()}


def _patch(ax, patch) -> dict | None:
    coords = _coords(ax, patch.get_data_transform())
    if coords is None or not patch.get_visible():
        return None
    if isinstance(patch, Rectangle):
        x, y, w, h = patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()
        xy = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
    elif isinstance(patch, Polygon):
        xy = patch.get_xy().tolist()
    else:
        return None
    return {"type": "poly", "coords": coords, "xy": [[_num(a), _num(b)] for a, b in xy],
            "fc": _color(patch.get_facecolor()) if patch.get_fill() else None,
            "ec": _color(patch.get_edgecolor()) if patch.get_linewidth() else None,
            "lw": patch.get_linewidth(), "z": patch.get_zorder()}


def _collection(ax, coll) -> dict | None:
    if not coll.get_visible():
        return None
    if isinstance(coll, LineCollection):
        coords = _coords(ax, coll.get_transform())
        if coords is None:
            return None
        colors = coll.get_colors()
        return {"type": "segments", "coords": coords,
                "segs": [[[_num(a), _num(b)] for a, b in seg] for seg in coll.get_segments()],
                "color": _color(colors[0]) if len(colors) else None,
                "lw": float(coll.get_linewidths()[0]) if len(coll.get_linewidths()) else 1.0,
                "z": coll.get_zorder()}
    if isinstance(coll, PathCollection):
        coords = _coords(ax, coll.get_offset_transform())
        if coords is None:
            return None
        offsets = coll.get_offsets()
        paths = coll.get_paths()
        # matplotlib's square marker is a 5-vertex path; its circle has many more.
        shape = "s" if paths and len(paths[0].vertices) <= 5 else "o"
        fcs = coll.get_facecolors()
        sizes = coll.get_sizes()
        return {"type": "scatter", "coords": coords,
                "x": _nums(offsets[:, 0]), "y": _nums(offsets[:, 1]),
                "color": _color(fcs[0]) if len(fcs) else None,
                "size": float(sizes[0]) if len(sizes) else 36.0, "marker": shape,
                "z": coll.get_zorder()}
    if isinstance(coll, PolyCollection):
        coords = _coords(ax, coll.get_transform())
        if coords is None:
            return None
        fcs = coll.get_facecolors()
        return {"type": "polys", "coords": coords,
                "polys": [[[_num(a), _num(b)] for a, b in p.vertices] for p in coll.get_paths()],
                "fc": _color(fcs[0]) if len(fcs) else None, "z": coll.get_zorder()}
    return None


LEGEND_LOCS = {0: "upper right", 1: "upper right", 2: "upper left", 3: "lower left",
               4: "lower right", 5: "right", 6: "center left", 7: "center right",
               8: "lower center", 9: "upper center", 10: "center"}


def _handle(h) -> dict:
    if isinstance(h, Line2D):
        marker = h.get_marker()
        return {"kind": "line", "color": _color(h.get_color(), h.get_alpha()),
                "ls": h.get_linestyle() if h.get_linestyle() not in ("None", "", " ") else None,
                "lw": h.get_linewidth(),
                "marker": marker if marker not in (None, "None", "", " ", "none") else None}
    if isinstance(h, PathCollection):
        fcs = h.get_facecolors()
        return {"kind": "marker", "color": _color(fcs[0]) if len(fcs) else None}
    fc = getattr(h, "get_facecolor", lambda: None)()
    return {"kind": "box", "color": _color(fc)}


def _legend(leg) -> dict | None:
    if leg is None or not leg.get_visible():
        return None
    entries = [{"handle": _handle(h), "runs": text_runs(t.get_text())}
               for h, t in zip(leg.legend_handles, leg.get_texts())]
    outside = getattr(leg, "_bbox_to_anchor", None) is not None
    return {"entries": entries, "loc": LEGEND_LOCS.get(leg._loc, "upper right"),
            "outside": outside, "ncol": getattr(leg, "_ncols", 1),
            "frame": leg.get_frame_on(),
            "size": leg.get_texts()[0].get_fontsize() if leg.get_texts() else 10}


def axes_spec(ax) -> dict:
    ss = ax.get_subplotspec()
    gs = ss.get_gridspec()
    nrows, ncols = gs.get_geometry()
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    items = [d for d in (
        [_patch(ax, p) for p in ax.patches] + [_collection(ax, c) for c in ax.collections]
        + [_line(ax, ln) for ln in ax.lines]) if d]
    items.sort(key=lambda d: d["z"])
    texts = []
    for t in ax.texts:
        spec = _text(t)
        coords = _coords(ax, t.get_transform())
        if spec and coords:
            x, y = t.get_position()
            spec.update(coords=coords, x=_num(x), y=_num(y), ha=t.get_ha(), va=t.get_va())
            texts.append(spec)
    params = ax.xaxis.get_tick_params(which="major")
    yparams = ax.yaxis.get_tick_params(which="major")
    spines = {k: s.get_visible() for k, s in ax.spines.items()}
    return {
        "grid": [nrows, ncols, ss.rowspan.start, ss.rowspan.stop, ss.colspan.start,
                 ss.colspan.stop],
        "wr": list(gs.get_width_ratios() or [1] * ncols),
        "hr": list(gs.get_height_ratios() or [1] * nrows),
        "title": _text(ax.title), "xlabel": _text(ax.xaxis.label),
        "ylabel": _text(ax.yaxis.label),
        "xscale": ax.get_xscale(), "yscale": ax.get_yscale(),
        "xlim": [_num(v) for v in xlim], "ylim": [_num(v) for v in ylim],
        "xticks": _ticks(ax.xaxis, *xlim, ax.get_xscale()),
        "yticks": _ticks(ax.yaxis, *ylim, ax.get_yscale()),
        "xticklabels": params.get("labelbottom", True),
        "yticklabels": yparams.get("labelleft", True),
        "spines": spines, "aspect": "equal" if ax.get_aspect() == 1.0 else "auto",
        "items": items, "texts": texts, "legend": _legend(ax.get_legend()),
        "axison": ax.axison,
        "ticksize": FontProperties(size=rcParams["xtick.labelsize"]).get_size_in_points(),
    }


def figure_spec(fig) -> dict:
    """The drawing instructions of a figure (see the module docstring)."""
    sup = getattr(fig, "_suptitle", None)
    w, h = fig.get_size_inches()
    return {"size": [round(float(w), 3), round(float(h), 3)],
            "suptitle": _text(sup) if sup is not None else None,
            "axes": [axes_spec(ax) for ax in fig.axes if ax.get_subplotspec() is not None]}


def figure_titles(fig) -> str:
    """The titles a reader sees on a figure, as plain text, in reading order."""
    parts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        parts.append(plain(sup.get_text()))
    for ax in fig.axes:
        if ax.get_title():
            parts.append(plain(ax.get_title()))
    return " | ".join(" ".join(p.split()) for p in parts)
