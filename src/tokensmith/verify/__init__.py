"""Verify Tokensmith access tokens in a platform's own API (the resource server).

This package needs only ``httpx``, ``PyJWT`` and ``cryptography``; it imports nothing from the
Tokensmith server. The Starlette/FastAPI integration is in :mod:`tokensmith.verify.starlette` and
:mod:`tokensmith.verify.fastapi`, which import Starlette only when used.

::

    verifier = Verifier("https://auth.example.com", "https://api.example.com")
    principal = verifier.verify(token, scopes=["project:read"])      # or: await verifier.averify(...)
    # A DPoP-bound token (RFC 9449), presented as ``Authorization: DPoP <token>``:
    principal = verifier.verify(token, dpop=DPoPPresentation((proof,), "GET", "https://api.example.com/x"))

Errors (see :mod:`tokensmith.verify.errors`)::

    VerificationError
    ├── MissingTokenError          401, no error code (RFC 6750 §3.1) — raised by the integrations
    ├── InvalidTokenError          401 invalid_token      (RFC 6750 §3.1)
    │   └── InvalidDPoPProofError  401 invalid_dpop_proof (RFC 9449 §7.1)
    ├── InsufficientScopeError     403 insufficient_scope (RFC 6750 §3.1)
    └── VerifierUnavailableError   503 — discovery, JWKS or introspection unreachable
"""

from tokensmith.verify.errors import (
    InsufficientScopeError,
    InvalidDPoPProofError,
    InvalidTokenError,
    MissingTokenError,
    VerificationError,
    VerifierUnavailableError,
)
from tokensmith.verify.principal import Principal, SubjectKind
from tokensmith.verify.verifier import (
    DEFAULT_ALGORITHMS,
    DEFAULT_INTROSPECTION_PREFIXES,
    DPoPPresentation,
    Verifier,
)

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_INTROSPECTION_PREFIXES",
    "DPoPPresentation",
    "InsufficientScopeError",
    "InvalidDPoPProofError",
    "InvalidTokenError",
    "MissingTokenError",
    "Principal",
    "SubjectKind",
    "VerificationError",
    "Verifier",
    "VerifierUnavailableError",
]
