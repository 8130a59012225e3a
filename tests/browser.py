"""Pages in a real browser: Debian's chromium driven by Playwright (launched by path, no browser
download) in a fresh profile, allowed the loopback only. Every request its pages make is
recorded; one to another host is aborted."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = ("127.0.0.1", "localhost")

# on a developer's machine without it, skipped; CI (.ci/run installs it) never skips
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium: apt-get install chromium fonts-noto-cjk",
)


@dataclass
class Traffic:
    requests: list[str] = field(default_factory=list)  # every URL the pages asked for
    failed: list[str] = field(default_factory=list)  # no answer (aborted included), or >= 400

    def outside(self) -> list[str]:
        return [u for u in self.requests if urlparse(u).hostname not in LOOPBACK]


@contextmanager
def loopback_browser(profile: Path) -> Iterator[tuple[object, Traffic]]:
    """A page of chromium with a fresh profile in `profile`, and its traffic."""
    from playwright import sync_api as playwright

    traffic = Traffic()

    def only_loopback(route):
        if urlparse(route.request.url).hostname not in LOOPBACK:
            return route.abort()
        return route.continue_()

    def answered(response):
        if response.status >= 400:
            traffic.failed.append(f"{response.url}: HTTP {response.status}")

    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        context.on("request", lambda request: traffic.requests.append(request.url))
        context.on("requestfailed", lambda r: traffic.failed.append(f"{r.url}: {r.failure}"))
        context.on("response", answered)
        context.route("**/*", only_loopback)
        try:
            yield context.new_page(), traffic
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A folder over HTTP on a loopback port (pages that fetch files fail on file://)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
