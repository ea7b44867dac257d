"""JWT access-token claim validation (RFC 9068 §4 steps 5–9, RFC 7519 §4.1) and the mapping to a Principal.

Time comes from the verifier's injected clock, with a small leeway for ``exp``/``nbf``/``iat``.
Tokensmith adds ``org_id`` and ``sub_kind`` (see ``docs/contracts.md``); a token without ``sub_kind``
is taken as a client's token, the less privileged reading.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from tokensmith.verify.errors import InvalidTokenError
from tokensmith.verify.principal import Principal, SubjectKind

__all__ = [
    "DEFAULT_LEEWAY",
    "REQUIRED_CLAIMS",
    "check_not_before",
    "parse_payload",
    "principal_from_claims",
    "validate_claims",
]

#: Seconds of clock skew tolerated on ``exp``, ``nbf`` and ``iat`` (the Verifier's default).
DEFAULT_LEEWAY = 30.0

#: RFC 9068 §2.2 plus Tokensmith's ``client_id`` (always present, see the wire contracts).
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id")


def parse_payload(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise InvalidTokenError("The access token's payload is not JSON.") from None
    if not isinstance(claims, dict):
        raise InvalidTokenError("The access token's payload is not a JSON object.")
    return claims


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenError(f"The access token's {name} claim is not a number.")
    return float(value)


def _string(claims: Mapping[str, Any], name: str) -> str:
    value = claims[name]
    if not isinstance(value, str) or not value:
        raise InvalidTokenError(f"The access token's {name} claim is not a string.")
    return value


def audiences(value: object) -> list[str] | None:
    """``aud`` is a string or an array of strings (RFC 7519 §4.1.3); ``None`` when it is neither."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return list(value)
    return None


def check_not_before(claims: Mapping[str, Any], *, now: float, leeway: float = DEFAULT_LEEWAY) -> None:
    """RFC 7519 §4.1.5 and §4.1.6: a token is not used before its ``nbf``, nor before its ``iat``
    (a token issued in the future is forged or from a clock gone wrong), each within ``leeway``.

    ``iat`` is required (RFC 9068 §2.2), ``nbf`` optional. The Tokensmith server applies this very
    function to its own tokens (``/api/me``, ``/mcp``, introspection), so both sides agree.
    """
    if "nbf" in claims and now + leeway < _number(claims, "nbf"):
        raise InvalidTokenError("The access token is not valid yet.")
    if "iat" not in claims:
        raise InvalidTokenError("The access token lacks required claims: iat.")
    if now + leeway < _number(claims, "iat"):
        raise InvalidTokenError("The access token was issued in the future.")


def accepts_audience(aud: object, audience: str | Collection[str]) -> bool:
    """Whether a token's ``aud`` (a string or an array, RFC 7519 §4.1.3) names ``audience`` — or,
    given several (a resource server answering for more than one resource, RFC 8707), one of them."""
    found = audiences(aud)
    if found is None:
        return False
    wanted = {audience} if isinstance(audience, str) else set(audience)
    return not wanted.isdisjoint(found)


def validate_claims(
    claims: Mapping[str, Any], *, issuer: str, audience: str | Collection[str], now: float, leeway: float
) -> None:
    """RFC 9068 §4: exact ``iss``, ``aud`` containing our audience (one of them, given several),
    ``exp``/``nbf``/``iat`` in range."""
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise InvalidTokenError(f"The access token lacks required claims: {', '.join(missing)}.")
    if claims["iss"] != issuer:
        raise InvalidTokenError("The access token was issued by another issuer.")
    if not accepts_audience(claims["aud"], audience):
        raise InvalidTokenError("The access token is meant for another audience.")
    _string(claims, "sub")
    _string(claims, "jti")
    _string(claims, "client_id")
    if now > _number(claims, "exp") + leeway:
        raise InvalidTokenError("The access token expired.")
    check_not_before(claims, now=now, leeway=leeway)
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidTokenError("The access token's scope claim is not a string.")


def subject_kind(claims: Mapping[str, Any]) -> SubjectKind:
    kind = claims.get("sub_kind", "client")
    if kind == "client":
        return "client"
    if kind == "user":
        return "user"
    raise InvalidTokenError("The access token's sub_kind claim is not client or user.")


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Build the Principal from validated claims (or an active RFC 7662 introspection response)."""
    org_id = claims.get("org_id")
    exp = claims.get("exp")
    scope = claims.get("scope") or ""
    jti = claims.get("jti")
    return Principal(
        subject=str(claims["sub"]),
        subject_kind=subject_kind(claims),
        organization_id=org_id if isinstance(org_id, str) and org_id else None,
        client_id=str(claims.get("client_id") or ""),
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
        token_id=jti if isinstance(jti, str) and jti else None,
        expires_at=datetime.fromtimestamp(exp, UTC)
        if isinstance(exp, int | float) and not isinstance(exp, bool)
        else None,
        claims=MappingProxyType(dict(claims)),
        audience=tuple(audiences(claims.get("aud")) or ()),
    )
