"""Fixtures for the book tests: build the site once, serve it on localhost, drive Chromium.

The build runs the same command as ``make book`` (it *is* ``make book``, with ``--all``
added so that every page is re-read and every warning reported again), inside a network
namespace when bubblewrap can make one, so a build that needs the internet fails here.
Every test that looks at the site reuses this one build.

Environment variables, for building something other than the committed book:

``RNN_BOOK_ROOT``
    project directory to build (default: the repository root).
``RNN_BOOK_TOC``
    table of contents to build instead of ``<root>/_toc.yml``, e.g. a private toc that
    lists only the pages that exist (passed as ``--toc``).
``RNN_BOOK_OUT``
    output folder (``--path-output``); the site lands in ``<out>/_build/html``
    (default: ``<root>``, the same place as ``make book``).
``RNN_BOOK_NO_BUILD=1``
    reuse the site already in ``<out>/_build/html`` instead of building.
``RNN_BOOK_NET=1``
    allow the build to use the network (no namespace, no proxy trap).
``CHROMIUM``
    the Chromium executable (default: ``chromium`` on the PATH, else /usr/bin/chromium).
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from book_site import WIDGET_STATE, BookPaths, book_paths, toc_docnames  # noqa: E402,F401


@pytest.fixture(scope="session")
def paths() -> BookPaths:
    return book_paths()


# --- the build ----------------------------------------------------------------------

@dataclass
class BuildResult:
    returncode: int
    log: str            # path of the full build log
    seconds: float
    isolation: str      # how the network was kept away: netns, proxy, none, prebuilt
    command: str

    def log_text(self) -> str:
        return Path(self.log).read_text(errors="replace")


def _netns_prefix() -> list[str] | None:
    """A bubblewrap prefix that runs a command without network access, if it works."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return None
    prefix = [bwrap, "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
              "--unshare-net", "--die-with-parent", "--"]
    try:
        ok = subprocess.run(prefix + ["true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return prefix if ok else None


def _run_build(p: BookPaths) -> BuildResult:
    p.build.mkdir(parents=True, exist_ok=True)
    log = p.build / "book-build.log"
    args = ["--all"]
    if p.custom_toc:
        args += ["--toc", str(p.toc)]
    if p.out != p.root:
        args += ["--path-output", str(p.out)]
    make = ["make", "-C", str(p.root)]
    env = dict(os.environ)
    with log.open("w") as fh:
        # 1. Dependencies (pip, npm): the only step that may need the network.
        subprocess.run(make + ["install", "assets"], stdout=fh, stderr=subprocess.STDOUT,
                       env=env, check=False)
        # 2. The build itself, with the network taken away.
        cmd = make + ["book", "BOOK_ARGS=" + " ".join(shlex.quote(a) for a in args)]
        isolation = "none"
        if os.environ.get("RNN_BOOK_NET") != "1":
            dead = "http://127.0.0.1:9"      # discard port: any proxied request fails fast
            env.update(http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead,
                       no_proxy="localhost,127.0.0.1", NO_PROXY="localhost,127.0.0.1",
                       npm_config_offline="true")
            isolation = "proxy"
            prefix = _netns_prefix()
            if prefix:
                cmd = prefix + cmd
                isolation = "netns"
        fh.write(f"\n$ {shlex.join(cmd)}\n")
        fh.flush()
        start = time.perf_counter()
        rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env,
                            check=False).returncode
        seconds = time.perf_counter() - start
    return BuildResult(rc, str(log), seconds, isolation, shlex.join(cmd))


@pytest.fixture(scope="session")
def built_site(paths: BookPaths) -> BuildResult:
    """Build the book once per test run (shared by pytest-xdist workers) and return how."""
    if os.environ.get("RNN_BOOK_NO_BUILD") == "1":
        if not (paths.html / "index.html").exists():
            pytest.fail(f"RNN_BOOK_NO_BUILD=1 but {paths.html} holds no built site")
        return BuildResult(0, "", 0.0, "prebuilt", "")
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    paths.build.mkdir(parents=True, exist_ok=True)
    stamp = paths.build / ".book-test-build.json"
    with open(paths.build / ".book-test-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if stamp.exists():
                saved = json.loads(stamp.read_text())
                if saved.get("run_id") == run_id:
                    return BuildResult(**saved["result"])
            result = _run_build(paths)
            stamp.write_text(json.dumps({"run_id": run_id, "result": asdict(result)}))
            return result
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def site(built_site: BuildResult, paths: BookPaths) -> Path:
    """The built HTML folder; fails if the build produced no site at all."""
    if not (paths.html / "index.html").exists():
        tail = "\n".join(built_site.log_text().splitlines()[-40:]) if built_site.log else ""
        pytest.fail(f"the book build produced no site in {paths.html}:\n{tail}")
    return paths.html


@pytest.fixture(scope="session")
def docnames(paths: BookPaths) -> list[str]:
    return toc_docnames(paths.toc)


# --- serving and browsing -----------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site: Path):
    """The built site on http://127.0.0.1:<port>/ (a thread in this process)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler,
                                                                    directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def chromium_path() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps",
                 "--disable-features=Translate,OptimizationHints,MediaRouter"]


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = chromium_path()
    if not exe:
        pytest.fail("Chromium not found: install the Debian package `chromium` "
                    "(make sysdeps) or set CHROMIUM=/path/to/chromium")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()
