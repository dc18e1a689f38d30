"""The widget demos respond on the static site, offline, and show what Python computed.

For every page with demos (``book/demo_widgets.py``), in headless Chromium with the network
cut off: each control of each demo is moved to two settings other than its initial one,
and the titles drawn on the page (or the printed text) must equal what the demo's draw
function produced for exactly that setting when the book was executed. The reference is
the executed notebook in ``_build/jupyter_execute``: the figure titles there were read
from the matplotlib figures that the draw function built (``demo_figures.figure_titles``),
not from anything the page's script computed.

Some titles also carry the setting itself or a number that follows from it in closed form
(chapter 2: a pulse reaches exactly N + 1 outputs); those are checked against the formula.
"""

from __future__ import annotations

import json
import re

import pytest

from book_site import book_paths, toc_docnames
from test_book_browser import Recorder

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SPEC = re.compile(r'<script type="application/json" class="static-demo-spec">(.*?)</script>',
                  re.S)


def _demo_specs(executed_notebook) -> list[dict]:
    nb = json.loads(executed_notebook.read_text())
    specs = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            specs += [json.loads(m) for m in SPEC.findall(html)]
    return specs


def _frame_index(spec, chosen) -> int:
    index = 0
    for control, k in zip(spec["controls"], chosen):
        index = index * len(control["values"]) + k
    return index


