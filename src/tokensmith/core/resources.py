"""Resources: the APIs an access token can be issued for (RFC 8707 resource indicators).

A resource is named by an absolute URI (RFC 8707 §2: "an absolute URI, as specified by Section 4.3
of RFC 3986", which "MUST NOT include a fragment component" and "SHOULD NOT include a query
component"). A token asked for one carries that URI as its ``aud`` (RFC 9068 §3), and each
resource lists the scopes it accepts: the token's scopes are narrowed to them.

Pure rules only; the registry itself (built-in resources plus the operator's) lives in
:mod:`tokensmith.services.resources`.

Decisions, in one place:

* **Matching is exact** after canonicalisation (lowercase scheme and host, RFC 3986 §6.2.2.1):
  ``https://api.example.com/`` and ``https://api.example.com`` are two resources, as they are two
  URIs. A resource the registry does not hold is ``invalid_target`` (RFC 8707 §2).
* **One resource per token request.** RFC 8707 §2 lets a client repeat ``resource``; a token here
  has exactly one audience, so two or more are ``invalid_target`` — the code §2 gives for a request
  the server will not honour.
* **A scope the resource does not accept is ``invalid_scope``**, not ``invalid_target``: the resource
  is valid and known, it is the scope that "exceeds" what can be granted for it (RFC 6749 §5.2);
  ``invalid_target`` is kept for a resource that is "invalid, missing, unknown, or malformed"
  (RFC 8707 §2). An omitted scope (RFC 6749 §3.3) is everything the client may have that the
  resource accepts — possibly nothing, an audience-only token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from tokensmith.core.errors import InvalidScope, InvalidTarget

__all__ = [
    "MAX_URI_LENGTH",
    "Resource",
    "canonical_uri",
    "narrow_to_resource",
    "single_target",
    "uri_problem",
]

MAX_URI_LENGTH = 2048
# RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
# Anything RFC 3986 never allows unencoded in a URI (spaces, controls, quotes, angle brackets…).
_FORBIDDEN = re.compile(r"[^\x21-\x7e]|[\"<>\\^`{|}]")


@dataclass(frozen=True)
class Resource:
    """An API tokens can be issued for. ``builtin`` resources come from the deployment itself
    (the management API, ``/mcp``, the platform API) and cannot be deleted."""

    id: str
    name: str
    uri: str
    scopes: frozenset[str]
    builtin: bool = False
    created_at: datetime | None = None


def uri_problem(value: str, *, registering: bool = False) -> str | None:
    """Why ``value`` is not a resource indicator (RFC 8707 §2), or ``None`` when it is one.

    ``registering``: the stricter rules for a URI the operator adds to the registry — no query
    component (RFC 8707 §2 "SHOULD NOT"), and a host for ``http``/``https``.
    """
    if not value:
        return "the resource is empty"
    if len(value) > MAX_URI_LENGTH:
        return f"the resource is longer than {MAX_URI_LENGTH} characters"
    if _FORBIDDEN.search(value):
        return "the resource contains characters a URI cannot hold"
    scheme, colon, _rest = value.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        return "the resource must be an absolute URI (RFC 3986 §4.3)"
    if "#" in value:
        return "the resource must not contain a fragment (RFC 8707 §2)"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "the resource is not a valid URI"
    if registering:
        if parts.query or "?" in value:
            return "the resource should not contain a query component (RFC 8707 §2)"
        if parts.scheme.lower() in ("http", "https") and not parts.hostname:
            return "an http(s) resource needs a host"
    return None


def canonical_uri(value: str) -> str:
    """``value`` with its scheme and host lowercased (RFC 3986 §6.2.2.1); the rest byte for byte."""
    parts = urlsplit(value)
    netloc = parts.netloc
    if parts.hostname is not None:
        userinfo, at, hostport = netloc.rpartition("@")
        netloc = f"{userinfo}{at}{hostport.lower()}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def single_target(values: Iterable[str | None]) -> str | None:
    """The one resource a token request names across ``resource`` (RFC 8707 §2) and, for token
    exchange, ``audience`` (RFC 8693 §2.1): ``None`` when none is given; ``invalid_target`` when
    they name different things or one is not a well-formed resource indicator."""
    given = [value for value in values if value is not None]
    for value in given:
        problem = uri_problem(value)
        if problem is not None:
            raise InvalidTarget(f"Invalid resource: {problem}.")
    distinct = {canonical_uri(value) for value in given}
    if len(distinct) > 1:
        raise InvalidTarget("A token is issued for one resource at a time.")
    return distinct.pop() if distinct else None


def narrow_to_resource(
    requested: frozenset[str], allowed: frozenset[str], resource: Resource
) -> frozenset[str]:
    """The scopes of a token for ``resource`` (RFC 8707 §2, RFC 6749 §3.3).

    ``allowed`` is what the client may have at all (already checked against ``requested``).
    Requested scopes the resource does not accept are ``invalid_scope``; an omitted scope means
    ``allowed`` ∩ the resource's scopes.
    """
    if not requested:
        return allowed & resource.scopes
    foreign = sorted(requested - resource.scopes)
    if foreign:
        raise InvalidScope(f"scope not accepted by the resource {resource.uri}: {' '.join(foreign)}")
    return requested


def resource_within(presented: str | None, granted: tuple[str, ...]) -> None:
    """RFC 8707 §2.2: a token request may name one of the granted resources, never another."""
    if presented is not None and granted and presented not in granted:
        raise InvalidTarget("The resource was not part of the authorization.")
