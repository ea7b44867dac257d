"""Authorization server metadata (RFC 8414): find the token endpoint from the issuer.

Tokensmith serves its metadata at ``{issuer}/.well-known/oauth-authorization-server`` (see
``docs/contracts.md``). For an issuer with a path component, RFC 8414 §3.1 instead inserts the
well-known segment between the host and the path; that form is tried second, on a 404.
The ``issuer`` in the document must equal the configured one (RFC 8414 §3.3), or it is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import httpx

from tokensmith.client.errors import DiscoveryError

WELL_KNOWN: Final = "/.well-known/oauth-authorization-server"


@dataclass(frozen=True)
class ServerMetadata:
    """The parts of the RFC 8414 §2 metadata the SDK uses."""

    issuer: str
    token_endpoint: str
    token_endpoint_auth_methods_supported: tuple[str, ...] | None = None


def metadata_urls(issuer: str) -> list[str]:
    """Where to look for the metadata, in order (RFC 8414 §3, §3.1)."""
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("the issuer must be an http(s) URL without query or fragment (RFC 8414 §2)")
    appended = issuer.rstrip("/") + WELL_KNOWN
    path = parts.path.rstrip("/")
    if not path:
        return [appended]
    inserted = urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + path, "", ""))
    return [appended, inserted]


def metadata_request(url: str) -> httpx.Request:
    """``GET`` the metadata document (RFC 8414 §3.1)."""
    return httpx.Request("GET", url, headers={"Accept": "application/json"})


def parse_metadata(response: httpx.Response, *, issuer: str) -> ServerMetadata:
    """Read a metadata response (RFC 8414 §3.2) and check it names ``issuer`` (§3.3)."""
    if response.status_code != 200:
        raise DiscoveryError(
            f"authorization server metadata unavailable at {response.request.url} "
            f"(HTTP {response.status_code})",
            status_code=response.status_code,
        )
    try:
        document = json.loads(response.content)
    except ValueError:
        raise DiscoveryError("authorization server metadata is not JSON") from None
    if not isinstance(document, dict):
        raise DiscoveryError("authorization server metadata is not a JSON object")
    if document.get("issuer") != issuer:
        raise DiscoveryError(
            f"authorization server metadata names issuer {document.get('issuer')!r}, "
            f"expected {issuer!r} (RFC 8414 §3.3)"
        )
    token_endpoint = document.get("token_endpoint")
    if not isinstance(token_endpoint, str) or not token_endpoint:
        raise DiscoveryError("authorization server metadata has no token_endpoint")
    methods = document.get("token_endpoint_auth_methods_supported")
    supported = tuple(m for m in methods if isinstance(m, str)) if isinstance(methods, list) else None
    return ServerMetadata(
        issuer=issuer,
        token_endpoint=token_endpoint,
        token_endpoint_auth_methods_supported=supported,
    )
