"""The JOSE header checks a resource server makes before it looks up a key (RFC 9068 §4, RFC 8725 §3.1).

Nothing in the header is ever used to reach the network: ``jku``, ``x5u``, ``jwk`` and ``x5c`` name or
embed keys chosen by whoever made the token, so a token carrying any of them is refused outright
(RFC 8725 §3.10). ``kid`` is only ever a dictionary key into the issuer's published JWKS.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tokensmith.verify.errors import InvalidTokenError

__all__ = ["ASYMMETRIC_ALGORITHMS", "TokenHeader", "check_header", "unverified_header"]

#: Signature algorithms the verifier may be configured with. ``none`` and the HMAC family are never
#: acceptable for access tokens checked with a public key (RFC 8725 §3.1, §3.2).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)

#: RFC 9068 §2.1 / §4: the ``typ`` an access token carries; media types compare case-insensitively.
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})

#: Header parameters that point at (or carry) a key the token's author picked (RFC 7515 §4.1.2–§4.1.6).
KEY_REFERENCE_PARAMETERS = ("jku", "jwk", "x5u", "x5c")

MAX_KID_LENGTH = 256

# RFC 7515 §2: base64url without padding.
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class TokenHeader:
    alg: str
    kid: str


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header (RFC 7515 §5.2 steps 1–4) of a compact JWS, before any signature check.

    Only the first segment is decoded (canonical base64url, a JSON object); the whole token is parsed
    again, strictly, when its signature is checked (:mod:`tokensmith.verify.jws`).
    """
    segment = token.split(".", 1)[0]
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise InvalidTokenError("The access token is malformed.", detail="header is not base64url")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidTokenError("The access token is malformed.", detail=type(exc).__name__) from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != segment:
        raise InvalidTokenError("The access token is malformed.", detail="header is not canonical base64url")
    if not isinstance(header, dict):
        raise InvalidTokenError("The access token is malformed.", detail="header is not a JSON object")
    return header


def check_header(token: str, algorithms: Collection[str]) -> TokenHeader:
    """Parse the unverified header and enforce RFC 9068 §4 steps on it; return ``alg`` and ``kid``."""
    header = unverified_header(token)
    for name in KEY_REFERENCE_PARAMETERS:
        if name in header:
            raise InvalidTokenError(
                "The access token names its own signing key; only the issuer's JWKS is trusted.",
                detail=f"header carries {name!r}",
            )
    if "crit" in header:
        raise InvalidTokenError(
            "The access token has critical header parameters this verifier does not know."
        )
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidTokenError(
            "The token is not an access token (typ must be at+jwt).", detail=f"typ={typ!r}"
        )
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms or alg not in ASYMMETRIC_ALGORITHMS:
        raise InvalidTokenError(
            "The access token's signature algorithm is not accepted.", detail=f"alg={alg!r}"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
        raise InvalidTokenError("The access token does not name a valid signing key (kid).")
    return TokenHeader(alg=alg, kid=kid)
