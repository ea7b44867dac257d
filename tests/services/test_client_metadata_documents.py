"""Client ID Metadata Documents: the fetch's SSRF rules (public addresses only, pinned to the resolved
address, no redirects, size cap), the document's own rules, and the cache — with an injected resolver
and httpx's MockTransport, so nothing leaves the machine."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest

from tokensmith.core.clock import FrozenClock
from tokensmith.services.client_metadata_documents import (
    FAILURE_CACHE_SECONDS,
    MAX_DOCUMENT_BYTES,
    MetadataDocuments,
    UnusableDocument,
)
from tokensmith.settings import DEFAULT_SCOPES

URL = "https://client.example/oauth/client.json"
PUBLIC = "93.184.216.34"


def document(**changes: Any) -> dict[str, Any]:
    return {
        "client_id": URL,
        "client_name": "Example Desk App",
        "redirect_uris": ["http://127.0.0.1/callback", "https://client.example/cb"],
        "token_endpoint_auth_method": "none",
        **changes,
    }


class Origin:
    """The document's server, as a MockTransport: counts and records requests."""

    def __init__(self, body: Any = None, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.body = document() if body is None else body
        self.status = status
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        content = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return httpx.Response(self.status, content=content, headers=self.headers)


def documents(
    origin: Origin, clock: FrozenClock, addresses: list[str] | None = None, *, development: bool = False
) -> MetadataDocuments:
    return MetadataDocuments(
        DEFAULT_SCOPES,
        clock,
        development=development,
        transport=httpx.MockTransport(origin),
        resolver=lambda host, port: addresses if addresses is not None else [PUBLIC],
    )


def test_a_document_describes_a_public_client(clock: FrozenClock) -> None:
    origin = Origin()
    client = documents(origin, clock).get(URL)
    assert client.client_id == URL and client.from_metadata_document
    assert client.client_name == "Example Desk App"
    assert client.redirect_uris == ("http://127.0.0.1/callback", "https://client.example/cb")
    # Pinned to the address resolved and checked; the TLS name and Host are the host's.
    (request,) = origin.requests
    assert request.url.host == PUBLIC and request.url.path == "/oauth/client.json"
    assert request.headers["host"] == "client.example"
    assert request.extensions["sni_hostname"] == "client.example"


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "192.168.1.10",
        "172.16.0.5",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "0.0.0.0",  # noqa: S104 - an address refused, not bound
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_a_private_address_is_never_fetched(clock: FrozenClock, address: str) -> None:
    origin = Origin()
    with pytest.raises(UnusableDocument, match="not a public address"):
        documents(origin, clock, [PUBLIC, address]).get(URL)
    assert origin.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://client.example/client.json",  # https only
        "http://127.0.0.1:8000/client.json",  # loopback http only in development
        "https://client.example",  # a path is required
        "https://client.example/",
        "https://user:pw@client.example/client.json",
        "https://client.example/a/../client.json",
        "https://client.example/client.json#x",
        "https://client.example/" + "a" * 2000,
        "https://client.example/a b",
    ],
)
def test_unacceptable_urls_are_refused_unfetched(clock: FrozenClock, url: str) -> None:
    origin = Origin()
    with pytest.raises(UnusableDocument):
        documents(origin, clock).get(url)
    assert origin.requests == []


def test_loopback_http_in_development(clock: FrozenClock) -> None:
    url = "http://127.0.0.1:8123/client.json"
    origin = Origin(document(client_id=url))
    client = documents(origin, clock, ["127.0.0.1"], development=True).get(url)
    assert client.client_id == url


@pytest.mark.parametrize(
    ("body", "status", "headers", "why"),
    [
        (document(client_id="https://client.example/other.json"), 200, {}, "its own URL"),
        (document(client_secret="s3cret"), 200, {}, "secret"),
        (document(redirect_uris=["http://evil.example/cb"]), 200, {}, "not valid"),
        (document(token_endpoint_auth_method="private_key_jwt"), 200, {}, "not valid"),
        (b"not json", 200, {}, "not JSON"),
        ([1, 2], 200, {}, "not a JSON object"),
        (b"x" * (MAX_DOCUMENT_BYTES + 1), 200, {}, "exceeds"),
        (document(), 404, {}, "HTTP 404"),
        (document(), 302, {"Location": "http://10.0.0.1/client.json"}, "HTTP 302"),  # never followed
    ],
)
def test_unusable_documents(
    clock: FrozenClock, body: Any, status: int, headers: dict[str, str], why: str
) -> None:
    origin = Origin(body, status=status, headers=headers)
    with pytest.raises(UnusableDocument, match=why):
        documents(origin, clock).get(URL)
    assert len(origin.requests) == 1


def test_documents_are_cached_for_their_max_age_within_bounds(clock: FrozenClock) -> None:
    origin = Origin(headers={"Cache-Control": "public, max-age=600"})
    docs = documents(origin, clock)
    docs.get(URL)
    clock.advance(seconds=599)
    docs.get(URL)
    assert len(origin.requests) == 1
    clock.advance(seconds=2)
    docs.get(URL)
    assert len(origin.requests) == 2


def test_a_failure_is_cached_briefly(clock: FrozenClock) -> None:
    origin = Origin(status=500)
    docs = documents(origin, clock)
    for _ in range(3):
        with pytest.raises(UnusableDocument):
            docs.get(URL)
    assert len(origin.requests) == 1
    clock.advance(seconds=FAILURE_CACHE_SECONDS + 1)
    with pytest.raises(UnusableDocument):
        docs.get(URL)
    assert len(origin.requests) == 2


def test_concurrent_lookups_fetch_once(clock: FrozenClock) -> None:
    origin = Origin()
    docs = documents(origin, clock)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def look() -> None:
        barrier.wait()
        results.append(docs.get(URL).client_id)

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [URL] * 8
    assert len(origin.requests) == 1


def test_switched_off(clock: FrozenClock) -> None:
    docs = MetadataDocuments(DEFAULT_SCOPES, clock, development=True, enabled=False)
    with pytest.raises(UnusableDocument, match="not accepted"):
        docs.get(URL)
