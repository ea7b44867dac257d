"""Scope strings (RFC 6749 §3.3) and the deployment's scope registry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tokensmith.core.errors import InvalidRequest

#: Lets a credential introspect tokens of every organisation: what a platform's own API (one
#: resource server for all tenants) needs. Only the operator can grant it.
INTROSPECT_ALL_SCOPE = "tokens:introspect"
#: Lets a person's token add and delete resources (RFC 8707) through the management API: a
#: server-wide power, so like INTROSPECT_ALL_SCOPE only the operator can grant it.
RESOURCES_ADMIN_SCOPE = "resources:write"

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "\\"}


def parse(scope: str | None) -> frozenset[str]:
    """Split a space-delimited scope parameter; raise ``invalid_request`` on bad syntax."""
    if scope is None:
        return frozenset()
    tokens = scope.split(" ")
    if scope and any(not t for t in tokens):
        raise InvalidRequest("The scope parameter must be scope tokens separated by single spaces.")
    for token in tokens:
        if token and not _SCOPE_CHARS.issuperset(token):
            raise InvalidRequest("The scope parameter contains a character RFC 6749 §3.3 forbids.")
    return frozenset(t for t in tokens if t)


def format_scopes(scopes: Iterable[str]) -> str:
    """Canonical, sorted, space-delimited form."""
    return " ".join(sorted(set(scopes)))


def unknown(scopes: Iterable[str], registry: Mapping[str, str]) -> list[str]:
    return sorted(s for s in scopes if s not in registry)
