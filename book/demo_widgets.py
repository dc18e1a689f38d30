"""Widget demos that stay live in Jupyter and still respond on the static website.

A chapter writes a demo once::

    from demo_widgets import demo
    demo(draw, {"N": widgets.IntSlider(value=6, min=0, max=15, description="width \\(N\\)")},
         site={"N": [0, 2, 4, 6, 10, 15]})

In a live kernel (Jupyter, Binder, JupyterHub, Colab) this is ``ipywidgets`` with
``interactive_output``: every move of a control calls ``draw`` again.

In the book build (the Sphinx extension ``book/_ext/static_demos.py`` sets
``RNN_BOOK_STATIC_DEMOS=1`` for the kernels it starts) the same ``draw`` is called once for
every combination of the *site grid* (``site``: the values each control offers on the web
page; by default every value the widget offers), and the figures it shows, or the text it
prints, are stored with the page. ``book/_static/static-demos.js`` draws the controls and
switches to the stored output of the chosen setting: no kernel, no network.

Each stored figure keeps, as its alternative text, the titles of its axes: the numbers a
reader reads in the title are also there for a screen reader and for the browser test.
"""

from __future__ import annotations

import contextlib
import html
import io
import itertools
import json
import os
import re

import ipywidgets as widgets

from demo_figures import figure_spec, figure_titles

#: Set by book/_ext/static_demos.py for the kernels of the book build.
ENV = "RNN_BOOK_STATIC_DEMOS"
#: A cap that keeps the site small and the build fast (see README: site size).
MAX_SETTINGS = 240


def static_mode() -> bool:
    """True while the book build executes the page, False in a live kernel."""
    return os.environ.get(ENV) == "1"


def _round(value):
    """Float grid values as the slider would show them (no 0.30000000000000004)."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    return value


def _offered(widget) -> list:
    """Every value a control offers in Jupyter."""
    if isinstance(widget, (widgets.Dropdown, widgets.RadioButtons, widgets.ToggleButtons)):
        return [value for _, value in widget.options] if widget.options and isinstance(
            widget.options[0], tuple) else list(widget.options)
    if isinstance(widget, widgets.IntSlider):
        return list(range(widget.min, widget.max + 1, widget.step))
    if isinstance(widget, widgets.FloatSlider):
        n = int(round((widget.max - widget.min) / widget.step))
        return [_round(widget.min + i * widget.step) for i in range(n + 1)]
    if isinstance(widget, widgets.Checkbox):
        return [False, True]
    raise TypeError(f"{type(widget).__name__} needs an explicit site grid "
                    "(site={name: [values...]})")


def _readout(widget, value) -> str:
    if isinstance(widget, widgets.FloatSlider):
        fmt = widget.readout_format or ".2f"
        return format(value, fmt)
    return str(value)


def _label_html(text: str) -> str:
    """Widget descriptions write math as \\(x\\); give it the class MathJax typesets."""
    parts = re.split(r"(\\\(.*?\\\))", text)
    return "".join(f'<span class="math notranslate nohighlight">{html.escape(p)}</span>'
                   if p.startswith("\\(") else html.escape(p) for p in parts)


def _control_spec(name: str, widget, values: list) -> dict:
    if widget.value not in values:
        raise ValueError(f"site grid of {name!r} must contain the widget's initial value "
                         f"{widget.value!r}; got {values!r}")
    kind = "slider" if isinstance(widget, (widgets.IntSlider, widgets.FloatSlider)) else "menu"
    return {"name": name, "label": widget.description or name, "kind": kind,
            "values": values, "readouts": [_readout(widget, v) for v in values],
            "initial": values.index(widget.value)}


class _Capture:
    """Collect what one call of a draw function shows: figures and printed text.

    ``plt.show`` only collects the open figures, and ``Figure.tight_layout`` does nothing
    (the browser lays the panels out): both would otherwise render the figure.
    """

    def __init__(self):
        self.figures = []
        self.text = io.StringIO()

    def __enter__(self):
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        self._plt, self._figure_cls = plt, Figure
        self._show, self._tight = plt.show, Figure.tight_layout
        plt.show = lambda *args, **kwargs: self._grab()
        Figure.tight_layout = lambda *args, **kwargs: None
        self._redirect = contextlib.redirect_stdout(self.text)
        self._redirect.__enter__()
        return self

    def _grab(self, *args, **kwargs):
        for num in self._plt.get_fignums():
            fig = self._plt.figure(num)
            if fig not in self.figures:
                self.figures.append(fig)

    def __exit__(self, *exc):
        self._redirect.__exit__(*exc)
        self._grab()
        self._plt.show = self._show
        self._figure_cls.tight_layout = self._tight
        return False


def _frame(func, kwargs) -> dict:
    import matplotlib.pyplot as plt

    with _Capture() as cap:
        func(**kwargs)
    frame = {"text": cap.text.getvalue(), "figures": []}
    for fig in cap.figures:
        spec = figure_spec(fig)
        spec["alt"] = figure_titles(fig)
        frame["figures"].append(spec)
        plt.close(fig)
    return frame


def build_static(func, controls: dict, site: dict | None = None) -> dict:
    """Run ``func`` on every setting of the site grid; return the demo's JSON spec."""
    site = site or {}
    unknown = set(site) - set(controls)
    if unknown:
        raise ValueError(f"site grid names {sorted(unknown)} are not controls of the demo "
                         f"(controls: {sorted(controls)})")
    specs = []
    for name, widget in controls.items():
        values = [_round(v.item() if hasattr(v, "item") else v)
                  for v in site.get(name, _offered(widget))]
        specs.append(_control_spec(name, widget, values))
    total = 1
    for spec in specs:
        total *= len(spec["values"])
    if total > MAX_SETTINGS:
        raise ValueError(f"the site grid has {total} settings, more than {MAX_SETTINGS}: "
                         "offer fewer values per control on the site")
    frames = []
    for combo in itertools.product(*(spec["values"] for spec in specs)):
        frames.append(_frame(func, dict(zip(controls, combo))))
    return {"controls": specs, "frames": frames}


