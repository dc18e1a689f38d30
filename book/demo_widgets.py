"""Widget demos that stay live in Jupyter and still respond on the static website.

A chapter writes a demo once::

    from demo_widgets import IntSlider, demo
    demo(draw, {"N": IntSlider(value=6, min=0, max=15, description="width \\(N\\)")},
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


class Control:
    """A control of a demo: the ipywidgets class and its arguments.

    The live widget is built only in a live kernel; the book build reads the values the
    control offers from the arguments, so the page stores no widget state (and loads no
    widget manager).
    """

    defaults = {"IntSlider": {"value": 0, "min": 0, "max": 100, "step": 1},
                "FloatSlider": {"value": 0.0, "min": 0.0, "max": 10.0, "step": 0.1,
                                "readout_format": ".2f"},
                "Dropdown": {}, "Text": {"value": ""}, "Checkbox": {"value": False}}

    def __init__(self, kind: str, **kwargs):
        if kind not in self.defaults:
            raise ValueError(f"unsupported control {kind!r}; expected one of "
                             f"{sorted(self.defaults)}")
        self.kind = kind
        self.kwargs = kwargs
        self.args = {**self.defaults[kind], **kwargs}
        if kind == "Dropdown" and "value" not in kwargs:
            self.args["value"] = self.offered()[0]

    @property
    def value(self):
        return self.args["value"]

    @property
    def description(self) -> str:
        return self.args.get("description", "")

    def widget(self):
        return getattr(widgets, self.kind)(**self.kwargs)

    def offered(self) -> list:
        """Every value the control offers in Jupyter."""
        a = self.args
        if self.kind == "Dropdown":
            options = list(a["options"])
            return [o[1] for o in options] if options and isinstance(options[0], tuple) \
                else options
        if self.kind == "IntSlider":
            return list(range(a["min"], a["max"] + 1, a["step"]))
        if self.kind == "FloatSlider":
            n = int(round((a["max"] - a["min"]) / a["step"]))
            return [_round(a["min"] + i * a["step"]) for i in range(n + 1)]
        if self.kind == "Checkbox":
            return [False, True]
        raise ValueError(f"a {self.kind} control needs an explicit site grid "
                         "(site={name: [values...]})")

    def readout(self, value) -> str:
        if self.kind == "FloatSlider":
            return format(value, self.args["readout_format"])
        return str(value)


def IntSlider(**kwargs) -> Control:
    return Control("IntSlider", **kwargs)


def FloatSlider(**kwargs) -> Control:
    return Control("FloatSlider", **kwargs)


def Dropdown(**kwargs) -> Control:
    return Control("Dropdown", **kwargs)


def Text(**kwargs) -> Control:
    return Control("Text", **kwargs)


def _label_html(text: str) -> str:
    """Widget descriptions write math as \\(x\\); give it the class MathJax typesets."""
    parts = re.split(r"(\\\(.*?\\\))", text)
    return "".join(f'<span class="math notranslate nohighlight">{html.escape(p)}</span>'
                   if p.startswith("\\(") else html.escape(p) for p in parts)


def _control_spec(name: str, control: Control, values: list) -> dict:
    if control.value not in values:
        raise ValueError(f"site grid of {name!r} must contain the control's initial value "
                         f"{control.value!r}; got {values!r}")
    kind = "slider" if control.kind in ("IntSlider", "FloatSlider") else "menu"
    return {"name": name, "label": control.description or name, "kind": kind,
            "values": values, "readouts": [control.readout(v) for v in values],
            "initial": values.index(control.value)}


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
    for name, control in controls.items():
        values = [_round(v.item() if hasattr(v, "item") else v)
                  for v in (site[name] if name in site else control.offered())]
        specs.append(_control_spec(name, control, values))
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
    """Show ``func`` driven by ``controls`` (name -> control), live or precomputed.

    The controls are this module's ``IntSlider``, ``FloatSlider``, ``Dropdown`` and
    ``Text``, which take the arguments of the ipywidgets classes of the same names.
    ``site`` maps a control's name to the values the static page offers (a subset of what
    the control offers is fine; it must contain the initial value). Returns the live
    widget box, or None in the book build.
    """
    from IPython.display import display

    for name, control in controls.items():
        if not isinstance(control, Control):
            raise TypeError(f"control {name!r} must come from demo_widgets (IntSlider, "
                            f"FloatSlider, Dropdown, Text), got {type(control).__name__}")
    if static_mode():
        import time

        wall, cpu = time.perf_counter(), time.process_time()
        spec = build_static(func, controls, site)
        html_text = render_html(spec)
        # What the site grid cost, for benchmarks/bench_demos.py (not shown on the page).
        cost = {"settings": len(spec["frames"]), "bytes": len(html_text),
                "seconds": round(time.perf_counter() - wall, 3),
                "cpu_seconds": round(time.process_time() - cpu, 3)}
        display({"text/html": html_text, "text/plain": "<static demo>"},
                metadata={"static_demo": cost}, raw=True)
        return None
    live = {name: control.widget() for name, control in controls.items()}
    for widget in live.values():
        widget.continuous_update = False
        widget.style.description_width = "initial"
    output = widgets.interactive_output(func, live)
    # Controls wrap onto the next line instead of being squeezed on a narrow screen.
    row = widgets.HBox(list(live.values()),
                       layout=widgets.Layout(flex_flow="row wrap", gap="0 1.5em"))
    box = widgets.VBox([row, output])
    display(box)
    return box


def text_progress_in_book() -> None:
    """In the book build, turn ``tqdm.auto`` progress bars into a one-line text summary.

    A live progress bar is an ipywidget whose last state (with the build machine's speed,
    "2302.01it/s") would be published and differ from build to build. In the book build
    each bar instead prints, when it closes, its description, the steps done and its last
    postfix (``rnn_ref.seqmodel.fit`` shows the running loss there). In a live kernel
    nothing changes.
    """
    if not static_mode():
        return
    import sys

    import tqdm.auto
    from tqdm.std import tqdm as std_tqdm

    class TextSummary(std_tqdm):
        def display(self, msg=None, pos=None):
            return True

        def close(self):
            if self.disable:
                return
            done, total = self.n, self.total
            super().close()
            steps = f"{done}/{total} steps" if total else f"{done} steps"
            extra = f", {self.postfix}" if self.postfix else ""
            print(f"{self.desc or 'progress'}: {steps}{extra}", file=sys.stdout)

    tqdm.auto.tqdm = TextSummary
