"""Every page of the built book, opened in headless Chromium with the network cut off.

For each page in the table of contents the test checks that MathJax typeset every
equation, that every image loaded, that widgets saved in the page render without a kernel,
that the console stays free of errors, and that no request leaves localhost. It saves a
full-page screenshot of each page to ``_build/screenshots/`` for a human to look at.
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
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest('pre, code, script, style, textarea, mjx-container, .highlight')) continue;
    const t = node.textContent;
    if (t.includes('$$') || t.includes('\\(') || t.includes('\\[')) raw.push(t.trim().slice(0, 80));
  }
  return {maths: maths.length, containers: document.querySelectorAll('mjx-container').length,
          untypeset, merrors, undefinedMacros, raw};
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


def test_page_renders_offline(docname, browser, server, site, paths):
    html_file = site / f"{docname}.html"
    assert html_file.exists(), f"{docname}.html was not built"
    html = html_file.read_text()
    has_widgets = f'type="{WIDGET_STATE}"' in html
    has_math = 'class="math' in html

    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    rec = Recorder(context)
    page = context.new_page()
    rec.watch(page)
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
        page.wait_for_load_state("networkidle", timeout=30_000)
        images = page.evaluate(IMAGES_REPORT)
        math = page.evaluate(MATH_REPORT)
        widgets = page.evaluate(WIDGETS_REPORT)
        shot = paths.screenshots / f"{docname}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()

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
    if math["raw"]:
        problems.append(f"raw TeX delimiters in the text: {math['raw']}")
    if has_widgets:
        expect = _widget_expectations(html)
        if widgets["rendered"] < max(1, widgets["views"]):
            problems.append(f"saved widgets did not render: {widgets}")
        if expect["slider"] and widgets["sliders"] < 1:
            problems.append(f"saved sliders did not render: {widgets}")
        if expect["image"] and widgets["images"] < 1:
            problems.append(f"saved widget output (figure) not shown: {widgets}")
    assert not problems, f"{docname} (screenshot: {shot}):\n" + "\n".join(problems)


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
