"""Reading a request's DPoP proof (RFC 9449 §4.1) for :class:`~tokensmith.services.dpop.DPoPValidator`.

The proof's ``htu`` may name the endpoint under the issuer (the URL clients discover) or the
URL the request actually reached (a deployment served under several names); never a query or
fragment (§4.3 point 9). Every ``DPoP`` header field is passed on, so that more than one is
refused (§4.3 point 1).
"""

from __future__ import annotations

from urllib.parse import urlunsplit

from starlette.requests import HTTPConnection

from tokensmith.services.dpop import DPoPRequest


def dpop_request(connection: HTTPConnection, issuer: str, method: str | None = None) -> DPoPRequest:
    proofs = tuple(value.decode("latin-1") for key, value in connection.scope["headers"] if key == b"dpop")
    method = method or connection.scope.get("method", "GET")
    if not proofs:  # a bearer request: nothing to check, so no URL to build
        return DPoPRequest(proofs=(), method=method, uris=())
    # The URL's own split parts (kept by Starlette), joined without query and fragment: cheaper on the
    # token endpoint's hot path than building a second URL with URL.replace().
    parts = connection.url.components
    path = parts.path
    reached = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return DPoPRequest(proofs=proofs, method=method, uris=(issuer.rstrip("/") + path, reached))
