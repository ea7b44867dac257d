"""The caller's address, as the socket peer or the entry trusted proxies appended to
``X-Forwarded-For``."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request


def client_ip(request: Request, trust_forwarded_for: bool, hops: int = 1) -> str | None:
    """The caller's address: the socket peer, or behind ``hops`` trusted proxies the entry
    they appended to ``X-Forwarded-For``.

    Each proxy appends the address it received the request from, so the client controls every
    entry to the left of what the trusted proxies wrote: with ``hops`` proxies the client's
    address is the ``hops``-th entry from the right (``hops=1``: the right-most). Repeated headers
    count as one list (RFC 9110 §5.3). A header with fewer entries than ``hops``, or an entry that
    is not an IP address, falls back to the socket peer.
    """
    peer = request.scope.get("client")
    peer_ip = str(peer[0]) if peer else None
    if not trust_forwarded_for:
        return peer_ip
    entries = [
        entry.strip() for header in request.headers.getlist("x-forwarded-for") for entry in header.split(",")
    ]
    if len(entries) < hops:
        return peer_ip
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer_ip
