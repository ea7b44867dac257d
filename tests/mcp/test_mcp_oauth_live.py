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

import html
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import httpx2
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from tests.conftest import LogLeakGuard
from tests.http.authorization_support import PASSWORD, Person, make_person
from tests.live_serve import ServeProcesses
from tests.mcp.conftest import structured
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    # The client libraries log request lines and headers (the code is in a redirect's query); the server is a
    # subprocess whose log is its own.
    pytest.mark.log_guard_ignore("httpx", "httpx2", "httpcore"),
]

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
CHECKED = re.compile(r'<input type="checkbox" name="scopes" value="([^"]+)" checked>')
CALLBACK = "http://127.0.0.1:53682/callback"


class PersonsBrowser:
    """Signs the person in through the dashboard's form, then consents on the real consent page."""

    def __init__(self, base_url: str, person: Person, guard: LogLeakGuard) -> None:
        self.base_url = base_url
        self.person = person
        self.guard = guard
        self.visited: list[str] = []

    def authorize(self, url: str) -> dict[str, str]:
        """Follow ``url`` as the person would; the parameters the client's redirect URI receives."""
        self.visited.append(url)
        with httpx.Client(base_url=self.base_url, follow_redirects=False, timeout=30) as http:
            first = http.get(url)
            assert first.status_code == 303 and first.headers["location"].startswith("/sign-in?next=")
            form = http.get(first.headers["location"])
            fields = {name: html.unescape(value) for name, value in HIDDEN.findall(form.text)}
            signed = http.post(
                "/sign-in",
                data={**fields, "email": self.person.email, "password": PASSWORD},
            )
            assert signed.status_code == 303, signed.text
            consent = http.get(signed.headers["location"])
            assert consent.status_code == 200, consent.text
            assert "Authorize" in consent.text
            data = [(name, html.unescape(value)) for name, value in HIDDEN.findall(consent.text)]
            data += [("scopes", s) for s in CHECKED.findall(consent.text)]
            data += [("org_id", self.person.org.id), ("decision", "allow")]
            answer = http.post(
                "/oauth2/authorize",
                content=urlencode(data),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert answer.status_code == 303, answer.text
            location = answer.headers["location"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        self.guard.remember(query.get("code", ""))
        return query


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def sdk_provider(
    server_url: str,
    client_name: str,
    storage: TokenStorage,
    redirect_handler: Callable[[str], Awaitable[None]],
    callback_handler: Callable[[], Awaitable[AuthorizationCodeResult]],
) -> OAuthClientProvider:
    """The ``mcp`` SDK's OAuth client for ``/mcp``, registering (RFC 7591) with the loopback ``CALLBACK``."""
    return OAuthClientProvider(
        server_url=f"{server_url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name=client_name,
            redirect_uris=[CALLBACK],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )


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
    pending: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        pending.update(await anyio.to_thread.run_sync(browser.authorize, url))

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=pending["code"], state=pending.get("state"), iss=pending.get("iss")
        )

    provider = sdk_provider(
        server_url, "MCP SDK acceptance client", storage, redirect_handler, callback_handler
    )

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
