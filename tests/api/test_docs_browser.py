"""/docs renders in a real browser with every request outside the API refused (no CDN).

Debian's Chromium through Playwright (DESIGN.md: never a downloaded browser); skipped,
with a message, only when ``/usr/bin/chromium`` is missing. The app is served by uvicorn
in a thread on a loopback port the test binds (port 0); /docs and /openapi.json need no
database, so none is started.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_SECONDS = 20.0
RENDER_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base_url(offline_app: FastAPI) -> Iterator[str]:
    """The API (database-free: only its pages and OpenAPI document are used) on loopback."""
    app = offline_app
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_docs_render_offline_with_authorize(base_url: str) -> None:
    """Swagger UI loads from the API's own assets, lists the routes and offers Authorize."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    own = urlsplit(base_url).netloc
    refused: list[str] = []

    def offline(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own:
            route.continue_()
        else:  # any CDN or other host: as if there were no internet
            refused.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            page.goto(f"{base_url}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=RENDER_TIMEOUT_MS)
            assert "Behavioral Twin Engine" in page.inner_text(".swagger-ui .info .title")
            page.wait_for_selector(".opblock", timeout=RENDER_TIMEOUT_MS)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert any("burnout-risk" in p for p in paths), paths[:5]
            assert page.locator("button.authorize").count() == 1
            page.goto(base_url + "/")
            assert page.locator('a[href="/docs"]').count() == 1
        finally:
            browser.close()
    assert refused == []
