"""Signature verification (RFC 7515 §5.2), delegated to PyJWT.

Kept in its own module so that there is exactly one place where a signature is checked (tests count
calls here to prove the verification cache works).
"""

from __future__ import annotations

import jwt

from tokensmith.verify.errors import InvalidTokenError

__all__ = ["verify_signature"]

_JWS = jwt.PyJWS(options={"enforce_minimum_key_length": True})


def verify_signature(token: str, key: jwt.PyJWK, algorithm: str) -> bytes:
    """Check ``token``'s signature with ``key`` under exactly ``algorithm``; return the raw payload."""
    try:
        decoded = _JWS.decode_complete(token, key=key, algorithms=[algorithm])
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("The access token's signature is invalid.", detail=str(exc)) from None
    payload = decoded["payload"]
    if not isinstance(payload, bytes):  # pragma: no cover - PyJWT always returns bytes
        raise InvalidTokenError("The access token's payload is malformed.")
    return payload
