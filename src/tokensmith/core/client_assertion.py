"""The claims of a client assertion (RFC 7523 §3, used for client authentication per §2.2).

``private_key_jwt`` (OpenID Connect Core §9): the client signs a JWT with its private key and
sends it as ``client_assertion`` with ``client_assertion_type`` set to :data:`ASSERTION_TYPE`.
This module holds the claim rules, apart from the signature (checked by the service against
the credential's keys) and the replay record (kept by storage):

* ``iss`` and ``sub`` are both the client ID (§3 items 1–2); a ``client_id`` sent beside the
  assertion must be the same (RFC 7521 §4.2);
* ``aud`` names this authorization server: its issuer or a token endpoint URL, alone or in an
  array (§3 item 3);
* ``exp`` is required, in the future, and at most the configured lifetime away (§3 item 4);
* ``nbf`` and ``iat``, when present, are not in the future (§3 items 5–6), with a little leeway
  for clock skew;
* ``jti`` is required (§3 item 7) so that the assertion can be used once only.

Every failure is ``invalid_client`` (RFC 7521 §4.2.1) with the same public description; what
was wrong goes only into the private ``detail``. Pure: time comes from the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tokensmith.core.errors import InvalidClient

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Seconds of clock skew tolerated on ``exp``, ``nbf`` and ``iat``.
LEEWAY_SECONDS = 30
MAX_JTI_LENGTH = 256
MAX_ASSERTION_LENGTH = 8 * 1024


@dataclass(frozen=True)
class AssertionClaims:
    """What the rest of the exchange needs from a checked assertion."""

    client_id: str
    jti: str
    expires_at: int


def refused(detail: str) -> InvalidClient:
    """``invalid_client`` with the public description every assertion failure shares."""
    return InvalidClient(detail=f"client assertion: {detail}")


def _number(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refused(f"{name} is not a number")
    return int(value)


def check_claims(
    claims: Mapping[str, Any],
    *,
    client_id: str,
    audiences: Iterable[str],
    now: int,
    max_lifetime: int,
) -> AssertionClaims:
    """The checked claims of an assertion whose signature is valid for ``client_id``'s keys."""
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise refused("iss and sub must both be the client ID")
    aud = claims.get("aud")
    presented = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not set(audiences) & {a for a in presented if isinstance(a, str)}:
        raise refused("aud names neither the issuer nor the token endpoint")
    exp = _number(claims, "exp")
    if exp is None:
        raise refused("exp is required")
    if exp <= now - LEEWAY_SECONDS:
        raise refused("expired")
    if exp > now + max_lifetime + LEEWAY_SECONDS:
        raise refused(f"exp is more than {max_lifetime} s away")
    for name in ("nbf", "iat"):
        value = _number(claims, name)
        if value is not None and value > now + LEEWAY_SECONDS:
            raise refused(f"{name} is in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise refused("jti is required (a string of at most 256 characters)")
    return AssertionClaims(client_id=client_id, jti=jti, expires_at=exp)
