"""Outbound HTTP to addresses a user typed (webhook endpoints): the SSRF guard.

The URL is checked as Test API Call checks it (:func:`tokensmith.services.api_console.origin_of`:
http(s) only, no credentials in it). Then, unlike Test API Call, which only ever calls an
allow-list of origins, a webhook may go anywhere *public*: every address the host name resolves
to must be a global unicast address (OWASP SSRF prevention cheat sheet) — no loopback, private,
link-local (cloud metadata at 169.254.169.254), shared, reserved or multicast address — unless
the operator allows private addresses (``TOKENSMITH_WEBHOOK_ALLOW_PRIVATE_ADDRESSES``).

The check runs where the socket is opened (an httpcore network backend), on the addresses
actually connected to, so a name that resolves to a public address when the endpoint is saved
and to a private one when a delivery is sent (DNS rebinding) is still refused. Redirects are not
followed, and the response body is not read beyond a small cap.
"""

from __future__ import annotations

import ipaddress
import socket
import typing

import httpcore
import httpx

from tokensmith.services.api_console import origin_of

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(Exception):
    """The destination is not one this deployment may call (the message says why; no secret)."""


def is_public_address(address: IPAddress) -> bool:
    """A global unicast address (not loopback, private, link-local, shared, reserved, multicast)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public_address(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, if it may be called: http(s), no credentials, and, when the host is an address
    literal, a public one. Host names are checked again, resolved, when connecting."""
    origin = origin_of(url)
    if origin is None:
        raise OutboundRefused("the URL must be http:// or https://, with a host and without credentials")
    try:
        host = httpx.URL(url.strip()).host
    except httpx.InvalidURL:  # a control character, say: urlsplit lets it through, httpx does not
        raise OutboundRefused("the URL is not valid") from None
    if not allow_private:
        if host == "localhost" or host.endswith(".localhost"):
            raise OutboundRefused("the URL must not point at this machine")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not is_public_address(literal):
            raise OutboundRefused("the URL must not point at a private, loopback or link-local address")
    return url.strip()


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, resolving the host itself and connecting only to allowed addresses."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve the host ({type(exc).__name__})") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses:
            raise httpcore.ConnectError("the host has no address")
        if not self._allow_private and not all(is_public_address(a) for a in addresses):
            raise OutboundRefused("the host resolves to a private, loopback or link-local address")
        return super().connect_tcp(str(addresses[0]), port, timeout, local_address, socket_options)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every connection goes through :class:`GuardedBackend`."""

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=20,
            max_keepalive_connections=0,
            network_backend=GuardedBackend(allow_private=allow_private),
        )
