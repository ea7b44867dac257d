"""Reading a request's DPoP proof (RFC 9449 §4.1) for :class:`~tokensmith.services.dpop.DPoPValidator`.

The proof's ``htu`` may name the endpoint under the issuer (the URL clients discover) or the
URL the request actually reached (a deployment served under several names); never a query or
fragment (§4.3 point 9). Every ``DPoP`` header field is passed on, so that more than one is
refused (§4.3 point 1).
"""

from __future__ import annotations

import functools
from urllib.parse import urlunsplit

from starlette.datastructures import URL
from starlette.requests import HTTPConnection

from tokensmith.services.dpop import DPoPRequest


def dpop_request(connection: HTTPConnection, issuer: str, method: str | None = None) -> DPoPRequest:
    scope = connection.scope
    proofs: list[str] = []
    host: bytes | None = None
    for key, value in scope["headers"]:
        if key == b"dpop":
            proofs.append(value.decode("latin-1"))
        elif key == b"host" and host is None:
            host = value
    method = method or scope.get("method", "GET")
    if not proofs:  # a bearer request: nothing to check, so no URL to build
        return DPoPRequest(proofs=(), method=method, uris=())
    server = scope.get("server")
    path, reached = _reached(
        scope.get("scheme", "http"), host, tuple(server) if server else None, scope["path"]
    )
    return DPoPRequest(proofs=tuple(proofs), method=method, uris=(issuer.rstrip("/") + path, reached))


@functools.lru_cache(maxsize=256)
def _reached(scheme: str, host: bytes | None, server: tuple[str, int] | None, path: str) -> tuple[str, str]:
    """The request's path and the URL it reached without query or fragment, exactly as Starlette builds
    ``request.url`` from these parts of the ASGI scope; remembered, since a client sends every
    proof to the same few URLs (the host header is the client's, so the cache is bounded)."""
    headers = [(b"host", host)] if host is not None else []
    scope = {"type": "http", "scheme": scheme, "server": server, "path": path, "headers": headers}
    parts = URL(scope=scope).components
    return parts.path, urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
