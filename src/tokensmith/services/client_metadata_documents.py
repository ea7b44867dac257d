"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the MCP authorization
specification's preferred client registration): the client ID is an HTTPS URL, and the JSON document
it serves describes the client (RFC 7591 §2 metadata, checked as registration checks it).

Fetching a URL a stranger chose is a server-side request forgery risk (OWASP SSRF cheat sheet), so
the fetch keeps to the rules of the dashboard's Test API Call (:mod:`tokensmith.services.api_console`:
a clean ``origin_of``, no redirects followed, a capped body, a short timeout) and adds what an open
destination needs:

* only ``https`` URLs with a path, no credentials, no fragment, no dot segments — loopback ``http``
  only in development (``TOKENSMITH_ENV=development``), for local clients and tests;
* the host is resolved once and **every** address must be public (not private, loopback, link-local,
  multicast, reserved or unspecified — so ``169.254.169.254`` and ``10.0.0.0/8`` are refused), then
  the request goes to that very address (the TLS server name and ``Host`` stay the host's), so a
  second DNS answer cannot point it elsewhere (DNS rebinding);
* the body may be at most :data:`MAX_DOCUMENT_BYTES`, must be a JSON object whose ``client_id`` is
  the URL byte for byte, with no ``client_secret``;
* a document is cached for its ``Cache-Control: max-age`` within [:data:`MIN_CACHE_SECONDS`,
  :data:`MAX_CACHE_SECONDS`] (:data:`DEFAULT_CACHE_SECONDS` without one); a failure for
  :data:`FAILURE_CACHE_SECONDS`, so a bad client cannot make the server fetch in a loop.

Invariant of the cache: an entry is never served after its expiry; a URL is fetched by at most one
thread at a time (the others wait for its answer).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

from tokensmith.core.authorization import PublicClient
from tokensmith.core.clock import Clock
from tokensmith.core.errors import InvalidClient, OAuthError
from tokensmith.core.redirect_uris import LOOPBACK_HOSTS
from tokensmith.services.api_console import origin_of
from tokensmith.services.client_registration import check_metadata

MAX_URL_LENGTH = 2000
MAX_DOCUMENT_BYTES = 5 * 1024
TIMEOUT_SECONDS = 5.0
DEFAULT_CACHE_SECONDS = 300
MIN_CACHE_SECONDS = 60
MAX_CACHE_SECONDS = 24 * 3600
FAILURE_CACHE_SECONDS = 30
MAX_CACHE_ENTRIES = 1000
_MAX_AGE = re.compile(r"max-age=(\d+)")

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


class UnusableDocument(InvalidClient):
    """The client ID names a metadata document that cannot be used (shown to the person, or 401)."""


def is_document_url(client_id: str) -> bool:
    """A client ID that is a URL (a metadata document) rather than a registered client's id."""
    return client_id.startswith(("https://", "http://"))


@dataclass(frozen=True)
class _Entry:
    client: PublicClient | None
    error: str
    expires_at: datetime


@dataclass(eq=False)
class MetadataDocuments:
    """Resolves document client IDs to :class:`PublicClient`, fetching and caching them."""

    registry: Mapping[str, str]
    clock: Clock
    _: KW_ONLY
    development: bool
    enabled: bool = True
    transport: httpx.BaseTransport | None = None
    resolver: Resolver = resolve
    _cache: dict[str, _Entry] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _fetching: dict[str, threading.Lock] = field(default_factory=dict, init=False, repr=False)

    def get(self, url: str) -> PublicClient:
        """The client the document at ``url`` describes, or :class:`UnusableDocument`."""
        if not self.enabled:
            raise UnusableDocument("Client ID Metadata Documents are not accepted by this server.")
        now = self.clock.now()
        with self._lock:
            entry = self._cache.get(url)
            fetching = self._fetching.setdefault(url, threading.Lock())
        if entry is None or entry.expires_at <= now:
            with fetching:  # one fetch per URL at a time; the others read its answer
                with self._lock:
                    entry = self._cache.get(url)
                if entry is None or entry.expires_at <= self.clock.now():
                    entry = self._fetch(url)
                    with self._lock:
                        if len(self._cache) >= MAX_CACHE_ENTRIES:
                            self._cache.clear()
                        self._cache[url] = entry
                        self._fetching.pop(url, None)
        if entry.client is None:
            raise UnusableDocument(entry.error)
        return entry.client

    # -- fetching -----------------------------------------------------------------------------
    def _fetch(self, url: str) -> _Entry:
        now = self.clock.now()
        try:
            client, max_age = self._load(url)
        except OAuthError as exc:
            return _Entry(None, exc.description, now + timedelta(seconds=FAILURE_CACHE_SECONDS))
        seconds = (
            DEFAULT_CACHE_SECONDS
            if max_age is None
            else max(MIN_CACHE_SECONDS, min(MAX_CACHE_SECONDS, max_age))
        )
        return _Entry(client, "", now + timedelta(seconds=seconds))

    def check_url(self, url: str) -> tuple[str, str, int]:
        """``(scheme, host, port)`` of an acceptable document URL, else :class:`UnusableDocument`."""
        if len(url) > MAX_URL_LENGTH or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
            raise UnusableDocument("The client ID is not an acceptable URL.")
        parts = urlsplit(url)
        if origin_of(url) is None or parts.hostname is None:
            raise UnusableDocument("The client ID must be an https URL without credentials.")
        if parts.fragment or "#" in url:
            raise UnusableDocument("The client ID URL may not have a fragment.")
        segments = parts.path.split("/")
        if not parts.path.strip("/") or "." in segments or ".." in segments:
            raise UnusableDocument("The client ID URL needs a path, without dot segments.")
        host = parts.hostname.lower()
        loopback = host in LOOPBACK_HOSTS or host == "::1"
        if parts.scheme != "https" and not (self.development and loopback):
            raise UnusableDocument("The client ID must be an https URL (loopback http only in development).")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return parts.scheme, host, port

    def _addresses(self, host: str, port: int) -> list[str]:
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError):
            raise UnusableDocument("The client ID's host does not resolve.") from None
        if not addresses:
            raise UnusableDocument("The client ID's host does not resolve.")
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if ip.is_global and not ip.is_multicast:
                continue
            if self.development and ip.is_loopback:
                continue
            raise UnusableDocument("The client ID's host is not a public address; it is not fetched.")
        return addresses

    def _load(self, url: str) -> tuple[PublicClient, int | None]:
        scheme, host, port = self.check_url(url)
        address = self._addresses(host, port)[0]
        literal = f"[{address}]" if ":" in address else address
        parts = urlsplit(url)
        pinned = f"{scheme}://{literal}:{port}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        default_port = port == (443 if scheme == "https" else 80)
        headers = {"Host": host if default_port else f"{host}:{port}", "Accept": "application/json"}
        try:
            with (
                httpx.Client(
                    transport=self.transport, timeout=TIMEOUT_SECONDS, follow_redirects=False
                ) as http,
                http.stream("GET", pinned, headers=headers, extensions={"sni_hostname": host}) as response,
            ):
                raw = bytearray()
                for chunk in response.iter_bytes():
                    raw.extend(chunk)
                    if len(raw) > MAX_DOCUMENT_BYTES:
                        raise UnusableDocument(
                            f"The client's metadata document exceeds {MAX_DOCUMENT_BYTES} bytes."
                        )
        except httpx.HTTPError as exc:
            raise UnusableDocument(
                f"The client's metadata document could not be fetched ({type(exc).__name__})."
            ) from None
        if response.status_code != 200:
            raise UnusableDocument(f"The client's metadata document answered HTTP {response.status_code}.")
        try:
            body = json.loads(bytes(raw).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise UnusableDocument("The client's metadata document is not JSON.") from None
        if not isinstance(body, dict):
            raise UnusableDocument("The client's metadata document is not a JSON object.")
        if body.get("client_id") != url:
            raise UnusableDocument("The metadata document's client_id is not its own URL.")
        if "client_secret" in body or "client_secret_expires_at" in body:
            raise UnusableDocument("A metadata document may not carry a client secret.")
        try:
            described = check_metadata(body, self.registry)
        except OAuthError as exc:
            raise UnusableDocument(
                f"The client's metadata document is not valid: {exc.description}"
            ) from None
        max_age = _MAX_AGE.search(response.headers.get("cache-control", ""))
        return described.client(url, self.clock.now(), from_document=True), int(
            max_age.group(1)
        ) if max_age else None


@dataclass(frozen=True, eq=False)
class ClientDirectory:
    """Every public client: registered ones by id, documents by URL."""

    registered: Callable[[str], PublicClient | None]
    documents: MetadataDocuments

    def get(self, client_id: str) -> PublicClient | None:
        """The client, ``None`` when unknown; :class:`UnusableDocument` for a document that cannot be used."""
        if is_document_url(client_id):
            return self.documents.get(client_id)
        return self.registered(client_id)
