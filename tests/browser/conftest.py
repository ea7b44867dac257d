"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server.

Skipped with a clear reason when ``/usr/bin/chromium`` is missing on a laptop; a failure when
``CI`` is set (CI installs it: ``apt-get install -y chromium``). Playwright's own browser download
is not used. Screenshots go to ``tests/browser/screenshots/`` (git-ignored); with
``TOKENSMITH_UPDATE_SCREENSHOTS=1`` they refresh the README's copies in ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("TOKENSMITH_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("TOKENSMITH_UPDATE_SCREENSHOTS")
    else Path(__file__).resolve().parent / "screenshots"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Playwright's sync API runs an event loop in this thread while
    it is open, so it must close before other tests run (they start event loops of their own);
    tests/conftest.py also orders browser tests last."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI is set, so this is a failure, not a skip", pytrace=False)
        pytest.skip(message + "; CI fails instead of skipping")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def free_port() -> tuple[socket.socket, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


class DemoApi:
    """The demo resource API (``tokensmith.demo``) on a real socket, trusting ``issuer``."""

    def __init__(self) -> None:
        self.sock, self.url = free_port()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self, issuer: str) -> None:
        import uvicorn

        from tokensmith.demo import create_demo_app
        from tokensmith.verify import Verifier

        app = create_demo_app(Verifier(issuer, issuer))
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="on", loop="asyncio", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the demo API did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)


@pytest.fixture
def demo_api() -> Iterator[DemoApi]:
    demo = DemoApi()
    yield demo
    demo.stop()
