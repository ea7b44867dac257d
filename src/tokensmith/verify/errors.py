"""The verifier's errors, each carrying the code and status a resource server answers with.

::

    VerificationError
    ├── MissingTokenError          401 (no error code)    (RFC 6750 §3.1: the request carried no token)
    ├── InvalidTokenError          401 invalid_token      (RFC 6750 §3.1)
    │   └── InvalidDPoPProofError  401 invalid_dpop_proof (RFC 9449 §7.1: a DPoP-bound token's proof)
    ├── InsufficientScopeError     403 insufficient_scope (RFC 6750 §3.1)
    └── VerifierUnavailableError   503 temporarily_unavailable — discovery, JWKS or introspection unreachable

A ``description`` is what may leave the process (the ``error_description`` of RFC 6750 §3); it never
contains the token. The optional ``detail`` is for logs only.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "InsufficientScopeError",
    "InvalidDPoPProofError",
    "InvalidTokenError",
    "MissingTokenError",
    "VerificationError",
    "VerifierUnavailableError",
]


class VerificationError(Exception):
    """Base of every error the verifier raises on purpose."""

    error: str = "invalid_token"
    status: int = 401

    def __init__(self, description: str, *, detail: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail


class MissingTokenError(VerificationError):
    """The request carried no bearer token: RFC 6750 §3.1 says answer 401 *without* an error code."""

    error = "missing_token"
    status = 401

    def __init__(self, description: str = "A bearer access token is required.", *, detail: str = "") -> None:
        super().__init__(description, detail=detail)


class InvalidTokenError(VerificationError):
    """RFC 6750 §3.1 ``invalid_token``: expired, revoked, malformed or otherwise invalid."""

    error = "invalid_token"
    status = 401


class InvalidDPoPProofError(InvalidTokenError):
    """RFC 9449 §7.1 ``invalid_dpop_proof``: a DPoP-bound token's proof is missing, malformed, for
    another request, replayed, too old, for another token (``ath``) or by another key (``cnf.jkt``).
    Answered with ``WWW-Authenticate: DPoP error="invalid_dpop_proof", algs="..."``."""

    error = "invalid_dpop_proof"


class InsufficientScopeError(VerificationError):
    """RFC 6750 §3.1 ``insufficient_scope``: the token is valid but lacks a scope the request needs."""

    error = "insufficient_scope"
    status = 403

    def __init__(self, required: Iterable[str], description: str = "", *, detail: str = "") -> None:
        self.required = tuple(sorted(set(required)))
        super().__init__(
            description or f"The request requires the scope(s): {' '.join(self.required)}.", detail=detail
        )


class VerifierUnavailableError(VerificationError):
    """The authorization server (discovery, JWKS or introspection) could not be reached or answered badly."""

    error = "temporarily_unavailable"
    status = 503
