"""Every page of the built book, opened in headless Chromium with the network cut off.

Each page in the table of contents is opened once at 1280 px and once at 390 px (a phone);
the tests below share those two visits. At 1280 px: MathJax typeset every equation, every
image loaded, the console stays free of errors, no request leaves localhost, no raw TeX
is left in the text, and no typeset equation is wider than its column (or runs under
its equation number). At 390 px: no control of a widget demo is clipped or squeezed.
The sidebar and contents toggles are clicked at 390, 900 and 1280 px. Full-page
screenshots of every page at both widths go to ``_build/screenshots/`` (and ``390/``)
for a human to look at.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest

from book_site import WIDGET_STATE, book_paths, toc_docnames

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def pytest_generate_tests(metafunc):
    if "docname" in metafunc.fixturenames:
        metafunc.parametrize("docname", toc_docnames(book_paths().toc))


class Recorder:
    """Route every request of a browser context; keep what should not have happened."""

    def __init__(self, context):
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def watch(self, page):
        page.on("console", lambda m: self.errors.append(f"console.error: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught exception: {e}"))
        page.on("response", lambda r: self.failed.append(f"HTTP {r.status} {r.url}")
                if r.status >= 400 else None)
        page.on("requestfailed", lambda r: None if r.url in self.external
                else self.failed.append(f"failed {r.url}: {r.failure}"))
        page.on("websocket", lambda ws: None if urlparse(ws.url).hostname in LOCAL_HOSTS
                else self.external.append(ws.url))


MATH_REPORT = r"""() => {
  const maths = Array.from(document.querySelectorAll('.math'));
  const untypeset = maths.filter(m => !m.querySelector('mjx-container'))
                         .map(m => m.textContent.trim().slice(0, 80));
  const merrors = Array.from(document.querySelectorAll('mjx-merror'))
                       .map(e => e.getAttribute('data-mjx-error') || e.textContent);
  // MathJax's noundefined extension prints an unknown macro's name in red.
  const undefinedMacros = Array.from(
      document.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]'))
      .map(e => e.textContent).filter(t => t.startsWith('\\'));
  return {maths: maths.length, containers: document.querySelectorAll('mjx-container').length,
          untypeset, merrors, undefinedMacros};
}"""

# TeX that reached the reader as text: delimiters MyST did not turn into maths, and
# macros outside any equation.
RAW_TEX_REPORT = r"""() => {
  const marks = ['$$', '\\(', '\\[', '\\mathbf', '\\begin{', '\\end{', '\\frac',
                 '\\mathrm', '\\left', '\\sum'];
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest('pre, code, script, style, textarea, mjx-container, .highlight'))
      continue;
    const t = node.textContent;
    const hit = marks.find(m => t.includes(m));
    if (hit) raw.push(hit + ' in: ' + t.trim().slice(0, 100));
  }
  return raw;
}"""

# Display equations wider than their column, or running under their equation number
# (sphinx floats the number at the right; an equation too wide for the room beside it
# slides under it and is hidden there).
EQUATIONS_REPORT = r"""() => {
  const out = [];
  document.querySelectorAll('div.math').forEach(div => {
    const math = div.querySelector('mjx-container mjx-math');
    if (!math) return;
    const m = math.getBoundingClientRect();
    const d = div.getBoundingClientRect();
    const eqno = div.querySelector('span.eqno');
    const n = eqno ? eqno.getBoundingClientRect() : null;
    const overflow = m.width > d.width + 1 || m.left < d.left - 1 || m.right > d.right + 1;
    const under = n !== null && n.width > 0 && m.right > n.left + 1 && m.left < n.right - 1
                  && m.bottom > n.top + 1 && m.top < n.bottom - 1;
    if (overflow || under) {
      let tex = '';
      try {
        const items = MathJax.startup.document.getMathItemsWithin(div);
        tex = items.length ? items[0].math : '';
      } catch (err) {}
      out.push({number: eqno ? eqno.textContent.replace('#', '').trim() : null,
                problem: overflow ? 'wider than the column' : 'runs under its number',
                width: Math.round(m.width), column: Math.round(d.width),
                tex: tex.replace(/\s+/g, ' ').trim().slice(0, 90)});
    }
  });
  return out;
}"""

# Controls of widget demos (static or live) that stick out of the page or of a
# scrolling box, or whose slider is squeezed below a usable width.
CLIPPED_REPORT = r"""() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  const controls = document.querySelectorAll(
      '.static-demo-control, .widget-slider, .widget-dropdown, .widget-text');
  controls.forEach(c => {
    const r = c.getBoundingClientRect();
    let clipped = r.right > vw + 1 || r.left < -1;
    for (let a = c.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === 'visible') continue;
      const ar = a.getBoundingClientRect();
      if (r.right > ar.right + 1 || r.left < ar.left - 1) clipped = true;
    }
    const input = c.querySelector('input[type=range], select, .slider-container');
    const iw = input ? input.getBoundingClientRect().width : null;
    if (clipped || (iw !== null && iw < 80))
      bad.push({control: c.dataset.name || c.className, left: Math.round(r.left),
                right: Math.round(r.right), viewport: vw, inputWidth: iw && Math.round(iw)});
  });
  return {controls: controls.length, bad};
}"""

IMAGES_REPORT = r"""async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done);
                            setTimeout(done, 10000); })));
  return {count: imgs.length,
          broken: imgs.filter(img => !(img.complete && img.naturalWidth > 0))
                      .map(img => (img.currentSrc || img.src).slice(0, 120))};
}"""

WIDGETS_REPORT = r"""() => {
  const views = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const areas = Array.from(document.querySelectorAll('.widget-subarea'));
  const rendered = areas.filter(a => a.children.length > 0 &&
                                     a.getBoundingClientRect().height > 0).length;
  return {views, rendered,
          sliders: document.querySelectorAll('.widget-subarea .widget-slider').length,
          images: Array.from(document.querySelectorAll('.widget-subarea img'))
                       .filter(i => i.complete && i.naturalWidth > 0).length};
}"""

WIDGETS_READY = r"""() => {
  const views = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const areas = Array.from(document.querySelectorAll('.widget-subarea'))
                     .filter(a => a.children.length > 0);
  return views > 0 && areas.length >= views;
}"""


def _widget_expectations(html: str) -> dict:
    """What the saved widget state promises: sliders? images in output widgets?"""
    match = re.search(r'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)'
                      r"</script>", html, re.S)
    state = json.loads(match.group(1))["state"] if match else {}
    models = [m.get("model_name", "") for m in state.values()]
    return {"slider": any(name.endswith("SliderModel") for name in models),
            "image": any(m.get("model_name") == "OutputModel" and "image/png" in json.dumps(m)
                         for m in state.values())}


WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="session")
def visit(browser, server, site, paths):
    """Open a page once per width (shared by the tests below); return what was seen."""
    seen: dict = {}

    def run(docname: str, width: str = "desktop") -> dict:
        key = (docname, width)
        if key in seen:
            return seen[key]
        html_file = site / f"{docname}.html"
        assert html_file.exists(), f"{docname}.html was not built"
        html = html_file.read_text()
        has_widgets = f'type="{WIDGET_STATE}"' in html
        has_math = 'class="math' in html
        w, h = WIDTHS[width]
        context = browser.new_context(viewport={"width": w, "height": h},
                                      service_workers="block")
        rec = Recorder(context)
        page = context.new_page()
        rec.watch(page)
        report = {"html": html, "has_widgets": has_widgets, "has_math": has_math, "rec": rec}
        try:
            page.goto(f"{server}/{docname}.html", wait_until="load", timeout=60_000)
            if has_math:
                page.wait_for_function("() => window.MathJax && MathJax.startup"
                                       " && MathJax.startup.promise", timeout=30_000)
                page.evaluate("() => MathJax.startup.promise.then(() => true)")
            if has_widgets:
                try:
                    page.wait_for_function(WIDGETS_READY, timeout=30_000)
                except Exception as err:  # reported by the assertions below
                    rec.errors.append(f"widgets did not render within 30 s ({type(err).__name__})")
            if 'class="static-demo"' in html:
                page.wait_for_function("() => Array.from(document.querySelectorAll("
                                       "'.static-demo')).every(d => d.dataset.ready)",
                                       timeout=30_000)
            page.wait_for_load_state("networkidle", timeout=30_000)
            report["images"] = page.evaluate(IMAGES_REPORT)
            report["math"] = page.evaluate(MATH_REPORT)
            report["widgets"] = page.evaluate(WIDGETS_REPORT)
            report["raw_tex"] = page.evaluate(RAW_TEX_REPORT)
            report["equations"] = page.evaluate(EQUATIONS_REPORT)
            report["clipped"] = page.evaluate(CLIPPED_REPORT)
            folder = paths.screenshots if width == "desktop" else paths.screenshots / str(w)
            shot = folder / f"{docname}.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            report["shot"] = shot
        finally:
            context.close()
        seen[key] = report
        return report

    return run


def test_page_renders_offline(docname, visit):
    seen = visit(docname)
    rec, images, math, widgets = seen["rec"], seen["images"], seen["math"], seen["widgets"]
    has_math, has_widgets, html = seen["has_math"], seen["has_widgets"], seen["html"]
    problems = []
    if rec.external:
        problems.append(f"requests left localhost: {rec.external}")
    if rec.failed:
        problems.append(f"failed requests: {rec.failed}")
    if rec.errors:
        problems.append(f"console errors: {rec.errors}")
    if images["broken"]:
        problems.append(f"images that did not load: {images['broken']}")
    if has_math and not (math["maths"] > 0 and math["containers"] >= math["maths"]):
        problems.append(f"MathJax did not typeset the page: {math}")
    if math["untypeset"]:
        problems.append(f"equations MathJax left alone: {math['untypeset']}")
    if math["merrors"]:
        problems.append(f"MathJax errors: {math['merrors']}")
    if math["undefinedMacros"]:
        problems.append(f"undefined TeX macros: {math['undefinedMacros']}")
    if has_widgets:
        expect = _widget_expectations(html)
        if widgets["rendered"] < max(1, widgets["views"]):
            problems.append(f"saved widgets did not render: {widgets}")
        if expect["slider"] and widgets["sliders"] < 1:
            problems.append(f"saved sliders did not render: {widgets}")
        if expect["image"] and widgets["images"] < 1:
            problems.append(f"saved widget output (figure) not shown: {widgets}")
    assert not problems, f"{docname} (screenshot: {seen['shot']}):\n" + "\n".join(problems)


def test_no_raw_tex_in_text(docname, visit):
    raw = visit(docname)["raw_tex"]
    assert not raw, f"{docname}: TeX shown as text:\n" + "\n".join(raw[:20])


def test_equations_fit_their_column(docname, visit):
    wide = visit(docname)["equations"]
    assert not wide, (f"{docname}: equations wider than the column at 1280 px (or running "
                      "under their number):\n" + "\n".join(map(str, wide)))


# Known open defect: chapter 12's decoder demo has a control clipped at 390 px.
CLIPPED_PENDING = {"book/12_seq2seq"}


def test_no_widget_control_clipped_on_a_phone(docname, visit, request):
    if docname in CLIPPED_PENDING:
        request.applymarker(pytest.mark.xfail(reason="chapter 12's demo controls at 390 px",
                                              strict=False))
    seen = visit(docname, "phone")
    bad = seen["clipped"]["bad"]
    assert not bad, (f"{docname} at 390 px (screenshot {seen['shot']}): clipped or squeezed "
                     "controls:\n" + "\n".join(map(str, bad)))


SIDEBAR_PAGE = "book/01_sequences"


@pytest.mark.parametrize("size", [(390, 844), (900, 1000), (1280, 900)],
                         ids=["390", "900", "1280"])
def test_sidebar_toggles_work(size, browser, server, site, docnames):
    """The page list and the contents open (and close) from their buttons."""
    doc = SIDEBAR_PAGE if SIDEBAR_PAGE in docnames else docnames[0]
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height},
                                  service_workers="block")
    page = context.new_page()
    problems = []
    try:
        page.goto(f"{server}/{doc}.html", wait_until="load")
        page.wait_for_load_state("networkidle")
        primary = page.locator(".primary-toggle >> visible=true")
        if primary.count() != 1:
            problems.append(f"{primary.count()} visible sidebar buttons, expected 1")
        elif width < 992:
            primary.click()
            page.wait_for_timeout(300)
            dialog = page.locator("dialog#pst-primary-sidebar-modal")
            if not dialog.evaluate("d => d.open"):
                problems.append("the sidebar button did not open the page list")
            elif not dialog.locator("nav a.reference >> visible=true").count():
                problems.append("the page list opened empty")
            page.keyboard.press("Escape")
            page.wait_for_timeout(300)
            if dialog.evaluate("d => d.open"):
                problems.append("Escape did not close the page list")
        else:
            sidebar = page.locator("#pst-primary-sidebar")
            links = sidebar.locator("nav a.reference >> visible=true")
            before = links.count()
            primary.click()
            page.wait_for_timeout(600)
            hidden = links.count()
            primary.click()
            page.wait_for_timeout(600)
            after = links.count()
            if not (before > 0 and hidden == 0 and after == before):
                problems.append(f"sidebar links visible: {before} before, {hidden} after a "
                                f"click, {after} after a second click")
        secondary = page.locator(".secondary-toggle >> visible=true")
        if width < 1200:
            if secondary.count() != 1:
                problems.append(f"{secondary.count()} visible contents buttons, expected 1")
            else:
                secondary.click()
                page.wait_for_timeout(300)
                dialog = page.locator("dialog#pst-secondary-sidebar-modal")
                if not dialog.evaluate("d => d.open"):
                    problems.append("the contents button did not open the contents")
                elif not dialog.locator("a >> visible=true").count():
                    problems.append("the contents opened empty")
        elif not page.locator("#pst-secondary-sidebar nav a >> visible=true").count():
            problems.append("no contents beside the page at this width")
    finally:
        context.close()
    assert not problems, f"{doc} at {width}x{height}: " + "; ".join(problems)


def test_search_works_offline(browser, server, site, docnames):
    context = browser.new_context(service_workers="block")
    rec = Recorder(context)
    page = context.new_page()
    rec.watch(page)
    try:
        page.goto(f"{server}/search.html?q=sequence", wait_until="load")
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        hits = page.locator("#search-results ul.search li").count()
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert hits >= 1
    assert not rec.external, f"requests left localhost: {rec.external}"
    assert not rec.errors and not rec.failed, rec.errors + rec.failed
