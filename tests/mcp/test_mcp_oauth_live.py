"""The acceptance test of the authorization code flow: off-the-shelf clients against a live
``tokensmith serve``, from nothing.

* The official ``mcp`` SDK's own OAuth client (``mcp.client.auth.OAuthClientProvider``) connects to
  ``/mcp``: the 401's RFC 9728 pointer, protected-resource and RFC 8414 discovery, RFC 7591
  registration, authorization with PKCE and ``iss`` (RFC 9207), the token, tools listed and called,
  and a refresh once the SDK holds its access token for expired.
* Authlib's ``OAuth2Client`` (httpx) completes the code flow with PKCE against the platform API
  (``/api/me``) and refreshes.

The "browser" is an httpx client that signs in and consents through the real pages: it reads the
consent form's own fields, as a browser submits them.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import LogLeakGuard
from tests.http.authorization_support import Person, make_person
from tests.live_serve import ServeProcesses
from tests.mcp.conftest import structured
from tests.mcp.oauth_support import CALLBACK, MemoryStorage, PersonsBrowser, browser_provider
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    # The client libraries log request lines and headers (the code is in a redirect's query); the server is a
    # subprocess whose log is its own.
    pytest.mark.log_guard_ignore("httpx", "httpx2", "httpcore"),
]


@pytest.fixture
def person(services: Services) -> Person:
    return make_person(services, Role.MEMBER)


@pytest.fixture
def server_url(serve_processes: ServeProcesses) -> str:
    return serve_processes.start().url


def test_the_mcp_sdks_oauth_client_connects_from_nothing(
    server_url: str, person: Person, log_guard: LogLeakGuard
) -> None:
    browser = PersonsBrowser(server_url, person, log_guard)
    storage = MemoryStorage()
    provider = browser_provider(server_url, "MCP SDK acceptance client", storage, browser)

    async def run() -> tuple[set[str], Any, Any]:
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            streamable_http_client(f"{server_url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            first = await session.call_tool("list_tokens", {})
            first_tokens = storage.tokens
            # The SDK now holds its access token for expired: the next call refreshes first.
            provider.context.token_expiry_time = time.time() - 1
            second = await session.call_tool("list_credentials", {})
            return tools, (first, first_tokens), (second, storage.tokens)

    tools, (listed, before), (credentials, after) = anyio.run(run)
    assert {"list_tokens", "create_token", "list_credentials"} <= tools
    assert not listed.is_error and structured(listed)["items"] == []
    assert not credentials.is_error
    # Discovery led to our endpoints, DCR registered a public client, PKCE was S256 with iss checked.
    assert storage.client is not None and storage.client.token_endpoint_auth_method == "none"
    assert len(browser.visited) == 1 and browser.visited[0].startswith(f"{server_url}/oauth2/authorize?")
    assert "code_challenge_method=S256" in browser.visited[0]
    assert before is not None and after is not None
    assert before.refresh_token and after.refresh_token and after.refresh_token != before.refresh_token
    assert after.access_token != before.access_token
    # The rotated-out refresh token is dead, and presenting it kills the family (reuse).
    with httpx.Client(base_url=server_url) as http:
        reuse = http.post(
            "/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": storage.client.client_id,
                "refresh_token": before.refresh_token,
            },
        )
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
        mcp_call = http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={
                "Authorization": f"Bearer {after.access_token}",
                "Accept": "application/json, text/event-stream",
            },
        )
        assert mcp_call.status_code == 401


def test_authlib_completes_the_code_flow_against_the_platform_api(
    server_url: str, person: Person, log_guard: LogLeakGuard
) -> None:
    browser = PersonsBrowser(server_url, person, log_guard)
    with httpx.Client(base_url=server_url) as http:
        metadata = http.get("/.well-known/oauth-authorization-server").json()
        registered = http.post(
            metadata["registration_endpoint"],
            json={"client_name": "Authlib app", "redirect_uris": [CALLBACK], "scope": "tokens:read"},
        ).json()
    client = OAuth2Client(
        client_id=registered["client_id"],
        token_endpoint_auth_method="none",
        redirect_uri=CALLBACK,
        scope="tokens:read",
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    query = browser.authorize(url)
    assert query["state"] == state and query["iss"] == metadata["issuer"]
    callback = f"{CALLBACK}?code={query['code']}&state={query['state']}&iss={query['iss']}"
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    log_guard.remember(token["access_token"], token["refresh_token"])
    assert token["scope"] == "tokens:read"
    me = httpx.get(f"{server_url}/api/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200 and me.json()["user"]["email"] == person.email
    refreshed = client.refresh_token(metadata["token_endpoint"])
    log_guard.remember(refreshed["access_token"], refreshed["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    me = httpx.get(f"{server_url}/api/me", headers={"Authorization": f"Bearer {refreshed['access_token']}"})
    assert me.status_code == 200
    client.close()
