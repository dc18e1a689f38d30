"""The book builds cleanly and offline, and the built site references only local files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from book_site import WIDGET_STATE

# The terms other chapters cite with {term}`...`; the glossary must define exactly these.
GLOSSARY_TERMS = """
sequence; time step; finite impulse response; infinite impulse response;
time-delay neural network; width; NARX network; open loop; closed loop; teacher forcing;
memory unit; Jordan network; Elman network; context unit; Elman's approximation;
state-space model; hidden state; initial state; recurrent neural network; deep RNN;
skip connection; many-to-many; many-to-one; one-to-many; unrolling; weight sharing;
divergence; backpropagation through time; gradient pooling; truncated BPTT;
bidirectional RNN; vanishing gradient; exploding gradient; spectral radius;
gradient clipping; LSTM; cell state; forget gate; input gate; output gate; GRU;
update gate; reset gate; character-level language model; logits; softmax; cross-entropy;
temperature; perplexity; sequence-to-sequence; beam search; attention
"""


# Lines the executing kernels log that say nothing about the build:
# - ipykernel warns that it talks to myst-nb over TCP on localhost;
# - jupyter_client interrupts every kernel before shutting it down, and ipykernel logs
#   the interrupt if it lands while a message (e.g. a widget comm) is being handled.
BENIGN_KERNEL_LOG = ("Kernel is running over TCP", "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.")


@pytest.mark.slow
def test_build_is_clean(built_site):
    """`make book` (-W -n --keep-going) succeeds with no warning, without network."""
    if built_site.isolation == "prebuilt":
        pytest.skip("RNN_BOOK_NO_BUILD=1: reusing an existing site")
    text = built_site.log_text()
    problems = [line for line in text.splitlines()
                if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)
                and not any(benign in line for benign in BENIGN_KERNEL_LOG)]
    assert built_site.returncode == 0 and not problems, (
        f"book build failed (exit {built_site.returncode}, network: {built_site.isolation});"
        f" see {built_site.log}\n" + "\n".join(problems[:40] or text.splitlines()[-40:]))
    assert built_site.isolation in ("netns", "proxy")


@pytest.mark.slow
def test_every_toc_page_is_built(site, docnames):
    missing = [d for d in docnames if not (site / f"{d}.html").is_file()]
    assert not missing, f"pages in the toc without HTML: {missing}"


@pytest.mark.slow
def test_offline_assets_are_shipped(site):
    static = site / "_static"
    for rel in ("npm/mathjax/tex-mml-chtml.js", "npm/mathjax/output/chtml/fonts/woff-v2",
                "npm/requirejs/require.js", "npm/jupyter-widgets/embed-amd.js",
                "widgets-offline.js"):
        assert (static / rel).exists(), f"_static/{rel} is missing from the built site"
    assert not (static / "npm/mathjax/latest.js").exists(), "latest.js would query a CDN"


class _AssetParser(HTMLParser):
    """Collect every URL a browser would fetch by itself while loading a page."""

    FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon",
                     "shortcut", "manifest", "apple-touch-icon", "preconnect",
                     "dns-prefetch"}

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self._in_style = False
        self.inline_css: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed", "track"):
            for key in ("src", "srcset", "data-src"):
                if a.get(key):
                    self.urls.append((tag, a[key]))
        elif tag == "link":
            rels = set((a.get("rel") or "").lower().split())
            if rels & self.FETCHING_RELS and a.get("href"):
                self.urls.append(("link " + " ".join(sorted(rels)), a["href"]))
        elif tag == "object" and a.get("data"):
            self.urls.append((tag, a["data"]))
        if a.get("style"):
            self.inline_css.append(a["style"])
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


CSS_REMOTE = re.compile(r"""(url\(\s*['"]?|@import\s+['"])\s*(https?:)?//""", re.I)


def _remote(url: str) -> bool:
    parts = urlparse(url.strip().split()[0] if url.strip() else "")
    return bool(parts.netloc) or parts.scheme in ("http", "https")


@pytest.mark.slow
def test_pages_reference_no_remote_assets(site):
    """No script, stylesheet, font, image or frame comes from another host."""
    offenders = []
    for page in sorted(site.rglob("*.html")):
        parser = _AssetParser()
        parser.feed(page.read_text(errors="replace"))
        for tag, url in parser.urls:
            if _remote(url):
                offenders.append(f"{page.relative_to(site)}: <{tag}> {url}")
        for css in parser.inline_css:
            if CSS_REMOTE.search(css):
                offenders.append(f"{page.relative_to(site)}: inline CSS loads {css[:80]!r}")
    for css_file in sorted((site / "_static").rglob("*.css")):
        if "npm" in css_file.relative_to(site / "_static").parts:
            continue
        if CSS_REMOTE.search(css_file.read_text(errors="replace")):
            offenders.append(f"{css_file.relative_to(site)} imports a remote file")
    assert not offenders, "remote assets in the built site:\n" + "\n".join(offenders[:50])


def _widget_views(nb: dict) -> int:
    """Outputs that need a widget manager (and a kernel, to respond)."""
    return sum(1 for cell in nb.get("cells", []) for out in cell.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in out.get("data", {}))


SPEED = re.compile(r"\d+(\.\d+)?\s*(it/s|s/it)")


@pytest.mark.slow
def test_pages_publish_no_live_widget_or_machine_speed(paths, site, docnames):
    """Demos are precomputed (book/demo_widgets.py), progress bars become text summaries.

    A live widget in a published page is dead without a kernel, and a progress bar's
    last state shows the build machine's speed, different at every build.
    """
    problems = []
    demos = 0
    for doc in docnames:
        executed = paths.build / "jupyter_execute" / f"{doc}.ipynb"
        if executed.exists():
            nb = json.loads(executed.read_text())
            if _widget_views(nb):
                problems.append(f"{doc}: {_widget_views(nb)} live widget(s) in the page")
        page = site / f"{doc}.html"
        if page.exists():
            text = page.read_text()
            demos += text.count('class="static-demo"')
            if f'type="{WIDGET_STATE}"' in text:
                problems.append(f"{doc}.html embeds ipywidgets state")
            speed = SPEED.search(re.sub(r"<script.*?</script>", "", text, flags=re.S))
            if speed:
                problems.append(f"{doc}.html shows a speed: {speed.group(0)!r}")
    assert not problems, "\n".join(problems)
    if "book/01_sequences" in docnames:
        assert demos, "no static demo in the built pages"


def test_glossary_defines_the_agreed_terms(paths):
    """Other chapters cite these terms; renaming or dropping one breaks their builds."""
    text = (paths.root / "book" / "glossary.md").read_text()
    body = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    defined = {line.strip() for line in body.splitlines()
               if line.strip() and not line.startswith((" ", "\t", ":"))}
    wanted = {t.strip() for t in GLOSSARY_TERMS.replace("\n", " ").split(";")}
    assert defined == wanted, (f"missing: {sorted(wanted - defined)}; "
                               f"unexpected: {sorted(defined - wanted)}")


@pytest.mark.slow
def test_ipynb_download_exists_for_notebook_pages(site, docnames):
    """The download button offers the executed notebook of every MyST notebook page."""
    for doc in docnames:
        page = site / f"{doc}.html"
        if page.exists() and f"_sources/{doc}.ipynb" in page.read_text():
            assert (site / "_sources" / f"{doc}.ipynb").is_file(), f"{doc}: dead .ipynb link"
    if "book/01_sequences" in docnames:
        page = (site / "book/01_sequences.html").read_text()
        assert "_sources/book/01_sequences.ipynb" in page, "chapter 1 has no .ipynb download"
        nb = json.loads((site / "_sources/book/01_sequences.ipynb").read_text())
        images = [out for cell in nb["cells"] for out in cell.get("outputs", [])
                  if "image/png" in out.get("data", {})]
        assert images, "the downloadable chapter 1 notebook has no executed outputs"


@pytest.mark.slow
def test_chapter_numbers_match_the_text(site, docnames):
    """The text says "chapter 6" for book/06_rnn.md: the site must number it 6."""
    checked = 0
    for doc in docnames:
        m = re.fullmatch(r"book/(\d\d)_\w+", doc)
        if not m:
            continue
        page = (site / f"{doc}.html").read_text()
        # The article's title (the theme repeats the bare title in the page header).
        number = re.search(r'<h1><span class="section-number">([\d.]+)\s*</span>', page)
        assert number, f"{doc}: the chapter title carries no number"
        assert number.group(1).rstrip(".") == str(int(m.group(1))), (
            f"{doc} is numbered {number.group(1)} on the site")
        if "<h2>" in page:
            sec = re.search(r'<h2><span class="section-number">([\d.]+)\s*</span>', page)
            assert sec and sec.group(1).startswith(f"{int(m.group(1))}."), (
                f"{doc}: first section is not numbered within chapter {int(m.group(1))}")
        checked += 1
    assert checked or not any(re.fullmatch(r"book/\d\d_\w+", d) for d in docnames)


@pytest.mark.slow
def test_bibliography_labels_are_author_year(site, docnames):
    """The list is labelled the way the text cites: [Elman 1990], [Bengio et al. 1994]."""
    doc = "book/bibliography"
    if doc not in docnames:
        pytest.skip("no bibliography page in this toc")
    page = (site / f"{doc}.html").read_text()
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)'
                        r'<span class="fn-bracket">\]</span></span>', page, re.S)
    assert labels, "no labelled entry in the bibliography"
    bad = [lab for lab in labels if not re.fullmatch(r"[^\W\d][\w'\- ]*( et al\.)? \d{4}[a-z]?",
                                                     lab.strip())]
    assert not bad, f"labels not in author-year form: {bad}"


