"""An MCP client signs a person in through Chromium (issue 12's Playwright journey).

The official ``mcp`` SDK's OAuth client (``OAuthClientProvider``) runs in its own thread against a
live server's ``/mcp``: it discovers the server, registers (RFC 7591) and hands its authorization
URL to the "browser" — here a real Chromium, which signs the person in through the dashboard's
form, shows the consent page naming the app, the scopes and the organisation, lets the person
untick one scope, and follows the redirect to the client's loopback callback (answered by a route,
as a native app's listener would). The client exchanges the code and lists the tools at ``/mcp``;
the token carries the narrowed scopes and the app appears under Authorized apps.
"""

from __future__ import annotations

import queue
import re
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult

from tests.browser.flows import OWNER, PASSWORD, make_world
from tests.conftest import LiveServer, LogLeakGuard
from tests.mcp.oauth_support import MemoryStorage, sdk_provider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.log_guard_ignore("httpx", "httpx2", "httpcore"),
]

APP_NAME = "Journey MCP client"
#: How long the test waits for the other side (a hung client fails the test instead of hanging it).
WAIT = 120


def _mcp_client(base: str, storage: MemoryStorage, urls: queue.Queue[str], answers: queue.Queue[Any]) -> Any:
    async def redirect_handler(url: str) -> None:
        urls.put(url)

    async def callback_handler() -> AuthorizationCodeResult:
        query: dict[str, str] = await anyio.to_thread.run_sync(lambda: answers.get(timeout=WAIT))
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    provider = sdk_provider(base, APP_NAME, storage, redirect_handler, callback_handler)

    async def run() -> set[str]:
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return {tool.name for tool in (await session.list_tools()).tools}

    return run


def test_an_mcp_client_signs_the_person_in_through_chromium(
    browser: Any, live_server: LiveServer, log_guard: LogLeakGuard
) -> None:
    world = make_world(live_server)
    base = live_server.url
    storage = MemoryStorage()
    urls: queue.Queue[str] = queue.Queue()
    answers: queue.Queue[dict[str, str]] = queue.Queue()
    outcome: dict[str, Any] = {}
    run = _mcp_client(base, storage, urls, answers)

    def client_thread() -> None:
        try:
            outcome["tools"] = anyio.run(run)
        except BaseException as exc:  # reported by the main thread
            outcome["error"] = exc
            urls.put("")

    thread = threading.Thread(target=client_thread, daemon=True)
    thread.start()
    authorization_url = urls.get(timeout=WAIT)
    assert authorization_url.startswith(f"{base}/oauth2/authorize?"), outcome.get("error")
    assert "code_challenge_method=S256" in authorization_url

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    arrived: list[str] = []

    def callback(route: Any) -> None:
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Done</title>")

    page.route(re.compile(r"^http://127\.0\.0\.1:53682/"), callback)
    page.goto(authorization_url)
    assert urlsplit(page.url).path == "/sign-in"  # not signed in yet: the dashboard's form first
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/oauth2/authorize\?"))

    # The consent page names the app, the scopes and the organisation.
    assert page.get_by_role("heading", name=f"Authorize {APP_NAME}").is_visible()
    assert page.locator("#consent-org option:checked").inner_text().startswith(world.org.name)
    offered = page.locator("input[name=scopes]:checked")
    scopes = [offered.nth(i).get_attribute("value") for i in range(offered.count())]
    assert "tokens:read" in scopes and len(scopes) > 1, scopes
    dropped = next(s for s in reversed(scopes) if s != "tokens:read")
    for scope in scopes:
        assert page.get_by_text(str(scope), exact=True).first.is_visible()
    page.locator(f"input[name=scopes][value='{dropped}']").uncheck()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:53682/callback\?"))

    assert len(arrived) == 1
    query = {k: v[0] for k, v in parse_qs(urlsplit(arrived[0]).query).items()}
    log_guard.remember(query["code"])
    assert query["iss"] == base and "state" in query
    answers.put(query)
    thread.join(timeout=WAIT)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert {"list_tokens", "list_credentials"} <= outcome["tools"]
    assert storage.tokens is not None and storage.tokens.scope is not None
    log_guard.remember(storage.tokens.access_token, storage.tokens.refresh_token or "")
    granted = storage.tokens.scope.split()
    assert dropped not in granted and "tokens:read" in granted

    # The person sees the app under Authorized apps.
    page.goto(base + "/apps")
    row = page.locator("tbody tr", has_text=APP_NAME)
    assert row.count() == 1 and "tokens:read" in row.inner_text() and dropped not in row.inner_text()
    assert page.get_by_role("button", name=f"Revoke {APP_NAME}").is_visible()
    context.close()
