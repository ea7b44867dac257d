"""The ``mcp`` SDK's OAuth client identified by a Client ID Metadata Document, against a live
``tokensmith serve``: the SDK reads ``client_id_metadata_document_supported`` from discovery, skips
registration, and uses the HTTPS URL of its document as its client ID; Tokensmith fetches that
document over verified TLS, names the app on the consent page, and issues and refreshes tokens for
``/mcp``.

The document is served over HTTPS on the loopback address with a certificate from a test CA
(``trustme``), which the server trusts through ``SSL_CERT_FILE``. Loopback documents are fetched
only in development (the default ``TOKENSMITH_ENV``); every other address must be public.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
import trustme
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import LogLeakGuard
from tests.http.authorization_support import Person, make_person
from tests.http.document_server import DocumentServer
from tests.live_serve import ServeProcesses
from tests.mcp.conftest import structured
from tests.mcp.oauth_support import CALLBACK, MemoryStorage, PersonsBrowser, browser_provider
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.log_guard_ignore("httpx", "httpx2", "httpcore"),
]

APP_NAME = "MCP SDK document client"


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A test CA; the ``tokensmith serve`` started afterwards trusts it (and only it)."""
    authority = trustme.CA()
    bundle = tmp_path / "test-ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


@pytest.fixture
def document_server(ca: trustme.CA) -> Iterator[DocumentServer]:
    """The SDK client's document at an https URL (the SDK accepts no other), with a certificate of ``ca``."""
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    metadata = {
        "client_name": APP_NAME,
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    with DocumentServer(metadata, path="/clients/mcp.json", tls=tls, host="localhost") as served:
        yield served


@pytest.fixture
def person(services: Services) -> Person:
    return make_person(services, Role.MEMBER)


def test_the_mcp_sdk_connects_with_a_client_id_metadata_document(
    ca: trustme.CA,
    document_server: DocumentServer,
    serve_processes: ServeProcesses,
    person: Person,
    log_guard: LogLeakGuard,
) -> None:
    server_url = serve_processes.start().url
    browser = PersonsBrowser(server_url, person, log_guard)
    storage = MemoryStorage()
    provider = browser_provider(server_url, APP_NAME, storage, browser, document_server.url)

    async def run() -> tuple[Any, Any, Any, Any]:
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            streamable_http_client(f"{server_url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            listed = await session.call_tool("list_tokens", {})
            before = storage.tokens
            provider.context.token_expiry_time = time.time() - 1  # the next call refreshes first
            again = await session.call_tool("list_tokens", {})
            return listed, before, again, storage.tokens

    listed, before, again, after = anyio.run(run)
    assert not listed.is_error and structured(listed)["items"] == []
    assert not again.is_error
    # No registration: the document's URL is the client ID, in the authorization request too.
    assert storage.client is not None and storage.client.client_id == document_server.url
    assert len(browser.visited) == 1 and "code_challenge_method=S256" in browser.visited[0]
    assert parse_qs(urlsplit(browser.visited[0]).query)["client_id"] == [document_server.url]
    # The consent page named the app from its document, fetched over verified TLS.
    assert len(browser.consent_pages) == 1 and APP_NAME in browser.consent_pages[0]
    assert before is not None and after is not None and before.refresh_token and after.refresh_token
    assert after.refresh_token != before.refresh_token and after.access_token != before.access_token
    assert document_server.fetches == 1  # cached for the refresh