def _targets(control) -> list[int]:
    """Two settings other than the initial one: the far end and one in between."""
    n, init = len(control["values"]), control["initial"]
    others = [k for k in range(n) if k != init]
    if len(others) <= 2:
        return others
    far = others[-1] if init < n / 2 else others[0]
    mid = others[len(others) // 2]
    return [far, mid] if mid != far else [far, others[1]]


DRAWN = r"""(root) => {
  const out = root.querySelector('.static-demo-output');
  return {
    figures: Array.from(out.querySelectorAll('svg.static-demo-figure')).map(svg =>
      Array.from(svg.querySelectorAll('g.static-demo-suptitle, g.static-demo-title'))
        .map(g => Array.from(g.querySelectorAll('text')).map(t => t.textContent).join(' ')
                       .replace(/\s+/g, ' ').trim()).filter(Boolean)),
    text: (out.querySelector('pre.static-demo-text') || {}).textContent || '',
    lines: out.querySelectorAll('.static-demo-line').length,
    setting: root.dataset.setting,
  };
}"""


def _expected_titles(frame) -> list[str]:
    return [fig["alt"] for fig in frame["figures"]]


def _drawn_titles(drawn) -> list[str]:
    # The drawn title of a figure is split into one <text> per line; the reference
    # joins the titles of a figure with " | " and the lines of one title with a space.
    return [" | ".join(parts) for parts in drawn["figures"]]


def _normalise(titles: list[str]) -> list[str]:
    return [re.sub(r"\s*\|\s*", " | ", re.sub(r"\s+", " ", t)).strip() for t in titles]


def _closed_form(doc: str, setting: dict, titles: list[str]) -> list[str]:
    """Numbers in a title that follow from the setting alone."""
    problems = []
    text = " ".join(titles)
    if doc.endswith("02_tdnn"):
        n, t0 = setting["N"], setting["t_pulse"]
        want = f"{n + 1} outputs respond (t = {t0} to {t0 + n})"
        if want not in text:
            problems.append(f"expected {want!r} in {text!r}")
    if doc.endswith("04_jordan") and f"μ = {setting['mu']:.2f}" not in text:
        problems.append(f"μ = {setting['mu']:.2f} not in {text!r}")
    if doc.endswith("06_rnn") and (f"ρ = {setting['rho']:.2f}" not in text
                                   or f"L = {setting['L']}" not in text
                                   or setting["activation"] not in text):
        problems.append(f"setting {setting} not in {text!r}")
    return problems


def _demo_pages():
    p = book_paths()
    pages = []
    for doc in toc_docnames(p.toc):
        src = p.root / f"{doc}.md"
        if src.exists() and "demo(" in src.read_text():
            pages.append(doc)
    return pages


def pytest_generate_tests(metafunc):
    if "demo_doc" in metafunc.fixturenames:
        metafunc.parametrize("demo_doc", _demo_pages())


def test_demos_respond_offline(demo_doc, browser, server, site, paths):
    executed = paths.build / "jupyter_execute" / f"{demo_doc}.ipynb"
    assert executed.exists(), f"{demo_doc} was not executed"
    specs = _demo_specs(executed)
    assert specs, f"{demo_doc} calls demo() but its executed notebook stores no static demo"

    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    rec = Recorder(context)
    page = context.new_page()
    rec.watch(page)
    problems = []
    moves = 0
    try:
        page.goto(f"{server}/{demo_doc}.html", wait_until="load", timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('.static-demo').length > 0"
                               " && Array.from(document.querySelectorAll('.static-demo'))"
                               ".every(d => d.dataset.ready)", timeout=30_000)
        roots = page.locator(".static-demo")
        assert roots.count() == len(specs), (
            f"{demo_doc}: {roots.count()} demos on the page, {len(specs)} in the notebook")
        for d, spec in enumerate(specs):
            root = roots.nth(d)
            root.scroll_into_view_if_needed()
            chosen = [c["initial"] for c in spec["controls"]]
            for i, control in enumerate(spec["controls"]):
                widget = root.locator(f'.static-demo-control[data-name="{control["name"]}"] '
                                      ".static-demo-input")
                assert widget.count() == 1, f"{demo_doc}: no input for {control['name']}"
                for k in _targets(control):
                    if control["kind"] == "slider":
                        widget.evaluate("(el, v) => { el.value = String(v);"
                                        " el.dispatchEvent(new Event('input')); }", k)
                    else:
                        widget.select_option(str(k))
                    chosen[i] = k
                    moves += 1
                    frame = spec["frames"][_frame_index(spec, chosen)]
                    drawn = root.evaluate(DRAWN)
                    setting = {c["name"]: c["values"][j]
                               for c, j in zip(spec["controls"], chosen)}
                    where = f"{demo_doc} demo {d}, {setting}"
                    readout = root.locator(f'.static-demo-control[data-name="{control["name"]}"]'
                                           " .static-demo-readout").text_content()
                    if control["kind"] == "slider" and readout != control["readouts"][k]:
                        problems.append(f"{where}: readout {readout!r}, "
                                        f"expected {control['readouts'][k]!r}")
                    if json.loads(drawn["setting"]) != list(setting.values()):
                        problems.append(f"{where}: page reports setting {drawn['setting']}")
                    want = _normalise(_expected_titles(frame))
                    got = _normalise(_drawn_titles(drawn))
                    if want != got:
                        problems.append(f"{where}: drawn titles {got}, computed {want}")
                    if frame["text"] and drawn["text"] != frame["text"]:
                        problems.append(f"{where}: shows text {drawn['text'][:80]!r}, "
                                        f"computed {frame['text'][:80]!r}")
                    if frame["figures"] and drawn["lines"] == 0:
                        problems.append(f"{where}: no line drawn")
                    problems += [f"{where}: {p}" for p in _closed_form(demo_doc, setting, got)]
                # Back to the initial value, so that the next control moves alone.
                k = control["initial"]
                if control["kind"] == "slider":
                    widget.evaluate("(el, v) => { el.value = String(v);"
                                    " el.dispatchEvent(new Event('input')); }", k)
                else:
                    widget.select_option(str(k))
                chosen[i] = k
    finally:
        context.close()
    assert moves >= 2, f"{demo_doc}: no control could be moved"
    if rec.external:
        problems.append(f"requests left localhost: {rec.external}")
    if rec.errors:
        problems.append(f"console errors: {rec.errors}")
    assert not problems, "\n".join(problems[:30])