@pytest.mark.slow
def test_exercise_pages_link_their_zip(site, docnames):
    """Each exercise page offers a zip that holds its notebook and rnncheck.py."""
    import zipfile

    pages = [d for d in docnames if d.startswith("book/assignments/")]
    for doc in pages:
        name = doc.rsplit("/", 1)[1]
        page = (site / f"{doc}.html").read_text()
        assert f'href="{name}.zip"' in page, f"{doc}.html does not link {name}.zip"
        archive = site / f"{doc}.zip"
        assert archive.is_file(), f"{doc}: the linked zip is not in the site"
        names = {Path(n).name for n in zipfile.ZipFile(archive).namelist()}
        assert {f"{name}.ipynb", "rnncheck.py"} <= names, f"{archive.name} holds {names}"


@pytest.mark.slow
def test_launch_buttons_open_notebooks(site, docnames):
    """Binder, JupyterHub and Colab get the chapter's notebook, never its Markdown."""
    checked = 0
    for doc in docnames:
        if not re.fullmatch(r"book/\d\d_\w+", doc):
            continue
        page = (site / f"{doc}.html").read_text()
        links = re.findall(r'href="(https://(?:mybinder\.org|hub\.example\.edu|'
                           r'colab\.research\.google\.com)[^"]*)"', page)
        assert len(links) >= 3, f"{doc}: launch buttons missing ({links})"
        wrong = [u for u in links if not re.search(r"(\.ipynb|%2Eipynb)(&|$|%26)", u)
                 or ".md" in u]
        assert not wrong, f"{doc}: launch links that do not open a notebook: {wrong}"
        checked += 1
    assert checked or not any(re.fullmatch(r"book/\d\d_\w+", d) for d in docnames)
