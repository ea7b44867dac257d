"""The pieces of the OAuth acceptance tests that drive off-the-shelf clients against a live server:
the person's "browser" (an httpx client that signs in and consents through the real pages), the
``mcp`` SDK's token storage and its OAuth client provider."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from tests.conftest import LogLeakGuard
from tests.http.authorization_support import PASSWORD, Person

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
        #: The consent pages shown, as HTML.
        self.consent_pages: list[str] = []

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
            self.consent_pages.append(consent.text)
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
    client_metadata_url: str | None = None,
) -> OAuthClientProvider:
    """The ``mcp`` SDK's OAuth client for ``/mcp`` with the loopback ``CALLBACK``: it registers
    (RFC 7591) unless ``client_metadata_url`` names its Client ID Metadata Document."""
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
        client_metadata_url=client_metadata_url,
    )


def browser_provider(
    server_url: str,
    client_name: str,
    storage: TokenStorage,
    browser: PersonsBrowser,
    client_metadata_url: str | None = None,
) -> OAuthClientProvider:
    """:func:`sdk_provider` whose authorization redirect ``browser`` follows as the person, and
    whose callback hands the SDK what the redirect URI received."""
    received: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        received.update(await anyio.to_thread.run_sync(browser.authorize, url))

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=received["code"], state=received.get("state"), iss=received.get("iss")
        )

    return sdk_provider(
        server_url, client_name, storage, redirect_handler, callback_handler, client_metadata_url
    )