def render_html(spec: dict) -> str:
    """The page's markup: controls, the initial output, and the spec for the script."""
    initial = 0
    for spec_c in spec["controls"]:
        initial = initial * len(spec_c["values"]) + spec_c["initial"]
    first = spec["frames"][initial]
    rows = []
    for c in spec["controls"]:
        rows.append(f'<div class="static-demo-control" data-name="{html.escape(c["name"])}">'
                    f'<span class="static-demo-label">{_label_html(c["label"])}</span>'
                    f'<span class="static-demo-readout">{html.escape(c["readouts"][c["initial"]])}'
                    f"</span></div>")
    text = (f'<pre class="static-demo-text">{html.escape(first["text"])}</pre>'
            if first["text"] else "")
    payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    return (f'<div class="static-demo">'
            f'<div class="static-demo-controls">{"".join(rows)}</div>'
            f'<div class="static-demo-output">{text}</div>'
            f'<script type="application/json" class="static-demo-spec">{payload}</script>'
            f"</div>")


def demo(func, controls: dict, site: dict | None = None):
    """Show ``func`` driven by ``controls`` (name -> ipywidget), live or precomputed.

    ``site`` maps a control's name to the values the static page offers (a subset of what
    the widget offers is fine; it must contain the initial value). Returns the live
    widget box, or None in the book build.
    """
    from IPython.display import display

    if static_mode():
        spec = build_static(func, controls, site)
        display({"text/html": render_html(spec), "text/plain": "<static demo>"}, raw=True)
        return None
    for widget in controls.values():
        widget.continuous_update = False
        widget.style.description_width = "initial"
    output = widgets.interactive_output(func, controls)
    # Controls wrap onto the next line instead of being squeezed on a narrow screen.
    row = widgets.HBox(list(controls.values()),
                       layout=widgets.Layout(flex_flow="row wrap", gap="0 1.5em"))
    box = widgets.VBox([row, output])
    display(box)
    return box
