"""A client's JWK Set fetched from its ``jwks_uri`` (RFC 7591 §2), cached like panva/jose's
remote key set, behind the same outbound-request rules as the dashboard's Test API Call.

The request is made by the server, so it is a server-side request forgery risk (OWASP SSRF
cheat sheet). The rules (:mod:`tokensmith.services.api_console` applies the same ones to its
allow-listed calls):

* the URL is ``https`` (``http`` too in development), with no credentials
  (:func:`~tokensmith.core.client_keys.check_jwks_uri`);
* the host must resolve only to public addresses, and the address actually connected to is
  checked again before the body is read (so a DNS answer that changes between the two is
  caught): private, link-local, shared, reserved, multicast and unspecified addresses never;
  loopback only in development;
* redirects are not followed, the answer must be 200 and at most
  :data:`~tokensmith.core.client_keys.MAX_JWKS_BYTES`, and the whole call times out after
  :data:`TIMEOUT_SECONDS`.

Cache invariant: a key set is served at most :attr:`RemoteKeySets.max_age` seconds after it was
fetched. An assertion naming a ``kid`` the cached set lacks refetches the set, but at most once
per :attr:`RemoteKeySets.cooldown` seconds per URI, so a stream of assertions with made-up kids
costs the client's server one request per cooldown, not one per assertion. A failed fetch keeps
serving the last good set until it is ``max_age`` old; with none, the client is refused
(``invalid_client``), never answered 500. Keys in the set that Tokensmith would not accept at
registration (private members, ``oct``, encryption keys…) are skipped, not trusted.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tokensmith.core.client_assertion import refused
from tokensmith.core.client_keys import MAX_JWKS_BYTES, ClientKey, check_jwks_uri, parse_key
from tokensmith.core.errors import BadRequest
from tokensmith.storage.inline import ensure_may_block

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The JWKS URI's host is (or resolved to) an address Tokensmith never calls."""


def address_allowed(address: IPAddress, *, allow_loopback: bool) -> bool:
    """Whether an outbound request may go to ``address``: public only (loopback in development)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


@dataclass
class _Entry:
    keys: tuple[ClientKey, ...]
    fetched_at: float
    last_attempt: float


class RemoteKeySets:
    """The key sets of ``private_key_jwt`` credentials registered with a ``jwks_uri``."""

    def __init__(
        self,
        algorithms: Iterable[str],
        *,
        allow_loopback: bool,
        require_https: bool,
        max_age: float = 600.0,
        cooldown: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        resolver: Callable[[str, int], list[IPAddress]] = resolve,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._algorithms = tuple(algorithms)
        self._allow_loopback = allow_loopback
        self._require_https = require_https
        self.max_age = max_age
        self.cooldown = cooldown
        self._transport = transport
        self._resolver = resolver
        self.monotonic = monotonic
        #: Why the last fetch failed (an exception type: no URL, no body), for logs and tests.
        self.last_failure = ""
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def keys(self, uri: str, kid: str | None) -> tuple[ClientKey, ...]:
        """The keys published at ``uri``, refetched when stale or (after the cooldown) when
        ``kid`` is not among them. Raises ``invalid_client`` when no set can be had."""
        entry = self._entries.get(uri)
        now = self.monotonic()
        if entry is not None and now - entry.fetched_at < self.max_age and self._knows(entry, kid, now):
            return entry.keys
        ensure_may_block()
        with self._lock:  # one fetch at a time: a burst of assertions waits for the first one's answer
            entry = self._entries.get(uri)
            now = self.monotonic()
            if entry is not None and now - entry.fetched_at < self.max_age and self._knows(entry, kid, now):
                return entry.keys
            if entry is not None:
                entry.last_attempt = now
            try:
                keys = self.fetch(uri)
            except (RefusedAddress, BadRequest, httpx.HTTPError, OSError, ValueError) as exc:
                self.last_failure = type(exc).__name__
                log.warning("could not fetch a client's JWK Set (%s)", self.last_failure)
                if entry is not None and now - entry.fetched_at < self.max_age:
                    return entry.keys
                raise refused(f"the jwks_uri could not be fetched ({type(exc).__name__})") from None
            self._entries[uri] = _Entry(keys=keys, fetched_at=now, last_attempt=now)
            return keys

    def _knows(self, entry: _Entry, kid: str | None, now: float) -> bool:
        """Serve the cached set: it has ``kid`` (or none is asked for), or the cooldown is not over."""
        if kid is None or any(k.kid == kid for k in entry.keys):
            return True
        return now - entry.last_attempt < self.cooldown

    def fetch(self, uri: str) -> tuple[ClientKey, ...]:
        """One GET of ``uri`` under the rules of this module's docstring; the usable keys."""
        check_jwks_uri(uri, require_https=self._require_https)
        parts = urlsplit(uri)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self._resolver(host, port)
        if not addresses or not all(
            address_allowed(a, allow_loopback=self._allow_loopback) for a in addresses
        ):
            raise RefusedAddress(host)
        headers = {"Accept": "application/jwk-set+json, application/json"}
        with (
            httpx.Client(
                transport=self._transport, timeout=TIMEOUT_SECONDS, follow_redirects=False
            ) as client,
            client.stream("GET", uri, headers=headers) as response,
        ):
            self._check_peer(response)
            if response.status_code != 200:
                raise ValueError(f"status {response.status_code}")
            raw = bytearray()
            for chunk in response.iter_bytes():
                raw.extend(chunk)
                if len(raw) > MAX_JWKS_BYTES:
                    raise ValueError("the JWK Set is too large")
        document = json.loads(bytes(raw).decode("utf-8"))
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK Set")
        usable: list[ClientKey] = []
        for index, jwk in enumerate(document["keys"][:50]):
            try:
                usable.append(parse_key(jwk, self._algorithms, index))
            except BadRequest:
                continue  # a key Tokensmith would not register is not trusted either
        return tuple(usable)

    def _check_peer(self, response: httpx.Response) -> None:
        """The address the connection really went to, checked like the resolved ones."""
        stream = response.extensions.get("network_stream")
        if stream is None:
            return  # a test transport: there is no socket
        peer = stream.get_extra_info("server_addr")
        if peer is None:
            return
        if not address_allowed(
            ipaddress.ip_address(str(peer[0]).split("%", 1)[0]), allow_loopback=self._allow_loopback
        ):
            raise RefusedAddress(str(peer[0]))
